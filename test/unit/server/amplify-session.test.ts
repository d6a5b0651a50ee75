/**
 * The server's session rules (server/amplify/), with keys made here: which cookies make a session,
 * which read as signed out, and what happens when the user pool cannot be reached. The user pool
 * is a loopback server that serves this test's keys and, for refreshes, answers (or drops) the one
 * Cognito call Amplify makes.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import type { CookieStorage } from 'aws-amplify/adapter-core'
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRequestAmplify, createServerBackend, type AmplifyServerBackend } from '../../../server/amplify/context'
import { isTrustedCookie, parseSignInDetails, readSession } from '../../../server/amplify/session'

const REGION = 'us-east-1'
const POOL_ID = `${REGION}_TestPool1`
const CLIENT_ID = 'testclient0000000000000000'
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL_ID}`
const PREFIX = `CognitoIdentityServiceProvider.${CLIENT_ID}`
const ALICE = { sub: 'a1111111-1111-4111-8111-111111111111', email: 'alice@example.com' }
const BOB = { sub: 'b2222222-2222-4222-8222-222222222222', email: 'bob@example.com' }

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
let poolKey: Key
let attackerKey: Key
const kid = 'test-key-1'

/** What the fake user pool does with a refresh: answer with fresh tokens, or drop the connection. */
let refreshBehaviour: 'answer' | 'drop' = 'answer'
let refreshCalls = 0
let server: Server
let endpoint: string

function sign(claims: JWTPayload, { key = poolKey, expiresIn = 3600 }: { key?: Key, expiresIn?: number } = {}) {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: ISSUER, iat: now, exp: now + expiresIn, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key)
}

async function tokensFor(user: typeof ALICE, options: { key?: Key, expiresIn?: number, clientId?: string } = {}) {
  const originJti = randomUUID()
  const clientId = options.clientId ?? CLIENT_ID
  return {
    access: await sign({ sub: user.sub, client_id: clientId, token_use: 'access', scope: 'aws.cognito.signin.user.admin', username: user.sub, origin_jti: originJti }, options),
    id: await sign({ 'sub': user.sub, 'aud': clientId, 'token_use': 'id', 'email': user.email, 'cognito:username': user.sub, 'origin_jti': originJti }, options),
  }
}

/** A cookie jar as the browser would send it, recording what the server writes back. */
function jar(entries: Record<string, string>) {
  const cookies = new Map(Object.entries(entries))
  const written: string[] = []
  const adapter: CookieStorage.Adapter = {
    get: name => (cookies.has(name) ? { name, value: cookies.get(name)! } : undefined),
    getAll: () => [...cookies].map(([name, value]) => ({ name, value })),
    set(name, value) {
      written.push(name)
      cookies.set(name, value)
    },
    delete(name) {
      written.push(`-${name}`)
      cookies.delete(name)
    },
  }
  return { adapter, cookies, written }
}

function sessionCookies(user: typeof ALICE, tokens: { access: string, id: string }, extra: Record<string, string> = {}) {
  return {
    [`${PREFIX}.LastAuthUser`]: user.sub,
    [`${PREFIX}.${user.sub}.accessToken`]: tokens.access,
    [`${PREFIX}.${user.sub}.idToken`]: tokens.id,
    ...extra,
  }
}

function makeBackend(log: string[] = []): AmplifyServerBackend {
  return createServerBackend({
    version: '1.4',
    auth: { aws_region: REGION, user_pool_id: POOL_ID, user_pool_client_id: CLIENT_ID },
    custom: { offlineSandbox: { userPoolEndpoint: endpoint } },
  } as Parameters<typeof createServerBackend>[0], { log: line => log.push(line) })
}

/**
 * Runs `work` with Amplify's pauses between retries (its setTimeout) on a fake clock that moves on
 * 10 ms at every turn of the real event loop, so the loopback I/O still happens as it would.
 */
async function withoutRetryPauses(work: () => Promise<void>) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  try {
    let done = false
    const result = work().finally(() => (done = true))
    while (!done) {
      await new Promise(resolve => setImmediate(resolve))
      vi.advanceTimersByTime(10)
    }
    await result
  }
  finally {
    vi.useRealTimers()
  }
}

