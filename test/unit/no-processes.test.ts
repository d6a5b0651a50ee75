/**
 * The unit tier is pure: test/unit/setup.ts makes every way of starting a process throw, however
 * the code under test imports it.
 */
import * as childProcess from 'node:child_process'
import { execFile, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

describe('a unit test', () => {
  it('cannot start a process, by a named import, the module object, require or a promisified call', async () => {
    const refusal = /the unit tier starts no processes/
    expect(() => spawn('node', ['--version'])).toThrow(refusal)
    expect(() => execFile('node', ['--version'])).toThrow(refusal)
    for (const name of ['spawnSync', 'exec', 'execSync', 'execFileSync', 'fork'] as const) {
      expect(() => (childProcess[name] as (command: string) => unknown)('node'), name).toThrow(refusal)
    }
    expect(() => createRequire(import.meta.url)('node:child_process').spawnSync('node')).toThrow(refusal)
    await expect(promisify(childProcess.exec)('node --version')).rejects.toThrow(refusal)
  })
})
