import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LEGACY_API_ID, loadOrCreateIds, localBucketName } from '../../../sandbox/core/ids'

/** aws-amplify's own test (storage/dist/esm/providers/s3/utils/client/s3data/base.mjs, isDnsCompatibleBucketName). */
const dnsCompatible = (name: string) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !/(\d+\.){3}\d+/.test(name) && !/\.\./.test(name)

describe('sandbox ids', () => {
  let dir: string
  const stored = async () => JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as Record<string, unknown>

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-ids-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('makes AWS-shaped ids for a new sandbox and keeps them', async () => {
    const ids = await loadOrCreateIds(dir)
    expect(ids).toEqual({
      region: 'us-east-1',
      accountId: expect.stringMatching(/^\d{12}$/),
      userPoolId: expect.stringMatching(/^us-east-1_[A-Za-z0-9]{9}$/),
      clientId: expect.stringMatching(/^[a-z0-9]{26}$/),
      apiId: expect.stringMatching(/^[a-z0-9]{26}$/),
      identityPoolId: expect.stringMatching(/^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      bucketSuffix: expect.stringMatching(/^[a-z][a-z0-9]{11}$/),
    })
    expect(ids.apiId).not.toBe(LEGACY_API_ID)
    expect(await stored()).toEqual({ version: 2, ...ids })
    expect(await loadOrCreateIds(dir)).toEqual(ids)
  })

  it('moves a sandbox.json from before version 2 to the API id its tables are named after', async () => {
    // What earlier sandboxes wrote: a random apiId that the data API never used.
    const old = { region: 'us-east-1', userPoolId: 'us-east-1_AbCdEfGh1', clientId: 'c'.repeat(26), apiId: 'r'.repeat(26) }
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify(old))
    const ids = await loadOrCreateIds(dir)
    expect(ids).toEqual({ ...old, accountId: '000000000000', apiId: LEGACY_API_ID, identityPoolId: expect.stringMatching(/^us-east-1:/), bucketSuffix: expect.any(String) })
    expect(await stored()).toEqual({ ...old, accountId: '000000000000', apiId: LEGACY_API_ID, identityPoolId: ids.identityPoolId, bucketSuffix: ids.bucketSuffix, version: 2 })
    // Migrated once: the next start reads the same ids.
    expect(await loadOrCreateIds(dir)).toEqual(ids)
  })

  it('adds an id a sandbox lacks and keeps what it does not know', async () => {
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify({ version: 2, region: 'eu-west-1', accountId: '000000000000', userPoolId: 'eu-west-1_AbCdEfGh1', apiId: 'a'.repeat(26), futureId: 'x' }))
    const ids = await loadOrCreateIds(dir)
    expect(ids.clientId).toMatch(/^[a-z0-9]{26}$/)
    // A sandbox made before the identity pool gets one in its own region, keeping every other id.
    expect(ids.identityPoolId).toMatch(/^eu-west-1:[0-9a-f-]{36}$/)
    expect(ids.apiId).toBe('a'.repeat(26))
    expect(await stored()).toMatchObject({ clientId: ids.clientId, futureId: 'x', version: 2 })
  })

  it('refuses a damaged sandbox.json rather than replacing the ids users and items depend on', async () => {
    await writeFile(join(dir, 'sandbox.json'), '{"region": "us-east-1", ')
    await expect(loadOrCreateIds(dir)).rejects.toThrow(/sandbox\.json is not valid JSON .*--reset/)
    await writeFile(join(dir, 'sandbox.json'), JSON.stringify({ version: 2, userPoolId: 42 }))
    await expect(loadOrCreateIds(dir)).rejects.toThrow(/sandbox\.json: userPoolId is not a string/)
  })

  it('names buckets so aws-amplify reaches them by path: DNS-valid, with a dot, at most 63 characters', () => {
    const ids = { bucketSuffix: 'k3x9m2p7q4zt' }
    expect(localBucketName(ids, 'files')).toBe('files.k3x9m2p7q4zt')
    expect(localBucketName(ids, 'Profile_Pictures')).toBe('profile-pictures.k3x9m2p7q4zt')
    expect(localBucketName(ids, '--')).toBe('bucket.k3x9m2p7q4zt')
    expect(localBucketName(ids, '10.0.0.1')).toBe('10-0-0-1.k3x9m2p7q4zt')
    const long = localBucketName(ids, `${'a'.repeat(60)}-b`)
    expect(long.length).toBeLessThanOrEqual(63)
    for (const name of ['files', 'Profile_Pictures', '--', '10.0.0.1', `${'a'.repeat(60)}-b`, 'x']) {
      const bucket = localBucketName(ids, name)
      expect(dnsCompatible(bucket), bucket).toBe(true)
      expect(bucket).toContain('.')
    }
  })
})
