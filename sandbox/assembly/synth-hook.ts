/**
 * Loaded into the synth process (`node --import tsx --import ./synth-hook.ts amplify/backend.ts`,
 * see synth.ts): CDK's function bundling goes through the bundle cache (./bundles.ts) and runs
 * the project's esbuild directly instead of through `npx`. CDK calls `spawnSync` from
 * `child_process` at bundling time, which is what is wrapped here; every other call passes through.
 */
import childProcess, { type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { argsKey, esbuildArguments, outputDir, projectInputs, restoreBundle, storeBundle } from './bundles'
import { nearestLockFile } from './synth'

/** Set by synth.ts: where bundles are kept. */
const cacheDir = process.env.SANDBOX_BUNDLE_CACHE
const original = childProcess.spawnSync

/** The lockfile synth keys on (./synth.ts), read once per synth process and folder. */
const lockFiles = new Map<string, string>()
function lockFileText(dir: string): string {
  let text = lockFiles.get(dir)
  if (text === undefined) {
    const path = nearestLockFile(dir)
    lockFiles.set(dir, (text = path ? readFileSync(path, 'utf8') : ''))
  }
  return text
}

function bundle(args: string[], options: SpawnSyncOptions): SpawnSyncReturns<Buffer> {
  const cwd = String(options.cwd ?? process.cwd())
  const require = createRequire(join(cwd, 'package.json'))
  const esbuild = require.resolve('esbuild/bin/esbuild')
  const version = (JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')) as { version: string }).version
  const key = argsKey(args, cwd, version, lockFileText(cwd))
  const outDir = outputDir(args)
  const done = { pid: 0, output: [null, null, null], stdout: null, stderr: null, status: 0, signal: null } as unknown as SpawnSyncReturns<Buffer>
  if (restoreBundle(cacheDir!, key, cwd, outDir)) return done

  mkdirSync(cacheDir!, { recursive: true })
  const metafile = join(cacheDir!, `.meta-${process.pid}-${Date.now()}.json`)
  const startedAt = Date.now()
  const result = original(esbuild, [...args, `--metafile=${metafile}`], options) as SpawnSyncReturns<Buffer>
  try {
    if (result.status === 0 && !result.error) {
      const inputs = projectInputs(JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> }, cwd)
      storeBundle(cacheDir!, key, cwd, outDir, inputs, startedAt)
    }
  }
  finally {
    rmSync(metafile, { force: true })
  }
  return result
}

if (cacheDir) {
  childProcess.spawnSync = function spawnSync(command: string, ...rest: unknown[]) {
    const args = Array.isArray(rest[0]) ? (rest[0] as string[]) : undefined
    const esbuildArgs = args && esbuildArguments(command, args)
    if (esbuildArgs) return bundle(esbuildArgs, (rest[1] ?? {}) as SpawnSyncOptions)
    return (original as (...a: unknown[]) => unknown)(command, ...rest)
  } as typeof childProcess.spawnSync
}
