/**
 * The data API's key, kept as AppSync keeps the one an `AWS::AppSync::ApiKey` creates:
 * - a `da2-` key made once and kept for as long as the resource exists under the same logical id
 *   (a new logical id is a new key: Amplify's documented way to rotate one);
 * - every deploy sets its expiry to `expiresInDays` from the deploy, as a CloudFormation update of
 *   `Expires` does; a start or reload of the sandbox is a deploy (`ampx sandbox` deploys on every
 *   start), and an expired key is reinstated by it, as AppSync's UpdateApiKey allows until the key
 *   is deleted 60 days after expiring;
 * - between deploys it expires, and requests with it are refused.
 * https://docs.amplify.aws/react/build-a-backend/data/customize-authz/public-data-access/
 * https://docs.aws.amazon.com/appsync/latest/APIReference/API_ApiKey.html
 */
import { randomInt, timingSafeEqual } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readJsonIfExists, writeAtomically } from '../core/fs'

/** What the definition says about the key. */
export interface ApiKeySetting {
  /** The `AWS::AppSync::ApiKey`'s logical id. */
  logicalId: string
  /** How long a deploy makes the key valid: `expiresInDays`, in milliseconds. */
  lifetimeMs: number
}

export interface ApiKey {
  /** `da2-` and 26 lowercase alphanumerics. */
  value: string
  logicalId: string
  /** ISO times. */
  createdAt: string
  expiresAt: string
}

export type ApiKeyCheck = 'valid' | 'invalid' | 'expired'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
/** AppSync's default when `Expires` is not set. */
const DEFAULT_LIFETIME_MS = 7 * DAY_MS
/** AppSync deletes a key this long after it expired; until then a deploy reinstates it. */
const DELETED_AFTER_MS = 60 * DAY_MS
const FILE = 'api-key.json'
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * `expiresInDays`, read back from what synth made of it: `Expires` is "now + expiresInDays" taken
 * when synth ran, so the lifetime is its distance from the synth's time (rounded to the hour, the
 * precision AppSync keeps expiry times in).
 */
export function apiKeyLifetimeMs(expires: unknown, synthesizedAt: Date): number {
  if (typeof expires !== 'number') return DEFAULT_LIFETIME_MS
  return Math.round((expires * 1000 - synthesizedAt.getTime()) / HOUR_MS) * HOUR_MS
}

/**
 * Deploys the key of a definition (`setting`), or removes it when the definition has none. Resolves
 * to the key now served and what the developer should be told; rejects with AppSync's
 * ApiKeyValidityOutOfBoundsException message when the lifetime is out of its bounds, as a deploy fails.
 */
export async function deployApiKey(dir: string, setting: ApiKeySetting | undefined, now = new Date()): Promise<{ key?: ApiKey, notes: string[] }> {
  const file = join(dir, FILE)
  if (!setting) {
    await rm(file, { force: true })
    return { notes: [] }
  }
  if (setting.lifetimeMs < DAY_MS) throw new Error('API key must be valid for a minimum of 1 days (ApiKeyValidityOutOfBoundsException): raise apiKeyAuthorizationMode.expiresInDays.')
  if (setting.lifetimeMs > 365 * DAY_MS) throw new Error('API key must be valid for a maximum of 365 days (ApiKeyValidityOutOfBoundsException): lower apiKeyAuthorizationMode.expiresInDays.')

  let stored: ApiKey | undefined
  try {
    stored = await readJsonIfExists<ApiKey>(file)
  }
  catch {
    // A damaged file loses nothing the developer made: the key is only ever read from the outputs.
    stored = undefined
  }
  // AppSync expiry times are whole hours, rounded down.
  const expiresAt = new Date(Math.floor((now.getTime() + setting.lifetimeMs) / HOUR_MS) * HOUR_MS).toISOString()
  const notes: string[] = []
  let key: ApiKey
  if (!isApiKey(stored) || stored.logicalId !== setting.logicalId) {
    key = { value: `da2-${randomId(26)}`, logicalId: setting.logicalId, createdAt: now.toISOString(), expiresAt }
    notes.push(`New API key ${key.value}, valid until ${key.expiresAt} (amplify_outputs.json has it)`)
  }
  else if (now.getTime() > Date.parse(stored.expiresAt) + DELETED_AFTER_MS) {
    key = { value: `da2-${randomId(26)}`, logicalId: setting.logicalId, createdAt: now.toISOString(), expiresAt }
    notes.push(`The API key expired on ${stored.expiresAt} and was deleted 60 days later, as AppSync deletes expired keys: new key ${key.value}, valid until ${key.expiresAt} (amplify_outputs.json has it)`)
  }
  else {
    if (Date.parse(stored.expiresAt) <= now.getTime()) notes.push(`The API key had expired on ${stored.expiresAt}: this deploy reinstated it until ${expiresAt}`)
    key = { ...stored, expiresAt }
  }
  await writeAtomically(file, `${JSON.stringify(key, null, 2)}\n`)
  return { key, notes }
}

/** Whether `presented` is the key, and still valid at `now`. */
export function checkApiKey(key: ApiKey | undefined, presented: string, now = new Date()): ApiKeyCheck {
  if (!key) return 'invalid'
  const expected = Buffer.from(key.value)
  const given = Buffer.from(presented)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
  return Date.parse(key.expiresAt) > now.getTime() ? 'valid' : 'expired'
}

function isApiKey(value: unknown): value is ApiKey {
  const key = value as Partial<ApiKey> | undefined
  return typeof key?.value === 'string' && /^da2-[a-z0-9]{26}$/.test(key.value) && typeof key.logicalId === 'string'
    && typeof key.createdAt === 'string' && typeof key.expiresAt === 'string' && !Number.isNaN(Date.parse(key.expiresAt))
}

function randomId(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
}
