import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateKeys, type PoolKeys } from '../../../sandbox/cognito/tokens'

let keys: Promise<PoolKeys> | undefined

/**
 * One user pool key pair, made as the pool makes its own, for the tests that only need tokens
 * signed: a 2048-bit RSA key takes a tenth of a second to several, and a unit worker keeps this module.
 */
export function testPoolKeys(): Promise<PoolKeys> {
  keys ??= mkdtemp(join(tmpdir(), 'pool-keys-')).then(async (dir) => {
    try {
      return await loadOrCreateKeys(dir)
    }
    finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
  return keys
}
