/**
 * The unit tier starts no processes: every way `node:child_process` has of starting one throws.
 * A test that needs a real process (a function's, a synth's) belongs in test/e2e/sandbox/.
 * Vitest's own workers are already running when this file is loaded, so they are not affected.
 */
import childProcess from 'node:child_process'
import { syncBuiltinESMExports } from 'node:module'

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const

for (const name of STARTERS) {
  childProcess[name] = (() => {
    throw new Error(`child_process.${name}() was called in a unit test: the unit tier starts no processes. Move the test to test/e2e/sandbox/, or give the code under test a seam for a fake.`)
  }) as never
}
// `import { spawn } from 'node:child_process'` reads the ES module's copy of the exports: update it too.
syncBuiltinESMExports()
