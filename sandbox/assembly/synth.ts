/**
 * Runs the project's real backend definition (`amplify/backend.ts`) through CDK synth, offline, and
 * keeps the result: a start whose inputs did not change since the last synth reuses it instead of
 * spending most of the start in CDK.
 *
 * A cache entry is `<cacheDir>/<key>/`, the key a hash of everything synth reads from the project.
 * Its completion record (every file with its size and sha256) is written last and checked on every
 * reuse, so an entry cut short or changed since is synthesized again, never served.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import { readJsonIfExists, writeAtomically } from '../core/fs'

/** The context `ampx sandbox` passes to synth; it needs no AWS account or credentials. */
const SANDBOX_CONTEXT = {
  'amplify-backend-namespace': 'local',
  'amplify-backend-name': 'sandbox',
  'amplify-backend-type': 'sandbox',
}

export class SynthError extends Error {
  override name = 'SynthError'
}

/** Synthesizes `<projectDir>/amplify/backend.ts` into `outDir` (a fresh folder). */
export async function synthesize(projectDir: string, outDir: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('amplify', 'backend.ts')], {
    cwd: projectDir,
    env: { ...process.env, CDK_OUTDIR: outDir, CDK_CONTEXT_JSON: JSON.stringify(SANDBOX_CONTEXT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new SynthError(`Synth of amplify/backend.ts failed:\n${cleanSynthOutput(output)}`)
}

/** Keeps what tells the user what is wrong: drops CDK's deprecation noise and Node internals. */
function cleanSynthOutput(output: string): string {
  return output
    .split('\n')
    .filter(line => !/^\s+at .*(node:internal|node_modules)/.test(line))
    .filter(line => !/^\[WARNING\] aws-cdk-lib\./.test(line) && !/^\s+Use `addResourceDependency`/.test(line))
    .join('\n')
    .trim()
}

/** Bumped when what a cache entry holds, or how it is keyed, changes. */
const CACHE_FORMAT = 1
const RECORD = 'synth-complete.json'
/** Entries kept besides the one in use: enough to switch back after trying a change. */
const KEEP = 2

interface CompletionRecord {
  format: number
  key: string
  files: Record<string, { size: number, sha256: string }>
}

/**
 * A hash of everything synth reads from the project: every file under `amplify/` (function entry
 * files are referenced by path, not imported), every project file `amplify/backend.ts` imports
 * (e.g. `shared/`), the lockfile (the CDK and Amplify versions), Node's version and the synth
 * context. Throws when `amplify/backend.ts` cannot be bundled (synth will say why).
 */
export async function synthKey(projectDir: string): Promise<string> {
  const { build } = await import('esbuild')
  const { metafile } = await build({
    absWorkingDir: projectDir,
    entryPoints: [join('amplify', 'backend.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  // Packages under amplify/ are pinned by the lockfile.
  const files = new Set((await filesIn(join(projectDir, 'amplify'), projectDir)).filter(path => !path.split(sep).includes('node_modules')))
  for (const input of Object.keys(metafile.inputs)) {
    // Anything esbuild made up itself (`<define:…>`) or loaded from a package is not a project file.
    if (!input.includes('node_modules') && existsSync(join(projectDir, input))) files.add(input)
  }
  const lockFile = nearestLockFile(projectDir)
  if (lockFile) files.add(relative(projectDir, lockFile))

  const hash = createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, node: process.version, context: SANDBOX_CONTEXT }))
  for (const file of [...files].sort()) {
    hash.update(`\0${file}\0`).update(await readFile(join(projectDir, file)))
  }
  return hash.digest('hex').slice(0, 32)
}

/** The `package-lock.json` that pins the project's CDK and Amplify: the project's, or a parent folder's. */
function nearestLockFile(projectDir: string): string | undefined {
  for (let dir = projectDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return join(dir, 'package-lock.json')
    if (dirname(dir) === dir) return undefined
  }
}

/** Every file under `dir`, relative to `base`. */
async function filesIn(dir: string, base: string): Promise<string[]> {
  if (!existsSync(dir)) return []
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter(entry => !entry.isDirectory())
    .map(entry => relative(base, join(entry.parentPath, entry.name)))
}

async function fileDigest(path: string): Promise<{ size: number, sha256: string }> {
  const data = await readFile(path)
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') }
}

/** Why the cache entry in `dir` must not be served, or `undefined` when it is whole. */
export async function checkCachedSynth(dir: string): Promise<string | undefined> {
  let record: CompletionRecord | undefined
  try {
    record = await readJsonIfExists<CompletionRecord>(join(dir, RECORD))
  }
  catch {
    return 'unreadable completion record'
  }
  if (!record) return 'no completion record'
  if (record.format !== CACHE_FORMAT || !record.files) return 'unreadable completion record'
  if (record.key !== basename(dir)) return 'completion record of another synth'
  const listed = Object.keys(record.files).sort()
  const present = (await filesIn(dir, dir)).filter(file => file !== RECORD).sort()
  const missing = listed.find(file => !present.includes(file))
  if (missing) return `${missing} is missing`
  const extra = present.find(file => !(file in record.files))
  if (extra) return `${extra} was not part of the synth`
  const digests = await Promise.all(listed.map(file => fileDigest(join(dir, file))))
  const changed = listed.find((file, i) => digests[i]!.size !== record.files[file]!.size || digests[i]!.sha256 !== record.files[file]!.sha256)
  return changed ? `${changed} changed since the synth` : undefined
}

/** Seals a finished synth in `dir` with its completion record and moves it into the cache as `key`. */
export async function storeSynth(cacheDir: string, key: string, dir: string): Promise<string> {
  const files = await filesIn(dir, dir)
  const digests = await Promise.all(files.map(file => fileDigest(join(dir, file))))
  const record: CompletionRecord = { format: CACHE_FORMAT, key, files: Object.fromEntries(files.map((file, i) => [file, digests[i]!])) }
  // Last, and atomically: an entry without it is unfinished.
  await writeAtomically(join(dir, RECORD), JSON.stringify(record), 0o644)
  const target = join(cacheDir, key)
  if (existsSync(target)) {
    // The same inputs synthesized again (a reload after a save that changed nothing).
    const old = `${dir}-replaced`
    await rename(target, old)
    await rename(dir, target)
    await rm(old, { recursive: true, force: true })
  }
  else {
    await rename(dir, target)
  }
  return target
}

/** Removes unfinished synths and all but the `KEEP` most recently used entries; never one in `keep`. */
export async function pruneSynthCache(cacheDir: string, keep: string[] = []): Promise<void> {
  if (!existsSync(cacheDir)) return
  const entries = await Promise.all((await readdir(cacheDir, { withFileTypes: true }))
    .filter(entry => entry.isDirectory())
    .map(async (entry) => {
      const dir = join(cacheDir, entry.name)
      const used = await stat(join(dir, RECORD)).then(s => s.mtimeMs, () => undefined)
      return { dir, used }
    }))
  const finished = entries.filter(e => e.used !== undefined).sort((a, b) => b.used! - a.used!)
  const keptDirs = new Set([...keep, ...finished.slice(0, KEEP).map(e => e.dir)])
  await Promise.all(entries.filter(e => !keptDirs.has(e.dir)).map(e => rm(e.dir, { recursive: true, force: true })))
}

let synthCount = 0

/**
 * The assembly of `projectDir`: the cached synth when `reuse` and nothing synth reads changed,
 * else a fresh one (cached when its inputs held still while it ran). `keep` lists assembly
 * folders still in use, which pruning must leave alone; `onSynthesize` is told when CDK runs.
 */
export async function synthesizeCached(
  projectDir: string,
  cacheDir: string,
  options: { reuse: boolean, keep?: string[], log?: (line: string) => void, onSynthesize?: () => void },
): Promise<{ dir: string, reused: boolean }> {
  const log = options.log ?? (() => {})
  await mkdir(cacheDir, { recursive: true })
  let keyError: unknown
  const keyOrUndefined = () => synthKey(projectDir).catch((error: unknown) => {
    keyError = error
    return undefined
  })
  const key = await keyOrUndefined()
  const cached = key && join(cacheDir, key)
  if (options.reuse && cached && existsSync(cached)) {
    const problem = await checkCachedSynth(cached)
    if (!problem) {
      const now = new Date()
      // Marks it recently used, for pruning.
      await utimes(join(cached, RECORD), now, now)
      await pruneSynthCache(cacheDir, [cached, ...(options.keep ?? [])])
      return { dir: cached, reused: true }
    }
    log(`The cached synth is damaged (${problem}): synthesizing again`)
    await rm(cached, { recursive: true, force: true })
  }

  const tmp = join(cacheDir, `.synth-${process.pid}-${synthCount++}`)
  await rm(tmp, { recursive: true, force: true })
  options.onSynthesize?.()
  try {
    await synthesize(projectDir, tmp)
  }
  catch (error) {
    await rm(tmp, { recursive: true, force: true })
    throw error
  }
  // A file saved while synth ran may or may not be in this synth: then it is served, not cached.
  const dir = key && key === (await keyOrUndefined()) ? await storeSynth(cacheDir, key, tmp) : tmp
  if (keyError) log(`This synth is not cached: reading what amplify/backend.ts imports failed (${(keyError as Error).message})`)
  await pruneSynthCache(cacheDir, [dir, ...(options.keep ?? [])])
  return { dir, reused: false }
}
