import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../support/built-app'
import { projectRoot } from '../../support/project'
import { startTestSandbox } from '../../support/started-sandbox'

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
  const hadHostingDir = existsSync(join(projectRoot, '.amplify-hosting'))
  let work = ''
  let out = ''
  let userPoolId = ''

  beforeAll(async () => {
    const parent = join(projectRoot, '.amplify', 'test')
    await mkdir(parent, { recursive: true })
    work = await mkdtemp(join(parent, 'build-'))
    // The app is built against a sandbox's outputs; only the file matters, so the sandbox stops after.
    const { sandbox, stop } = await startTestSandbox()
    try {
      userPoolId = sandbox.userPool.settings.userPoolId
      out = await buildApp(sandbox.outputsPath, work, { preset: 'aws_amplify' })
    }
    finally {
      await stop()
    }
  })
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
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

  it('leaves the project folder alone', () => {
    expect(existsSync(join(projectRoot, '.amplify-hosting'))).toBe(hadHostingDir)
  })
})