beforeAll(async () => {
  ;({ privateKey: poolKey } = await generateKeyPair('RS256', { extractable: true }))
  ;({ privateKey: attackerKey } = await generateKeyPair('RS256'))
  const jwk = { ...(await exportJWK(poolKey)), kid, alg: 'RS256', use: 'sig' }
  const publicJwk = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' }
  server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === `/${POOL_ID}/.well-known/jwks.json`) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }))
      return
    }
    refreshCalls++
    if (refreshBehaviour === 'drop' || request.headers['x-amz-target'] !== 'AWSCognitoIdentityProviderService.GetTokensFromRefreshToken') {
      request.socket.destroy()
      return
    }
    request.resume()
    void tokensFor(ALICE).then(tokens => response
      .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ AuthenticationResult: { AccessToken: tokens.access, IdToken: tokens.id, ExpiresIn: 3600, TokenType: 'Bearer' } })))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())))
beforeEach(() => {
  refreshBehaviour = 'answer'
  refreshCalls = 0
})

describe('which cookies make a session', () => {
  it('reads a genuine pair of one user as that user, with the sign-in details', async () => {
    const backend = makeBackend()
    const details = JSON.stringify({ loginId: ALICE.email, authFlowType: 'USER_SRP_AUTH' })
    const { adapter } = jar(sessionCookies(ALICE, await tokensFor(ALICE), { [`${PREFIX}.${ALICE.sub}.signInDetails`]: details }))
    const session = await readSession(adapter, CLIENT_ID, backend.verifier)
    expect(session).toMatchObject({ accessToken: { payload: { sub: ALICE.sub } }, idToken: { payload: { email: ALICE.email } }, signInDetails: JSON.parse(details) })
    expect(await createRequestAmplify(backend, adapter, { secure: false }).sessionUser()).toEqual({ userId: ALICE.sub, username: ALICE.sub, email: ALICE.email, groups: [] })
  })

  it.each([
    ['signed with another key under the pool key id', () => tokensFor(ALICE, { key: attackerKey })],
    ['issued to another client', () => tokensFor(ALICE, { clientId: 'otherclient000000000000000' })],
    ['tampered: the payload names another user', async () => {
      const { access, id } = await tokensFor(ALICE)
      const swap = (token: string) => {
        const [header, payload, signature] = token.split('.')
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
        return [header, Buffer.from(JSON.stringify({ ...claims, sub: BOB.sub })).toString('base64url'), signature].join('.')
      }
      return { access: swap(access), id: swap(id) }
    }],
    ['a mismatched pair: one user\'s access token with another\'s id token', async () => ({ access: (await tokensFor(ALICE)).access, id: (await tokensFor(BOB)).id })],
    ['the id token in place of the access token', async () => {
      const { id } = await tokensFor(ALICE)
      return { access: id, id }
    }],
    ['junk', async () => ({ access: 'not.a.token', id: 'x' })],
  ])('reads tokens %s as signed out', async (_, make) => {
    const backend = makeBackend()
    const { adapter } = jar(sessionCookies(ALICE, await make()))
    expect(await readSession(adapter, CLIENT_ID, backend.verifier)).toBeNull()
    expect(await createRequestAmplify(backend, adapter, { secure: false }).sessionUser()).toBeNull()
  })

  it('reads an expired but genuine session as expired, which lets it be refreshed', async () => {
    const backend = makeBackend()
    const { adapter } = jar(sessionCookies(ALICE, await tokensFor(ALICE, { expiresIn: -60 })))
    expect(await readSession(adapter, CLIENT_ID, backend.verifier)).toBe('expired')
  })

  it('never trusts the browser\'s clock drift, which could make an expired token look fresh', async () => {
    const backend = makeBackend()
    expect(await isTrustedCookie(backend.verifier, `${PREFIX}.${ALICE.sub}.clockDrift`, '-100000000')).toBe(false)
    expect(await isTrustedCookie(backend.verifier, `${PREFIX}.${ALICE.sub}.clockDrift`, '0')).toBe(false)
    expect(await isTrustedCookie(backend.verifier, `${PREFIX}.LastAuthUser`, ALICE.sub)).toBe(true)
  })

  it('keeps sign-in details only when they are what Amplify writes', () => {
    expect(parseSignInDetails('{"loginId":"a@example.com","authFlowType":"USER_SRP_AUTH"}')).toEqual({ loginId: 'a@example.com', authFlowType: 'USER_SRP_AUTH' })
    expect(parseSignInDetails('["a"]')).toBeUndefined()
    expect(parseSignInDetails('{"loginId":{"$ne":1}}')).toBeUndefined()
    expect(parseSignInDetails('{not json')).toBeUndefined()
    expect(parseSignInDetails(JSON.stringify({ loginId: 'x'.repeat(2000) }))).toBeUndefined()
  })
})

