/**
 * The server's caches of identity-pool credentials and presigned URLs: each answers only the session
 * it was filled for, never past its expiry, and forgets a session on sign-out. Amplify's own
 * provider and `getUrl` are replaced by counting stand-ins, so every call that would have been a
 * round trip is seen.
 */
import { createAmplifyContext, type AmplifyContext } from 'aws-amplify'
import type { CredentialsAndIdentityId, CredentialsAndIdentityIdProvider, GetCredentialsOptions, JWT } from 'aws-amplify/auth'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import type { GetUrlWithPathInput } from 'aws-amplify/storage'
import { beforeEach, describe, expect, it } from 'vitest'
import { CREDENTIALS_MARGIN_MS, createCredentialsCache } from '../../../server/amplify/credentials-cache'
import { EXISTENCE_SECONDS, createUrlCache } from '../../../server/amplify/url-cache'

const HOUR = 60 * 60_000
const authConfig = { Cognito: { userPoolId: 'us-east-1_pool', userPoolClientId: 'client', identityPoolId: 'us-east-1:pool', allowGuestAccess: true } }

let now: number
const clock = () => now
beforeEach(() => {
  now = Date.UTC(2026, 11, 7, 12)
})

let issued = 0
/** Amplify's provider as the identity pool answers it: new credentials (valid an hour) on every call. */
function identityPool() {
  const calls: GetCredentialsOptions[] = []
  const provider: CredentialsAndIdentityIdProvider = {
    async getCredentialsAndIdentityId(options) {
      calls.push(options)
      const identityId = options.authenticated ? `us-east-1:user-${options.tokens!.idToken!.payload.sub}` : `us-east-1:guest-${++issued}`
      return { identityId, credentials: { accessKeyId: `AKID${++issued}`, secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(now + HOUR) } }
    },
    async clearCredentialsAndIdentityId() {},
  }
  return { provider, calls }
}

function idToken(sub: string, expiresInMs = HOUR): JWT {
  const payload = { sub, exp: Math.floor((now + expiresInMs) / 1000), jti: crypto.randomUUID() }
  const token = `header.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.signature`
  return { payload, toString: () => token }
}

const asUser = (token: JWT, extra: { forceRefresh?: boolean } = {}): GetCredentialsOptions => ({ authConfig, authenticated: true, tokens: { idToken: token, accessToken: token }, ...extra })
const asGuest = (extra: { forceRefresh?: boolean } = {}): GetCredentialsOptions => ({ authConfig, authenticated: false, ...extra })

