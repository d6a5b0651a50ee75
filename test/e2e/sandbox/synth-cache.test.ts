/**
 * The synth cache around a real synth process, on a tiny stand-in project whose
 * `amplify/backend.ts` writes a fake cloud assembly (no CDK): what is keyed, what is served again,
 * and two sandboxes missing the same key at once.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkCachedSynth, synthesizeCached, synthKey } from '../../../sandbox/assembly/synth'
import { projectRoot } from '../../support/project'

const BACKEND = `import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NAME } from '../shared/name'

const out = process.env.CDK_OUTDIR!
mkdirSync(join(out, 'asset.1'), { recursive: true })
writeFileSync(join(out, 'stack.template.json'), JSON.stringify({ Metadata: { name: NAME, pid: process.pid } }))
writeFileSync(join(out, 'asset.1', 'model-schema.graphql'), 'type Todo { id: ID! }')
`

describe('the synth cache, with a synth process', () => {
  let project: string
  let cacheDir: string
  const write = async (file: string, text: string) => {
    await mkdir(join(project, file, '..'), { recursive: true })
    await writeFile(join(project, file), text)
  }

  beforeEach(async () => {
    // Inside the repository, so that `node --import tsx` resolves from its node_modules.
    await mkdir(join(projectRoot, '.amplify', 'test'), { recursive: true })
    project = await mkdtemp(join(projectRoot, '.amplify', 'test', 'synth-cache-'))
    cacheDir = join(project, '.amplify', 'sandbox', 'synth-cache')
    await write('amplify/backend.ts', BACKEND)
    await write('amplify/functions/handler.ts', 'export const handler = () => 1\n')
    await write('shared/name.ts', 'export const NAME = \'todo\'\n')
    await write('shared/unused.ts', 'export const UNUSED = 1\n')
    await write('package-lock.json', '{"lockfileVersion": 3}\n')
  })
  afterEach(() => rm(project, { recursive: true, force: true }))

  it('keys on amplify/, the project files the backend imports and the lockfile, nothing else', async () => {
    const key = await synthKey(project)
    expect(key).toMatch(/^[0-9a-f]{32}$/)
    expect(await synthKey(project)).toBe(key)

    await write('shared/unused.ts', 'export const UNUSED = 2\n')
    await write('README.md', 'not read by synth\n')
    expect(await synthKey(project)).toBe(key)

    const changes: Array<[string, string]> = [
      ['shared/name.ts', 'export const NAME = \'note\'\n'],
      // Function entry files are referenced by path, not imported.
      ['amplify/functions/handler.ts', 'export const handler = () => 2\n'],
      ['amplify/functions/new.ts', 'export const handler = () => 3\n'],
      ['package-lock.json', '{"lockfileVersion": 3, "packages": {}}\n'],
    ]
    const seen = new Set([key])
    for (const [file, text] of changes) {
      await write(file, text)
      const next = await synthKey(project)
      expect(seen.has(next), file).toBe(false)
      seen.add(next)
    }
  })

  it('cannot key a backend that does not bundle (synth then says why)', async () => {
    await write('amplify/backend.ts', 'import { x } from \'./missing\'\n')
    await expect(synthKey(project)).rejects.toThrow(/missing/)
  })

  it('synthesizes once, then reuses the entry until it is damaged, then synthesizes it again', async () => {
    const lines: string[] = []
    const run = () => synthesizeCached(project, cacheDir, { reuse: true, log: line => lines.push(line) })

    const first = await run()
    expect(first.reused).toBe(false)
    expect(first.dir).toBe(join(cacheDir, await synthKey(project)))
    expect(await run()).toEqual({ dir: first.dir, reused: true })

    const schema = join(first.dir, 'asset.1', 'model-schema.graphql')
    await writeFile(schema, 'type Evil { id: ID! }')
    const rebuilt = await run()
    expect(rebuilt).toEqual({ dir: first.dir, reused: false })
    expect(lines).toEqual(['The cached synth is damaged (asset.1/model-schema.graphql changed since the synth): synthesizing again'])
    expect(await readFile(schema, 'utf8')).toBe('type Todo { id: ID! }')
    expect(await checkCachedSynth(first.dir)).toBeUndefined()
  })

  it('serves one whole entry to two sandboxes that miss the same key at once, and keeps the first stored', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => synthesizeCached(project, cacheDir, { reuse: true })))
    expect(a!.dir).toBe(b!.dir)
    expect(await checkCachedSynth(a!.dir)).toBeUndefined()
    // Both synthesized; only one synth's files are in the entry, and no temporary folder is left.
    expect([a!.reused, b!.reused]).toEqual([false, false])
    expect((await readdir(cacheDir)).filter(name => name.startsWith('.synth-'))).toEqual([])
    const template = await readFile(join(a!.dir, 'stack.template.json'), 'utf8')
    expect((await synthesizeCached(project, cacheDir, { reuse: true })).reused).toBe(true)
    expect(await readFile(join(a!.dir, 'stack.template.json'), 'utf8')).toBe(template)
  })
})
