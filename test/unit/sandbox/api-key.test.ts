import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { apiKeyLifetimeMs, checkApiKey, deployApiKey } from '../../../sandbox/appsync/api-key'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const setting = { logicalId: 'amplifyDataGraphQLAPIDefaultApiKey1C8ED374', lifetimeMs: 7 * DAY }
const at = (iso: string) => new Date(iso)

describe('the data API key', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-key-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('reads expiresInDays back from the Expires synth computed from its own clock', () => {
    const synthesizedAt = at('2026-12-01T15:27:30Z')
    // CDK takes "now" a moment before it writes the template.
    expect(apiKeyLifetimeMs(Math.floor(synthesizedAt.getTime() / 1000) + 7 * 86_400 - 2, synthesizedAt)).toBe(7 * DAY)
    expect(apiKeyLifetimeMs(Math.floor(synthesizedAt.getTime() / 1000) + 365 * 86_400, synthesizedAt)).toBe(365 * DAY)
    // AppSync's default when a key has no Expires.
    expect(apiKeyLifetimeMs(undefined, synthesizedAt)).toBe(7 * DAY)
  })

  it('is made once, da2- and 26 lowercase alphanumerics, valid until the hour expiresInDays from the deploy', async () => {
    const { key, notes } = await deployApiKey(dir, setting, at('2026-12-01T15:27:30Z'))
    expect(key!.value).toMatch(/^da2-[a-z0-9]{26}$/)
    expect(key!.expiresAt).toBe('2026-12-08T15:00:00.000Z')
    expect(notes).toEqual([expect.stringContaining(key!.value)])

    // The next deploy keeps the key and renews its expiry, silently.
    const again = await deployApiKey(dir, setting, at('2026-12-03T09:10:00Z'))
    expect(again.key).toMatchObject({ value: key!.value, createdAt: key!.createdAt, expiresAt: '2026-12-10T09:00:00.000Z' })
    expect(again.notes).toEqual([])
    expect(JSON.parse(await readFile(join(dir, 'api-key.json'), 'utf8'))).toEqual(again.key)
  })

  it('refuses a wrong key, and the right one once it expired', async () => {
    const { key } = await deployApiKey(dir, setting, at('2026-12-01T15:27:30Z'))
    expect(checkApiKey(key, key!.value, at('2026-12-08T14:59:59Z'))).toBe('valid')
    expect(checkApiKey(key, key!.value, at('2026-12-08T15:00:00Z'))).toBe('expired')
    const wrong = key!.value.slice(0, -1) + (key!.value.endsWith('a') ? 'b' : 'a')
    expect(checkApiKey(key, wrong, at('2026-12-02T00:00:00Z'))).toBe('invalid')
    expect(checkApiKey(key, 'da2-short', at('2026-12-02T00:00:00Z'))).toBe('invalid')
    expect(checkApiKey(undefined, key!.value)).toBe('invalid')
  })

  it('reinstates an expired key on the next deploy, and replaces one AppSync would have deleted', async () => {
    const { key } = await deployApiKey(dir, setting, at('2026-12-01T15:27:30Z'))
    // Expired on Dec 8; AppSync keeps it 60 more days, and a deploy may extend it until then.
    const reinstated = await deployApiKey(dir, setting, at('2027-01-20T10:00:00Z'))
    expect(reinstated.key).toMatchObject({ value: key!.value, expiresAt: '2027-01-27T10:00:00.000Z' })
    expect(reinstated.notes).toEqual([expect.stringMatching(/had expired on 2026-12-08T15:00:00.000Z: this deploy reinstated it until 2027-01-27T10:00:00.000Z/)])

    const replaced = await deployApiKey(dir, setting, at('2027-04-01T10:00:00Z'))
    expect(replaced.key!.value).not.toBe(key!.value)
    expect(replaced.notes).toEqual([expect.stringMatching(/deleted 60 days later.*new key da2-/)])
  })

  it('is a new key under a new logical id (Amplify\'s rotation), and gone with the resource', async () => {
    const { key } = await deployApiKey(dir, setting, at('2026-12-01T15:27:30Z'))
    const rotated = await deployApiKey(dir, { ...setting, logicalId: 'recoverApiKey1733900000000' }, at('2026-12-02T00:00:00Z'))
    expect(rotated.key!.value).not.toBe(key!.value)

    expect(await deployApiKey(dir, undefined)).toEqual({ notes: [] })
    // Added back, it is another key, as CloudFormation would create another.
    expect((await deployApiKey(dir, { ...setting, logicalId: 'recoverApiKey1733900000000' })).key!.value).not.toBe(rotated.key!.value)
  })

  it('fails the deploy, as AppSync does, for a lifetime outside 1 to 365 days', async () => {
    await expect(deployApiKey(dir, { ...setting, lifetimeMs: 12 * HOUR })).rejects.toThrow(/minimum of 1 days/)
    await expect(deployApiKey(dir, { ...setting, lifetimeMs: 366 * DAY })).rejects.toThrow(/maximum of 365 days/)
  })

  it('makes a new key when the stored one is unreadable', async () => {
    await writeFile(join(dir, 'api-key.json'), '{not json')
    expect((await deployApiKey(dir, setting)).key!.value).toMatch(/^da2-[a-z0-9]{26}$/)
  })
})