describe('the credentials cache', () => {
  it('answers a returning user from the cache, and each user with their own credentials', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const [alice, bob] = [idToken('alice'), idToken('bob')]
    const provider = () => cache.provider(pool.provider, () => undefined)
    const first = await provider().getCredentialsAndIdentityId(asUser(alice))
    const again = await provider().getCredentialsAndIdentityId(asUser(alice))
    const other = await provider().getCredentialsAndIdentityId(asUser(bob))
    expect(pool.calls).toHaveLength(2)
    expect(again).toBe(first)
    expect(other!.credentials.accessKeyId).not.toBe(first!.credentials.accessKeyId)
    expect(other!.identityId).toBe('us-east-1:user-bob')
  })

  it('keeps a user\'s entry under their token: a new sign-in or a refresh fetches anew', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const provider = cache.provider(pool.provider, () => undefined)
    const before = await provider.getCredentialsAndIdentityId(asUser(idToken('alice')))
    const after = await provider.getCredentialsAndIdentityId(asUser(idToken('alice')))
    expect(pool.calls).toHaveLength(2)
    expect(after!.credentials.accessKeyId).not.toBe(before!.credentials.accessKeyId)
  })

  it('finds a guest by the identity their cookie names, and by nothing else', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    // A first visit: no cookie yet; Cognito names the identity, kept under it.
    const first = await cache.provider(pool.provider, () => undefined).getCredentialsAndIdentityId(asGuest())
    const returning = await cache.provider(pool.provider, () => first!.identityId).getCredentialsAndIdentityId(asGuest())
    const otherGuest = await cache.provider(pool.provider, () => 'us-east-1:someone-else').getCredentialsAndIdentityId(asGuest())
    const newcomer = await cache.provider(pool.provider, () => undefined).getCredentialsAndIdentityId(asGuest())
    expect(returning).toBe(first)
    expect(pool.calls).toHaveLength(3)
    for (const other of [otherGuest, newcomer]) expect(other!.credentials.accessKeyId).not.toBe(first!.credentials.accessKeyId)
  })

  it('never answers a user with a guest\'s entry or a guest with a user\'s', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const token = idToken('alice')
    const user = await cache.provider(pool.provider, () => undefined).getCredentialsAndIdentityId(asUser(token))
    // A guest whose cookie names the user's identity id.
    const guest = await cache.provider(pool.provider, () => user!.identityId).getCredentialsAndIdentityId(asGuest())
    expect(guest).not.toBe(user)
    const userAgain = await cache.provider(pool.provider, () => user!.identityId).getCredentialsAndIdentityId(asUser(token))
    expect(userAgain).toBe(user)
    expect(pool.calls.map(call => call.authenticated)).toEqual([true, false])
  })

  it('never hands out credentials in their last minutes, nor past the user\'s token', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const provider = cache.provider(pool.provider, () => undefined)
    const token = idToken('alice')
    await provider.getCredentialsAndIdentityId(asUser(token))
    now += HOUR - CREDENTIALS_MARGIN_MS - 1
    await provider.getCredentialsAndIdentityId(asUser(token))
    expect(pool.calls).toHaveLength(1)
    now += 1
    await provider.getCredentialsAndIdentityId(asUser(token))
    expect(pool.calls).toHaveLength(2)

    // A token that expires in 10 minutes: its credentials are kept only 5 of them.
    const short = idToken('bob', 10 * 60_000)
    await provider.getCredentialsAndIdentityId(asUser(short))
    now += 5 * 60_000
    await provider.getCredentialsAndIdentityId(asUser(short))
    expect(pool.calls).toHaveLength(4)
  })

  it('fetches anew when asked to refresh', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const provider = cache.provider(pool.provider, () => undefined)
    const token = idToken('alice')
    const kept = await provider.getCredentialsAndIdentityId(asUser(token))
    const refreshed = await provider.getCredentialsAndIdentityId(asUser(token, { forceRefresh: true }))
    expect(refreshed).not.toBe(kept)
    expect(await provider.getCredentialsAndIdentityId(asUser(token))).toBe(refreshed)
  })

  it('forgets a session on sign-out, and only that one', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const [alice, bob] = [idToken('alice'), idToken('bob')]
    const provider = cache.provider(pool.provider, () => undefined)
    const aliceKept = await provider.getCredentialsAndIdentityId(asUser(alice))
    const bobKept = await provider.getCredentialsAndIdentityId(asUser(bob))
    const guest = await provider.getCredentialsAndIdentityId(asGuest())
    cache.forget({ idToken: alice.toString() })
    expect(await provider.getCredentialsAndIdentityId(asUser(alice))).not.toBe(aliceKept)
    expect(await provider.getCredentialsAndIdentityId(asUser(bob))).toBe(bobKept)
    cache.forget({ guestIdentityId: guest!.identityId })
    expect(await cache.provider(pool.provider, () => guest!.identityId).getCredentialsAndIdentityId(asGuest())).not.toBe(guest)
  })

  it('drops the guest identity a sign-in merges into the user\'s', async () => {
    const cache = createCredentialsCache({ now: clock })
    const pool = identityPool()
    const guest = await cache.provider(pool.provider, () => undefined).getCredentialsAndIdentityId(asGuest())
    const cookie = () => guest!.identityId
    await cache.provider(pool.provider, cookie).getCredentialsAndIdentityId(asUser(idToken('alice')))
    expect(await cache.provider(pool.provider, cookie).getCredentialsAndIdentityId(asGuest())).not.toBe(guest)
  })

  it('holds a bounded number of sessions', async () => {
    const cache = createCredentialsCache({ now: clock, max: 2 })
    const pool = identityPool()
    const provider = cache.provider(pool.provider, () => undefined)
    const tokens = ['a', 'b', 'c'].map(sub => idToken(sub))
    for (const token of tokens) await provider.getCredentialsAndIdentityId(asUser(token))
    expect(cache.size).toBe(2)
    await provider.getCredentialsAndIdentityId(asUser(tokens[0]!))
    expect(pool.calls).toHaveLength(4)
  })
})

