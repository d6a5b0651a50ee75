/**
 * The synth cache's own logic, on folders it is handed: what makes an entry whole, what storing
 * keeps, what pruning removes, how function bundles are keyed and reused. No synth, no child
 * process: test/e2e/sandbox/synth-cache.test.ts runs the real thing.
 */
import { appendFile, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkCachedSynth, foldersToPrune, pruneSynthCache, storeSynth } from '../../../sandbox/assembly/synth'
import { argsKey, esbuildArguments, inputsKey, restoreBundle, storeBundle } from '../../../sandbox/assembly/bundles'
import { outputsCacheEntry } from '../../../sandbox/core/outputs'

const KEY = (n: number) => n.toString(16).padStart(32, '0')

describe('the synth cache', () => {
  let cacheDir: string
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'synth-cache-'))
  })
  afterEach(() => rm(cacheDir, { recursive: true, force: true }))

  /** A finished synth in a temporary folder, as synth leaves it. */
  const synthDir = async (name: string, text = name) => {
    const dir = join(cacheDir, `.synth-${process.pid}-${name}`)
    await mkdir(join(dir, 'asset.1', 'node_modules', 'dep'), { recursive: true })
    await writeFile(join(dir, 'stack.template.json'), `{"Resources":{},"Description":"${text}"}`)
    await writeFile(join(dir, 'asset.1', 'schema.graphql'), 'type Todo { id: ID! }')
    // Lambda assets bundle their packages: they are part of the synth like any other file.
    await writeFile(join(dir, 'asset.1', 'node_modules', 'dep', 'index.js'), 'module.exports = 1')
    return dir
  }

  describe('an entry', () => {
    let entry: string
    beforeEach(async () => {
      entry = await storeSynth(cacheDir, KEY(1), await synthDir('a'))
    })

    it('is served when every file is as synthesized', async () => {
      expect(entry).toBe(join(cacheDir, KEY(1)))
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

    it('is kept, not replaced, when the same key is stored again (a sandbox may be serving it)', async () => {
      const record = readFileSync(join(entry, 'synth-complete.json'), 'utf8')
      const second = await synthDir('b', 'same key, stored later')
      expect(await storeSynth(cacheDir, KEY(1), second)).toBe(entry)
      expect(readFileSync(join(entry, 'synth-complete.json'), 'utf8')).toBe(record)
      expect(readFileSync(join(entry, 'stack.template.json'), 'utf8')).toContain('"a"')
      // The loser's folder is gone, and nothing else was left behind.
      expect((await readdir(cacheDir)).sort()).toEqual([KEY(1)])
    })
  })

  describe('pruning', () => {
    const dead = () => false
    const alive = () => true

    it('keeps the two most recently used entries, those in `keep` and those a running sandbox serves', () => {
      const folders = [1, 2, 3, 4, 5].map(n => ({ name: KEY(n), used: n * 1000, servedBy: n === 2 ? 1 : 0 }))
      expect(foldersToPrune(folders, [KEY(1)], dead).sort()).toEqual([KEY(3)])
    })

    it('removes an unfinished synth only once the process that runs it is gone', () => {
      const folders = [
        { name: '.synth-4242-0', servedBy: 0 },
        { name: '.aside-4243-1', servedBy: 0 },
        { name: KEY(9), servedBy: 0 },
      ]
      expect(foldersToPrune(folders, [], alive)).toEqual([])
      expect(foldersToPrune(folders, [], dead).sort()).toEqual(['.aside-4243-1', '.synth-4242-0'])
    })

    it('leaves alone what it does not know: bundles, leases, generated outputs, other folders', async () => {
      for (const dir of ['bundles', '.leases', 'outputs', 'notes']) await mkdir(join(cacheDir, dir))
      await writeFile(join(cacheDir, 'outputs.json'), '{}')
      const entries: string[] = []
      for (const n of [1, 2, 3]) {
        entries.push(await storeSynth(cacheDir, KEY(n), await synthDir(String(n))))
        const used = new Date(Date.now() - (10 - n) * 60_000)
        await utimes(join(entries.at(-1)!, 'synth-complete.json'), used, used)
      }
      await pruneSynthCache(cacheDir)
      expect((await readdir(cacheDir)).sort()).toEqual(['.leases', KEY(2), KEY(3), 'bundles', 'notes', 'outputs', 'outputs.json'])
    })
  })

  it('keeps generated outputs per backend: two backends sharing a cache do not overwrite each other', () => {
    const a = outputsCacheEntry(join(cacheDir, 'outputs'), 'a'.repeat(64))
    const b = outputsCacheEntry(join(cacheDir, 'outputs'), 'b'.repeat(64))
    expect(a).not.toBe(b)
    expect(a).toBe(join(cacheDir, 'outputs', `${'a'.repeat(32)}.json`))
  })
})

