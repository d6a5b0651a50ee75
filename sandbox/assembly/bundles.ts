/**
 * Function bundles kept across synths. Gen 2's `defineFunction` bundles each function with esbuild
 * during synth (a `NodejsFunction`: `npx --no-install esbuild --bundle …`, one blocking process per
 * function, about a second each). Most synths (a reload after a schema edit) bundle the very same
 * inputs again, so synth-hook.ts sends those commands here: a bundle whose arguments and project
 * input files are unchanged is copied from the cache, anything else runs esbuild directly (no npx).
 *
 * An entry is `<dir>/<args key>-<inputs key>/`: the output files and, written last, `bundle.json`
 * (each file's size and sha256). `<dir>/<args key>.json` lists the project files the last bundle
 * with those arguments read (from esbuild's metafile); hashing them again gives the inputs key.
 * Package files are not hashed: the lockfile, in the args key, pins them. Entries are never
 * replaced: one with the same name has the same content. Sandboxes may share the folder.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Bumped when what an entry holds, or how it is keyed, changes. */
const FORMAT = 1
const RECORD = 'bundle.json'

/** The package managers' ways of running the project's esbuild (aws-cdk-lib PackageManager.runBinCommand). */
const RUNNERS: Record<string, string[]> = {
  npx: ['--no-install', 'esbuild'],
  pnpm: ['exec', 'esbuild'],
  yarn: ['run', 'esbuild'],
  bun: ['run', 'esbuild'],
  esbuild: [],
}

/** esbuild's own arguments when `command args` is CDK running the project's esbuild to bundle; else undefined. */
export function esbuildArguments(command: string, args: readonly string[]): string[] | undefined {
  const prefix = RUNNERS[basename(command)]
  if (!prefix || !prefix.every((arg, i) => args[i] === arg)) return undefined
  const rest = args.slice(prefix.length)
  return rest[0] === '--bundle' && rest.some(arg => arg.startsWith('--outfile=')) ? [...rest] : undefined
}

/** Where the bundle goes: CDK names a fresh folder in `--outfile` each time. */
export function outputDir(esbuildArgs: readonly string[]): string {
  return dirname(esbuildArgs.find(arg => arg.startsWith('--outfile='))!.slice('--outfile='.length))
}

/**
 * What a bundle depends on besides its project files: esbuild's arguments (with the output
 * folder, which changes every synth, left out), the folder it runs in, esbuild's version and the
 * lockfile's text (the packages it bundles).
 */
export function argsKey(esbuildArgs: readonly string[], cwd: string, esbuildVersion: string, lockFile: string): string {
  const out = outputDir(esbuildArgs)
  const args = esbuildArgs.map(arg => arg.startsWith('--outfile=') ? `--outfile=${basename(arg)}` : arg.replaceAll(out, '<out>'))
  return sha256(JSON.stringify({ format: FORMAT, args, cwd, esbuildVersion, lockFile })).slice(0, 32)
}

/** The project files (relative to `cwd`) in an esbuild metafile's inputs: no package files, nothing esbuild made up. */
export function projectInputs(metafile: { inputs: Record<string, unknown> }, cwd: string): string[] {
  return Object.keys(metafile.inputs)
    .filter(input => !input.split(/[\\/]/).includes('node_modules') && existsSync(join(cwd, input)))
    .sort()
}

/** A hash of the files' names and contents; undefined when one is gone. */
export function inputsKey(cwd: string, inputs: readonly string[]): string | undefined {
  const hash = createHash('sha256')
  for (const input of inputs) {
    let data: Buffer
    try {
      data = readFileSync(join(cwd, input))
    }
    catch {
      return undefined
    }
    hash.update(`\0${input}\0`).update(data)
  }
  return hash.digest('hex').slice(0, 32)
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

interface BundleRecord {
  format: number
  files: Record<string, { size: number, sha256: string }>
}

/** Copies the cached bundle for these arguments and inputs into `outDir`; false when there is none (or it is damaged). */
export function restoreBundle(dir: string, key: string, cwd: string, outDir: string): boolean {
  let inputs: string[]
  try {
    inputs = (JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as { inputs: string[] }).inputs
  }
  catch {
    return false
  }
  const inputs2 = inputsKey(cwd, inputs)
  if (!inputs2) return false
  const entry = join(dir, `${key}-${inputs2}`)
  let record: BundleRecord
  try {
    record = JSON.parse(readFileSync(join(entry, RECORD), 'utf8')) as BundleRecord
  }
  catch {
    return false
  }
  if (record.format !== FORMAT) return false
  const files = Object.entries(record.files).map(([name, expected]) => ({ name, expected, data: readIfExists(join(entry, name)) }))
  if (files.some(({ expected, data }) => !data || data.length !== expected.size || sha256(data) !== expected.sha256)) return false
  mkdirSync(outDir, { recursive: true })
  for (const { name, data } of files) writeFileSync(join(outDir, name), data!)
  // Marks it used, for pruning.
  const now = new Date()
  utimesSync(join(entry, RECORD), now, now)
  return true
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path)
  }
  catch {
    return undefined
  }
}

let stored = 0

/**
 * Keeps the bundle esbuild just wrote to `outDir` (every file there, flat, as CDK's esbuild step
 * writes them) under `key` and its inputs, unless an input changed after `startedAt` (then the
 * bundle may hold the old text under the new text's key). An existing entry with the same name is
 * kept: it has the same content, and a sandbox may be copying from it.
 */
export function storeBundle(dir: string, key: string, cwd: string, outDir: string, inputs: readonly string[], startedAt: number): void {
  if (inputs.some(input => (statSync(join(cwd, input), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) >= startedAt)) return
  const inputs2 = inputsKey(cwd, inputs)
  if (!inputs2) return
  const tmp = join(dir, `.bundle-${process.pid}-${stored++}`)
  mkdirSync(tmp, { recursive: true })
  try {
    const record: BundleRecord = { format: FORMAT, files: {} }
    for (const entry of readdirSync(outDir, { withFileTypes: true })) {
      // CDK's esbuild step writes files only; anything else is not ours to cache.
      if (!entry.isFile()) return
      const data = readFileSync(join(outDir, entry.name))
      record.files[entry.name] = { size: data.length, sha256: sha256(data) }
      copyFileSync(join(outDir, entry.name), join(tmp, entry.name))
    }
    writeFileSync(join(tmp, RECORD), JSON.stringify(record))
    try {
      renameSync(tmp, join(dir, `${key}-${inputs2}`))
    }
    catch (error) {
      // Another sandbox stored the same bundle first: keep theirs.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
    writeAtomicallySync(join(dir, `${key}.json`), JSON.stringify({ inputs }))
  }
  finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function writeAtomicallySync(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${stored++}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}