describe('the URL cache', () => {
  /** A context whose session is `session` (one credentials object per session, as the cache above keeps them). */
  function contextOf(session: CredentialsAndIdentityId): AmplifyContext {
    return createAmplifyContext({ Auth: authConfig }, {
      Auth: {
        tokenProvider: { getTokens: async () => null },
        credentialsProvider: { getCredentialsAndIdentityId: async () => session, clearCredentialsAndIdentityId: async () => {} },
      },
    })
  }
  const session = (id: string): CredentialsAndIdentityId => ({ identityId: `us-east-1:${id}`, credentials: { accessKeyId: `AKID-${id}`, secretAccessKey: 's', expiration: new Date(now + HOUR) } })

  /** Amplify's getUrl as it signs: a URL naming the caller's key, valid for what was asked (an hour at most). */
  function signer() {
    const calls: GetUrlWithPathInput[] = []
    let serial = 0
    const sign = (async (context: AmplifyContext, input: GetUrlWithPathInput) => {
      calls.push(input)
      const { credentials } = await fetchAuthSession(context)
      const seconds = Math.min(input.options?.expiresIn ?? 900, 3600)
      return { url: new URL(`https://bucket.example/${String(input.path)}?key=${credentials!.accessKeyId}&n=${++serial}`), expiresAt: new Date(now + seconds * 1000) }
    }) as never
    return { sign, calls }
  }

  it('reuses a URL for the same session and path, and never for another session', async () => {
    const { sign, calls } = signer()
    const cache = createUrlCache({ now: clock, sign })
    const alice = contextOf(session('alice'))
    const first = await cache.getUrl(alice, { path: 'public/a.png', options: { expiresIn: 3600 } })
    const again = await cache.getUrl(alice, { path: 'public/a.png', options: { expiresIn: 3600 } })
    const bob = await cache.getUrl(contextOf(session('bob')), { path: 'public/a.png', options: { expiresIn: 3600 } })
    expect(again.url.href).toBe(first.url.href)
    expect(again.url).not.toBe(first.url)
    expect(bob.url.searchParams.get('key')).toBe('AKID-bob')
    expect(calls).toHaveLength(2)
    // Other options are another URL.
    await cache.getUrl(alice, { path: 'public/a.png', options: { expiresIn: 60 } })
    expect(calls).toHaveLength(3)
  })

  it('resolves a path by the session\'s own identity', async () => {
    const { sign, calls } = signer()
    const cache = createUrlCache({ now: clock, sign })
    const url = await cache.getUrl(contextOf(session('carol')), { path: ({ identityId }) => `attachments/${identityId}/x.txt` })
    expect(url.url.pathname).toBe('/attachments/us-east-1:carol/x.txt')
    expect(calls[0]!.path).toBe('attachments/us-east-1:carol/x.txt')
  })

  it('signs again before a kept URL expires', async () => {
    const { sign, calls } = signer()
    const cache = createUrlCache({ now: clock, sign })
    const alice = contextOf(session('alice'))
    const input = { path: 'public/a.png', options: { expiresIn: 600 } }
    await cache.getUrl(alice, input)
    // A 10-minute URL is reused for its first 5 minutes only.
    now += 5 * 60_000 - 1
    await cache.getUrl(alice, input)
    expect(calls).toHaveLength(1)
    now += 1
    const fresh = await cache.getUrl(alice, input)
    expect(calls).toHaveLength(2)
    expect(fresh.expiresAt.getTime()).toBe(now + 600_000)
  })

  it('knows a file that ships with the backend exists, and asks S3 again once its time is up', async () => {
    const { sign, calls } = signer()
    const cache = createUrlCache({ now: clock, sign, defaultBucket: 'files', deployedFiles: { files: ['public/splash.png'] } })
    const input = { path: 'public/splash.png', options: { validateObjectExistence: true, expiresIn: 3600 } }
    const [guest1, guest2, guest3] = ['guest-1', 'guest-2', 'guest-3'].map(id => contextOf(session(id)))
    await cache.getUrl(guest1!, input)
    await cache.getUrl(guest2!, input)
    expect(calls.map(call => call.options?.validateObjectExistence)).toEqual([false, false])
    now += EXISTENCE_SECONDS * 1000
    await cache.getUrl(guest1!, input)
    await cache.getUrl(guest2!, input)
    await cache.getUrl(guest3!, input)
    // Checked by the first caller after the time was up (guest-2's URL was still kept), then known
    // again for everyone.
    expect(calls.map(call => call.options?.validateObjectExistence)).toEqual([false, false, true, false])
  })

  it('checks any other file on every call, as Amplify does', async () => {
    const { sign, calls } = signer()
    const cache = createUrlCache({ now: clock, sign, defaultBucket: 'files', deployedFiles: { files: ['public/splash.png'] } })
    const alice = contextOf(session('alice'))
    const other = { path: 'public/other.png', options: { validateObjectExistence: true } }
    const inAnotherBucket = { path: 'public/splash.png', options: { validateObjectExistence: true, bucket: 'elsewhere' } }
    for (const input of [other, other, inAnotherBucket]) await cache.getUrl(alice, input)
    expect(calls.map(call => call.options?.validateObjectExistence)).toEqual([true, true, true])
  })

  it('passes a failed existence check on, and keeps nothing from it', async () => {
    let missing = true
    const calls: GetUrlWithPathInput[] = []
    const sign = (async (_context: AmplifyContext, input: GetUrlWithPathInput) => {
      calls.push(input)
      if (missing && input.options?.validateObjectExistence) throw Object.assign(new Error('Not Found'), { name: 'NotFound' })
      return { url: new URL('https://bucket.example/public/splash.png'), expiresAt: new Date(now + HOUR) }
    }) as never
    const cache = createUrlCache({ now: clock, sign, defaultBucket: 'files', deployedFiles: { files: ['public/splash.png'] } })
    const alice = contextOf(session('alice'))
    const input = { path: 'public/splash.png', options: { validateObjectExistence: true } }
    now += EXISTENCE_SECONDS * 1000
    await expect(cache.getUrl(alice, input)).rejects.toThrow('Not Found')
    await expect(cache.getUrl(alice, input)).rejects.toThrow('Not Found')
    missing = false
    await cache.getUrl(alice, input)
    await cache.getUrl(alice, input)
    expect(calls).toHaveLength(3)
  })
})
