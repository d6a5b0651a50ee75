/**
 * Runs the project's real backend definition (`amplify/backend.ts`) through CDK synth, offline, and
 * keeps the result: a start whose inputs did not change since the last synth reuses it instead of
 * spending most of the start in CDK.
 *
 * A cache entry is `<cacheDir>/<key>/`, the key a hash of everything synth reads from the project.
 * Its completion record (every file with its size, sha256 and modification time) is written last
 * and checked on every reuse (a file written since is read and compared), so an entry cut short or
 * changed since is synthesized again, never served.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
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

/** Bundles functions through the bundle cache (./bundles.ts) inside the synth process. */
const SYNTH_HOOK = new URL('./synth-hook.ts', import.meta.url).href
const SYNTH_RUNNER = fileURLToPath(new URL('./synth-runner.ts', import.meta.url))

/** A synth process (./synth-runner.ts): started, it loads the backend's libraries and waits for `run`. */
interface SynthProcess {
  run(outDir: string): Promise<void>
  kill(): void
}

function startSynthProcess(projectDir: string, bundleCacheDir: string | undefined): SynthProcess {
  const hook = bundleCacheDir ? ['--import', SYNTH_HOOK] : []
  const child = spawn(process.execPath, ['--import', 'tsx', ...hook, SYNTH_RUNNER], {
    cwd: projectDir,
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify(SANDBOX_CONTEXT),
      // aws-cdk-lib checks every template against CloudFormation's rules in WebAssembly: most of
      // synth's CPU time (5 s of 7 on 2 cores). The sandbox deploys nothing; a deploy still checks.
      CDK_VALIDATION: 'false',
      ...(bundleCacheDir ? { SANDBOX_BUNDLE_CACHE: bundleCacheDir } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  const listening = new Promise<void>(resolve => child.once('message', () => resolve()))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  // A process that is never run (closed as a standby) must not reject unhandled.
  exited.catch(() => {})
  return {
    async run(outDir) {
      const code = await Promise.race([listening.then(() => undefined), exited])
      if (code === undefined) child.send({ outDir })
      if ((code ?? await exited) !== 0) throw new SynthError(`Synth of amplify/backend.ts failed:\n${cleanSynthOutput(output)}`)
    },
    kill: () => child.kill(),
  }
}

/**
 * Synthesizes `<projectDir>/amplify/backend.ts` into `outDir` (a fresh folder). With
 * `bundleCacheDir`, function bundles whose inputs did not change are reused from there; with a
 * `standby`, its process (libraries already loaded) does the work.
 */
export async function synthesize(projectDir: string, outDir: string, options: { bundleCacheDir?: string, standby?: SynthStandby } = {}): Promise<void> {
  const synth = options.standby?.take() ?? startSynthProcess(projectDir, options.bundleCacheDir)
  try {
    await synth.run(outDir)
  }
  finally {
    // Ready for the next edit.
    options.standby?.warm()
  }
}

/**
 * Keeps one synth process waiting, its libraries loaded, for the next reload: what makes a reload
 * after an edit a matter of the definition's own work rather than of loading CDK again.
 */
export class SynthStandby {
  private waiting: SynthProcess | undefined
  private closed = false

  constructor(private readonly projectDir: string, private readonly bundleCacheDir: string) {}

  /** Starts the waiting process, unless one waits already. */
  warm(): void {
    if (!this.closed) this.waiting ??= startSynthProcess(this.projectDir, this.bundleCacheDir)
  }

  take(): SynthProcess | undefined {
    const taken = this.waiting
    this.waiting = undefined
    return taken
  }

  close(): void {
    this.closed = true
    this.take()?.kill()
  }
}

/** A standby for the sandbox whose synth cache is `cacheDir`. */
export function synthStandby(projectDir: string, cacheDir: string): SynthStandby {
  return new SynthStandby(projectDir, join(cacheDir, BUNDLES))
}

/** Keeps what tells the user what is wrong: drops CDK's deprecation noise and Node internals. */
function cleanSynthOutput(output: string): string {
  return output
    .split('\n')
    .filter(line => !/^\s+at .*(node:internal|node_modules|synth-runner)/.test(line))
    .filter(line => !/^\[WARNING\] aws-cdk-lib\./.test(line) && !/^\s+Use `addResourceDependency`/.test(line))
    .join('\n')
    .trim()
}

/** Bumped when what a cache entry holds, or how it is keyed, changes. */
const CACHE_FORMAT = 3
const RECORD = 'synth-complete.json'
/** Entries kept besides those in use: enough to switch back after trying a change. */
const KEEP = 2
/** Sub-folders of the cache that are not synth entries. */
const BUNDLES = 'bundles'
const LEASES = '.leases'

interface CompletionRecord {
  format: number
  key: string
  /** Each file's size and digest, and when it was written: a file not written since is not read again. */
  files: Record<string, FileRecord>
}

interface FileRecord {
  size: number
  sha256: string
  mtimeMs: number
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
export function nearestLockFile(projectDir: string): string | undefined {
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

async function fileDigest(path: string): Promise<FileRecord> {
  const [data, stats] = await Promise.all([readFile(path), stat(path)])
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mtimeMs: stats.mtimeMs }
}

/**
 * Whether a file of an entry is as it was sealed: the same size, and either not written since (its
 * modification time, as make and git trust it: hashing the 34 MB of an entry took half a warm
 * start) or, when written since, the same bytes.
 */
async function unchanged(path: string, sealed: FileRecord): Promise<boolean> {
  const stats = await stat(path)
  if (stats.size !== sealed.size) return false
  if (stats.mtimeMs === sealed.mtimeMs) return true
  return (await fileDigest(path)).sha256 === sealed.sha256
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
  const same = await Promise.all(listed.map(file => unchanged(join(dir, file), record.files[file]!)))
  const changed = listed.find((_, i) => !same[i])
  return changed ? `${changed} changed since the synth` : undefined
}

/**
 * Seals a finished synth in `dir` with its completion record and moves it into the cache as `key`.
 * An entry already stored under `key` (another sandbox sharing the cache, or a reload of an
 * unchanged backend) is kept and served instead: the same key is the same content, and a sandbox
 * may be serving it. `dir` is then removed.
 */
export async function storeSynth(cacheDir: string, key: string, dir: string): Promise<string> {
  const files = await filesIn(dir, dir)
  const digests = await Promise.all(files.map(file => fileDigest(join(dir, file))))
  const record: CompletionRecord = { format: CACHE_FORMAT, key, files: Object.fromEntries(files.map((file, i) => [file, digests[i]!])) }
  // Last, and atomically: an entry without it is unfinished.
  await writeAtomically(join(dir, RECORD), JSON.stringify(record), 0o644)
  const target = join(cacheDir, key)
  try {
    await rename(dir, target)
  }
  catch (error) {
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    await rm(dir, { recursive: true, force: true })
  }
  return target
}

/** Whether the process `pid` (on this machine) is still running. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** One folder of the cache, as pruning sees it. */
export interface CacheFolder {
  name: string
  /** When its completion record was last touched (stored or reused); undefined while unfinished. */
  used?: number
  /** Running sandboxes that serve it (their leases). */
  servedBy: number
}

/**
 * The folders pruning removes: every finished entry that no running sandbox serves, is not in
 * `keep`, and is not among the `recentCount` (default `KEEP`) most recently used; every unfinished synth of a process
 * that is gone (`.synth-<pid>-<n>`, `.bundle-…`, aside entries). Never the bundle cache, leases,
 * the outputs cache, or anything it does not recognize.
 */
export function foldersToPrune(folders: CacheFolder[], keep: Iterable<string>, isAlive: (pid: number) => boolean = isRunning, recentCount = KEEP): string[] {
  const kept = new Set(keep)
  const finished = folders.filter(f => /^[0-9a-f]{32}$/.test(f.name) && f.used !== undefined).sort((a, b) => b.used! - a.used!)
  const recent = new Set(finished.slice(0, recentCount).map(f => f.name))
  const stale = finished.filter(f => !kept.has(f.name) && !recent.has(f.name) && f.servedBy === 0).map(f => f.name)
  const orphans = folders
    .map(f => ({ name: f.name, pid: Number(/^\.(?:synth|aside)-(\d+)-/.exec(f.name)?.[1]) }))
    .filter(f => f.pid > 0 && !isAlive(f.pid))
    .map(f => f.name)
  return [...stale, ...orphans]
}

/**
 * Marks the entries in `names` as served by this process, and no other entry: a lease is a file
 * `.leases/<entry>.<pid>`, valid while that process runs. Pruning leaves leased entries alone, so
 * sandboxes sharing one cache never delete each other's backends.
 */
async function lease(cacheDir: string, names: string[]): Promise<void> {
  const dir = join(cacheDir, LEASES)
  await mkdir(dir, { recursive: true })
  const mine = `.${process.pid}`
  for (const file of await readdir(dir)) {
    const [name, pid] = [file.slice(0, file.lastIndexOf('.')), Number(file.slice(file.lastIndexOf('.') + 1))]
    const release = file.endsWith(mine) ? !names.includes(name) : !isRunning(pid)
    if (release) await rm(join(dir, file), { force: true })
  }
  for (const name of names) await writeFile(join(dir, `${name}${mine}`), '')
}

/**
 * Removes what `foldersToPrune` names. A finished entry is first renamed aside (atomically, so no
 * sandbox ever reads half of one), then deleted. The leases are read once, so a sandbox that leases
 * an entry in the few milliseconds between that read and the rename loses it; one that reused it
 * had touched it first, which makes it one of the `KEEP` most recent in every pruning after.
 */
export async function pruneSynthCache(cacheDir: string, keep: string[] = [], recentCount = KEEP): Promise<void> {
  if (!existsSync(cacheDir)) return
  const leases = await readdir(join(cacheDir, LEASES)).catch(() => [] as string[])
  const servedBy = (name: string) => leases.filter(file => file.startsWith(`${name}.`) && isRunning(Number(file.slice(name.length + 1)))).length
  const folders = await Promise.all((await readdir(cacheDir, { withFileTypes: true }))
    .filter(entry => entry.isDirectory() && entry.name !== BUNDLES && entry.name !== LEASES && entry.name !== 'outputs')
    .map(async (entry): Promise<CacheFolder> => ({
      name: entry.name,
      used: await stat(join(cacheDir, entry.name, RECORD)).then(s => s.mtimeMs, () => undefined),
      servedBy: servedBy(entry.name),
    })))
  const doomed = foldersToPrune(folders, keep.map(dir => relative(cacheDir, dir)), isRunning, recentCount)
  await pruneUnused(join(cacheDir, BUNDLES))
  await pruneUnused(join(cacheDir, 'outputs'))
  await Promise.all(doomed.map(async (name) => {
    const aside = name.startsWith('.') ? name : `.aside-${process.pid}-${asideCount++}`
    if (aside !== name) await rename(join(cacheDir, name), join(cacheDir, aside)).catch(() => {})
    await rm(join(cacheDir, aside), { recursive: true, force: true })
  }))
}

/** Function bundles and generated outputs not used for this long are removed. */
const UNUSED_FOR_MS = 7 * 24 * 3600 * 1000

/** Removes what in `dir` (bundles, outputs) has not been used for `UNUSED_FOR_MS`: a sandbox uses one for milliseconds, when it starts or reloads. */
async function pruneUnused(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const now = Date.now()
  await Promise.all(entries.map(async (entry) => {
    const path = join(dir, entry.name)
    // A bundle's record is touched when it is used; anything else (an outputs file, a bundle being
    // written) counts from when it was written.
    const used = await stat(join(path, 'bundle.json')).catch(() => stat(path)).then(s => s.mtimeMs, () => now)
    if (now - used > UNUSED_FOR_MS) await rm(path, { recursive: true, force: true })
  }))
}

let asideCount = 0
let synthCount = 0

/**
 * The assembly of `projectDir`: the cached synth when `reuse` and nothing synth reads changed,
 * else a fresh one (cached when its inputs held still while it ran). `keep` lists assembly
 * folders still in use, which pruning must leave alone; `onSynthesize` is told when CDK runs.
 * Many sandboxes may share `cacheDir`: each leases the entries it serves (see `lease`).
 */
export async function synthesizeCached(
  projectDir: string,
  cacheDir: string,
  options: {
    reuse: boolean
    keep?: string[]
    /** Finished entries kept besides those in use (default 2); a cache shared by many backends wants more. */
    entries?: number
    log?: (line: string) => void
    onSynthesize?: () => void
    standby?: SynthStandby
  },
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
  const keep = options.keep ?? []
  const served = (dir: string) => [dir, ...keep].map(d => relative(cacheDir, d)).filter(name => !name.startsWith('..'))
  if (options.reuse && cached && existsSync(cached)) {
    // Leased before it is checked: a pruning sandbox then leaves it alone.
    await lease(cacheDir, served(cached))
    const problem = await checkCachedSynth(cached)
    if (!problem) {
      const now = new Date()
      // Marks it recently used, for pruning.
      await utimes(join(cached, RECORD), now, now)
      await pruneSynthCache(cacheDir, [cached, ...keep], options.entries)
      return { dir: cached, reused: true }
    }
    log(`The cached synth is damaged (${problem}): synthesizing again`)
    // Aside, not deleted in place: a sandbox reading it sees it whole or not at all.
    await rename(cached, join(cacheDir, `.aside-${process.pid}-${asideCount++}`)).catch(() => {})
  }

  const tmp = join(cacheDir, `.synth-${process.pid}-${synthCount++}`)
  await rm(tmp, { recursive: true, force: true })
  options.onSynthesize?.()
  try {
    await synthesize(projectDir, tmp, { bundleCacheDir: join(cacheDir, BUNDLES), standby: options.standby })
  }
  catch (error) {
    await rm(tmp, { recursive: true, force: true })
    throw error
  }
  // A file saved while synth ran may or may not be in this synth: then it is served, not cached.
  const dir = key && key === (await keyOrUndefined()) ? await storeSynth(cacheDir, key, tmp) : tmp
  if (keyError) log(`This synth is not cached: reading what amplify/backend.ts imports failed (${(keyError as Error).message})`)
  await lease(cacheDir, served(dir))
  await pruneSynthCache(cacheDir, [dir, ...keep], options.entries)
  return { dir, reused: false }
}
