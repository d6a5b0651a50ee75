/**
 * The synth process (`node --import tsx [--import ./synth-hook.ts] synth-runner.ts`, cwd the
 * project; see synth.ts). It loads the backend's libraries first (`@aws-amplify/backend`, and with
 * it aws-cdk-lib: most of a synth's time), then waits to be told where to write, and only then
 * imports the project's `amplify/backend.ts`, fresh. So a process started ahead of need (while the
 * developer edits) synthesizes in a fraction of a cold one, and never serves a stale definition.
 * CDK synthesizes the app when the process is about to exit.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const projectDir = process.cwd()

async function preload(): Promise<void> {
  try {
    const require = createRequire(join(projectDir, 'package.json'))
    await import(pathToFileURL(require.resolve('@aws-amplify/backend')).href)
  }
  catch {
    // A project without it fails in backend.ts, with its own error.
  }
}

const loaded = preload()
process.once('message', (message: { outDir?: unknown }) => {
  void loaded.then(async () => {
    if (typeof message.outDir !== 'string') throw new Error('synth-runner: no output folder')
    process.env.CDK_OUTDIR = message.outDir
    // Nothing keeps the process alive after the import but the app's own work: CDK synthesizes at exit.
    process.disconnect?.()
    await import(pathToFileURL(join(projectDir, 'amplify', 'backend.ts')).href)
  })
})
process.send?.('listening')
