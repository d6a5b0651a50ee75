/**
 * The warm-start cache on a tiny stand-in project whose `amplify/backend.ts` writes a fake cloud
 * assembly: what is keyed, what is detected as damaged, what is kept. No CDK runs here.
 */
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkCachedSynth, pruneSynthCache, storeSynth, synthesizeCached, synthKey } from '../../../sandbox/assembly/synth'
import { projectRoot } from '../../support/project'

const BACKEND = `import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NAME } from '../shared/name'

const out = process.env.CDK_OUTDIR!
mkdirSync(join(out, 'asset.1'), { recursive: true })
writeFileSync(join(out, 'stack.template.json'), JSON.stringify({ Metadata: { name: NAME } }))
writeFileSync(join(out, 'asset.1', 'model-schema.graphql'), 'type Todo { id: ID! }')
`

describe('the synth cache', () => {
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

  describe('an entry', () => {
    let entry: string
    beforeEach(async () => {
      const synthDir = join(cacheDir, '.synth-test')
      await mkdir(join(synthDir, 'asset.1', 'node_modules', 'dep'), { recursive: true })
      await writeFile(join(synthDir, 'stack.template.json'), '{"Resources":{}}')
      await writeFile(join(synthDir, 'asset.1', 'schema.graphql'), 'type Todo { id: ID! }')
      // Lambda assets bundle their packages: they are part of the synth like any other file.
      await writeFile(join(synthDir, 'asset.1', 'node_modules', 'dep', 'index.js'), 'module.exports = 1')
      entry = await storeSynth(cacheDir, 'k1', synthDir)
    })

    it('is served when every file is as synthesized', async () => {
      expect(entry).toBe(join(cacheDir, 'k1'))
      expect(await checkCachedSynth(entry)).toBeUndefined()
    })

    it('is refused when a file changed, even at the same size', async () => {
      await writeFile(join(entry, 'asset.1', 'node_modules', 'dep', 'index.js'), 'module.exports = 2')
      expect(await checkCachedSynth(entry)).toBe('asset.1/node_modules/dep/index.js changed since the synth')
      await writeFile(join(entry, 'asset.1', 'node_modules', 'dep', 'index.js'), 'module.exports = 1')
      await writeFile(join(entry, 'asset.1', 'schema.graphql'), 'type Todo { id: ID? }')
      expect(await checkCachedSynth(entry)).toBe('asset.1/schema.graphql changed since the synth')
    })

    it('is refused when a file was cut short or is missing', async () => {
      await writeFile(join(entry, 'stack.template.json'), '{"Resou')
      expect(await checkCachedSynth(entry)).toBe('stack.template.json changed since the synth')
      await rm(join(entry, 'stack.template.json'))
      expect(await checkCachedSynth(entry)).toBe('stack.template.json is missing')
    })

    it('is refused with a file the synth did not write', async () => {
      await appendFile(join(entry, 'asset.1', 'extra.vtl'), '$util.toJson(1)')
      expect(await checkCachedSynth(entry)).toBe('asset.1/extra.vtl was not part of the synth')
    })

    it('is refused without a whole completion record (a synth cut short)', async () => {
      await writeFile(join(entry, 'synth-complete.json'), '{"format":1,"files":')
      expect(await checkCachedSynth(entry)).toBe('unreadable completion record')
      await rm(join(entry, 'synth-complete.json'))
      expect(await checkCachedSynth(entry)).toBe('no completion record')
    })
  })

  it('keeps the two most recently used entries, those in use, and no unfinished synth', async () => {
    const entries: string[] = []
    for (const [i, key] of ['k1', 'k2', 'k3', 'k4'].entries()) {
      const synthDir = join(cacheDir, `.synth-${key}`)
      await mkdir(synthDir, { recursive: true })
      await writeFile(join(synthDir, 'stack.template.json'), key)
      entries.push(await storeSynth(cacheDir, key, synthDir))
      const used = new Date(Date.now() - (10 - i) * 60_000)
      await utimes(join(entries[i]!, 'synth-complete.json'), used, used)
    }
    await mkdir(join(cacheDir, '.synth-crashed'))
    await writeFile(join(cacheDir, 'outputs.json'), '{}')

    await pruneSynthCache(cacheDir, [entries[0]!])
    expect((await readdir(cacheDir)).sort()).toEqual(['k1', 'k3', 'k4', 'outputs.json'])
  })

  it('synthesizes once, then reuses the entry until it is damaged, then synthesizes it again', { timeout: 10_000 }, async () => {
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
})