describe('function bundles', () => {
  let dir: string
  let cwd: string
  const out = (n: number) => join(dir, `out-${n}`)
  const args = (n: number) => ['--bundle', 'amplify/functions/f/handler.ts', '--format=esm', `--outfile=${out(n)}/index.mjs`, '--minify']
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bundles-'))
    cwd = join(dir, 'project')
    await mkdir(join(cwd, 'amplify', 'functions', 'f'), { recursive: true })
    await writeFile(join(cwd, 'amplify', 'functions', 'f', 'handler.ts'), 'export const handler = () => 1\n')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  /** What esbuild would have written for `args(n)`. */
  const bundled = async (n: number, text: string) => {
    await mkdir(out(n), { recursive: true })
    await writeFile(join(out(n), 'index.mjs'), text)
    await writeFile(join(out(n), 'index.mjs.map'), '{}')
  }

  it('recognizes CDK running the project\'s esbuild through any package manager, and nothing else', () => {
    expect(esbuildArguments('npx', ['--no-install', 'esbuild', ...args(1)])).toEqual(args(1))
    expect(esbuildArguments('pnpm', ['exec', 'esbuild', ...args(1)])).toEqual(args(1))
    expect(esbuildArguments('esbuild', args(1))).toEqual(args(1))
    expect(esbuildArguments('npx', ['--no-install', 'tsc', ...args(1)])).toBeUndefined()
    expect(esbuildArguments('bash', ['-c', 'esbuild --bundle x'])).toBeUndefined()
    expect(esbuildArguments('npx', ['--no-install', 'esbuild', '--version'])).toBeUndefined()
  })

  it('keys on the arguments, not on the fresh output folder CDK names each synth', () => {
    const key = argsKey(args(1), cwd, '0.28.2', 'lock')
    expect(argsKey(args(2), cwd, '0.28.2', 'lock')).toBe(key)
    expect(argsKey([...args(1), '--sourcemap'], cwd, '0.28.2', 'lock')).not.toBe(key)
    expect(argsKey(args(1), cwd, '0.28.3', 'lock')).not.toBe(key)
    expect(argsKey(args(1), cwd, '0.28.2', 'other lock')).not.toBe(key)
  })

  it('reuses a bundle while its inputs are unchanged, and not after an edit', async () => {
    const cache = join(dir, 'cache')
    const inputs = ['amplify/functions/f/handler.ts']
    const key = argsKey(args(1), cwd, '1', '')
    expect(restoreBundle(cache, key, cwd, out(2))).toBe(false)
    await bundled(1, 'bundle one')
    storeBundle(cache, key, cwd, out(1), inputs, Date.now() + 1000)
    expect(restoreBundle(cache, key, cwd, out(2))).toBe(true)
    expect(readFileSync(join(out(2), 'index.mjs'), 'utf8')).toBe('bundle one')
    expect((await readdir(out(2))).sort()).toEqual(['index.mjs', 'index.mjs.map'])

    await writeFile(join(cwd, inputs[0]!), 'export const handler = () => 2\n')
    expect(restoreBundle(cache, key, cwd, out(3))).toBe(false)
  })

  it('does not keep a bundle whose input was saved while esbuild ran', async () => {
    const cache = join(dir, 'cache')
    const key = argsKey(args(1), cwd, '1', '')
    await bundled(1, 'maybe old text')
    storeBundle(cache, key, cwd, out(1), ['amplify/functions/f/handler.ts'], 0)
    expect(restoreBundle(cache, key, cwd, out(2))).toBe(false)
  })

  it('keeps the first of two identical bundles and refuses a damaged one', async () => {
    const cache = join(dir, 'cache')
    const inputs = ['amplify/functions/f/handler.ts']
    const key = argsKey(args(1), cwd, '1', '')
    await bundled(1, 'first')
    storeBundle(cache, key, cwd, out(1), inputs, Date.now() + 1000)
    await bundled(2, 'second')
    storeBundle(cache, key, cwd, out(2), inputs, Date.now() + 1000)
    expect(restoreBundle(cache, key, cwd, out(3))).toBe(true)
    expect(readFileSync(join(out(3), 'index.mjs'), 'utf8')).toBe('first')

    const entry = join(cache, `${key}-${inputsKey(cwd, inputs)}`)
    await writeFile(join(entry, 'index.mjs'), 'tampered')
    expect(restoreBundle(cache, key, cwd, out(4))).toBe(false)
  })
})
