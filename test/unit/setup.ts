/**
 * What every unit test runs with. The unit tier starts no processes: every way `node:child_process`
 * has of starting one throws (a test that needs a real process, a function's or a synth's, belongs
 * in test/e2e/sandbox/). Vitest's own workers are already running when this file is loaded.
 */
import childProcess from 'node:child_process'
import { syncBuiltinESMExports } from 'node:module'
import { expect } from 'vitest'

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const

for (const name of STARTERS) {
  childProcess[name] = (() => {
    throw new Error(`child_process.${name}() was called in a unit test: the unit tier starts no processes. Move the test to test/e2e/sandbox/, or give the code under test a seam for a fake.`)
  }) as never
}
// `import { spawn } from 'node:child_process'` reads the ES module's copy of the exports: update it too.
syncBuiltinESMExports()

// Buffers compare in one call: vitest's own equality walks them a byte at a time, about a second
// for a 100 kB upload body. Added once per worker, as this file runs again before every test file.
const SAME_BYTES = Symbol.for('unit-setup:same-bytes')
const worker = globalThis as { [SAME_BYTES]?: true }
if (!worker[SAME_BYTES]) {
  worker[SAME_BYTES] = true
  expect.addEqualityTesters([(a: unknown, b: unknown) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined)])
}