describe('refreshing a session', () => {
  it('refreshes an expired but genuine session once and sends the new tokens back as cookies', async () => {
    const backend = makeBackend()
    const { adapter, written } = jar(sessionCookies(ALICE, await tokensFor(ALICE, { expiresIn: -60 }), { [`${PREFIX}.${ALICE.sub}.refreshToken`]: 'refresh-token' }))
    const amplify = createRequestAmplify(backend, adapter, { secure: false })
    expect(await amplify.sessionUser()).toMatchObject({ userId: ALICE.sub })
    expect(await amplify.sessionUser()).toMatchObject({ userId: ALICE.sub })
    expect(refreshCalls).toBe(1)
    expect(written).toEqual(expect.arrayContaining([`${PREFIX}.${ALICE.sub}.accessToken`, `${PREFIX}.${ALICE.sub}.idToken`]))
  })

  it('reads as signed out, keeps the cookies and says why in one log line when the user pool cannot be reached', () => withoutRetryPauses(async () => {
    refreshBehaviour = 'drop'
    const log: string[] = []
    const backend = makeBackend(log)
    const cookies = sessionCookies(ALICE, await tokensFor(ALICE, { expiresIn: -60 }), { [`${PREFIX}.${ALICE.sub}.refreshToken`]: 'refresh-token' })
    const first = jar(cookies)
    const amplify = createRequestAmplify(backend, first.adapter, { secure: false })
    expect(await amplify.sessionUser()).toBeNull()
    expect(amplify.refreshFailure).toBeDefined()
    // One refresh per request (Amplify's client retries a dropped connection itself), and the
    // session is not thrown away: the pool may be back for the next request.
    const calls = refreshCalls
    expect(calls).toBeGreaterThan(0)
    expect(await amplify.sessionUser()).toBeNull()
    expect(refreshCalls).toBe(calls)
    expect(first.written.filter(name => name.startsWith('-'))).toEqual([])
    // A second request by the same user does not log again.
    expect(await createRequestAmplify(backend, jar(cookies).adapter, { secure: false }).sessionUser()).toBeNull()
    expect(log).toHaveLength(1)
    expect(log[0]).toMatch(/could not be refreshed.*signed out/)
  }))
})

describe('when the keys cannot be fetched', () => {
  it('reads every session as signed out and says so once', async () => {
    const log: string[] = []
    const backend = createServerBackend({
      version: '1.4',
      auth: { aws_region: REGION, user_pool_id: POOL_ID, user_pool_client_id: CLIENT_ID },
      // A port nothing listens on.
      custom: { offlineSandbox: { userPoolEndpoint: 'http://127.0.0.1:1' } },
    } as Parameters<typeof createServerBackend>[0], { log: line => log.push(line) })
    const { adapter } = jar(sessionCookies(ALICE, await tokensFor(ALICE)))
    expect(await readSession(adapter, CLIENT_ID, backend.verifier)).toBeNull()
    expect(await readSession(adapter, CLIENT_ID, backend.verifier)).toBeNull()
    expect(log).toHaveLength(1)
    expect(log[0]).toMatch(/cannot be checked/)
  })
})
