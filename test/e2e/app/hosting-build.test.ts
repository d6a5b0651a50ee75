import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { projectRoot } from '../../support/project'

// The build every file here runs against (setup.ts): its compute entry point is the app server.
const { buildDir: out, buildStartedAt, outputsPath } = inject('e2e')

interface DeployManifest {
  version: number
  routes: Array<{ path: string, target: { kind: string, src?: string, cacheControl?: string }, fallback?: { kind: string, src?: string } }>
  computeResources?: Array<{ name: string, entrypoint: string, runtime: string }>
  framework: { name: string, version: string }
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter(e => e.isFile()).map(e => join(e.parentPath, e.name))
}

async function someFileContains(files: string[], text: string): Promise<boolean> {
  for (const file of files) if ((await readFile(file, 'utf8')).includes(text)) return true
  return false
}

// What Amplify Hosting deploys (amplify.yml: `NITRO_PRESET=aws_amplify npm run build`), built offline
// into a scratch folder: the project's own `.amplify-hosting/`, `.nuxt/` and outputs stay untouched.
describe('the aws_amplify build', () => {
  let userPoolId = ''

  beforeAll(async () => {
    userPoolId = (JSON.parse(await readFile(outputsPath, 'utf8')) as { auth: { user_pool_id: string } }).auth.user_pool_id
  })

  it('writes a deploy manifest that sends pages to the compute resource and assets to static', async () => {
    const manifest = JSON.parse(await readFile(join(out, 'deploy-manifest.json'), 'utf8')) as DeployManifest
    expect(manifest.version).toBe(1)
    expect(manifest.framework.name).toBe('nuxt')
    expect(manifest.computeResources).toEqual([expect.objectContaining({ name: 'default', runtime: expect.stringMatching(/^nodejs\d+\.x$/) })])
    expect(manifest.routes.at(-1)).toMatchObject({ path: '/*', target: { kind: 'Compute', src: 'default' } })
    // Hashed client assets are served by the CDN, cached for good.
    expect(manifest.routes).toContainEqual(expect.objectContaining({ path: '/_nuxt/*', target: expect.objectContaining({ kind: 'Static', cacheControl: expect.stringContaining('immutable') }) }))
  })

  it('puts the server entry the manifest names in compute/default, built against the given outputs', async () => {
    const manifest = JSON.parse(await readFile(join(out, 'deploy-manifest.json'), 'utf8')) as DeployManifest
    const compute = join(out, 'compute', manifest.computeResources![0]!.name)
    expect(existsSync(join(compute, manifest.computeResources![0]!.entrypoint))).toBe(true)
    expect(existsSync(join(compute, 'index.mjs'))).toBe(true)
    // AMPLIFY_OUTPUTS chose the backend the server renders against: this sandbox's pool, not the project's file.
    expect(await someFileContains((await filesUnder(compute)).filter(f => f.endsWith('.mjs') && !f.includes('node_modules')), userPoolId)).toBe(true)
  })

  it('holds one copy of the session code, which page renders and API routes share', async () => {
    const compute = join(out, 'compute', 'default')
    const chunks = (await filesUnder(compute)).filter(f => f.endsWith('.mjs') && !f.includes('node_modules'))
    // A string only server/amplify/verifier.ts has: a second copy would mean a second verifier and caches.
    const copies = []
    for (const file of chunks) if (await someFileContains([file], 'Session tokens cannot be checked')) copies.push(file)
    expect(copies).toHaveLength(1)
  })

  it('puts the client bundle in static/', async () => {
    const assets = await filesUnder(join(out, 'static', '_nuxt'))
    expect(assets.some(f => f.endsWith('.js'))).toBe(true)
    expect(assets.some(f => f.endsWith('.css'))).toBe(true)
    // The browser gets the same backend: the client configures Amplify from the same file.
    expect(await someFileContains(assets.filter(f => f.endsWith('.js')), userPoolId)).toBe(true)
  })

  it('leaves the project folder alone', async () => {
    const hosting = join(projectRoot, '.amplify-hosting')
    const paths = existsSync(hosting) ? [hosting, ...await filesUnder(hosting)] : []
    // Neither created nor rewritten by this build.
    const written = []
    for (const path of paths) if ((await stat(path)).mtimeMs >= buildStartedAt) written.push(path)
    expect(written).toEqual([])
  })
})
