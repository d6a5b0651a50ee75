/**
 * What the local Lambda runtime (sandbox/functions/runtime.ts) says about the Node.js version it
 * runs functions on. The runtime's processes are tested in test/e2e/sandbox/lambda-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { runtimeVersionNote } from '../../../sandbox/functions/runtime'

describe('the Node.js version functions run on', () => {
  it('says once, in one line, when Lambda would run them on a newer Node.js than this machine', () => {
    expect(runtimeVersionNote(['nodejs22.x', 'nodejs20.x'], '20.19.0'))
      .toBe('Functions run on Node 20 here, Lambda runs them on Node 22 (nodejs22.x); Node 20 is past end of life.')
    expect(runtimeVersionNote(['nodejs24.x'], '22.12.0')).toBe('Functions run on Node 22 here, Lambda runs them on Node 24 (nodejs24.x).')
    expect(runtimeVersionNote(['nodejs22.x'], '22.12.0')).toBeUndefined()
    expect(runtimeVersionNote(['nodejs22.x'], '24.1.0')).toBeUndefined()
    // No functions, or none on Node.js: nothing to say.
    expect(runtimeVersionNote([], '20.19.0')).toBeUndefined()
    expect(runtimeVersionNote(['python3.12'], '20.19.0')).toBeUndefined()
  })
})
