/**
 * The server half of SRP against an independent client: amazon-cognito-identity-js, Cognito's
 * older official JS SDK (its own SRP code on jsbn and @aws-crypto, separate from aws-amplify v6).
 */
import { randomBytes } from 'node:crypto'
import { AuthenticationDetails, AuthenticationHelper, CognitoUser, CognitoUserPool, DateHelper } from 'amazon-cognito-identity-js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as srp from '../../../sandbox/cognito/srp'

const POOL_ID = 'us-east-1_Srp42Pool'
const POOL_NAME = 'Srp42Pool'
/** The user as SRP names it (the sandbox's usernames are subs). */
const USER_ID = '3f0c1e5a-9d2b-4c7e-8a41-2b6f0d9e7c13'
const PASSWORD = 'Corr3ct-horse!'

type Callback = (error: { code: string, name: string, message: string } | null, data?: unknown) => void

/**
 * A stand-in for Cognito's endpoint built on nothing but the srp module: InitiateAuth answers a
 * PASSWORD_VERIFIER challenge, RespondToAuthChallenge accepts exactly the signatures
 * `expectedSignature` computes.
 */
function srpEndpoint(stored: { salt: string, verifier: string }) {
  let challenge: { A: bigint, B: bigint, b: bigint } | undefined
  const seen: { timestamp?: string } = {}
  const request = (operation: string, params: Record<string, Record<string, string>>, callback: Callback) => {
    if (operation === 'InitiateAuth') {
      const A = srp.parseClientA(params.AuthParameters?.SRP_A ?? '')
      if (A === undefined) return callback({ code: 'InvalidParameterException', name: 'InvalidParameterException', message: 'Invalid SRP_A value.' })
      const { b, B } = srp.createServerEphemeral(stored.verifier)
      challenge = { A, B, b }
      return callback(null, {
        ChallengeName: 'PASSWORD_VERIFIER',
        ChallengeParameters: { SALT: stored.salt, SRP_B: B.toString(16), SECRET_BLOCK: randomBytes(64).toString('base64'), USERNAME: USER_ID, USER_ID_FOR_SRP: USER_ID },
      })
    }
    const { USERNAME: userId, TIMESTAMP: timestamp, PASSWORD_CLAIM_SECRET_BLOCK: secretBlock, PASSWORD_CLAIM_SIGNATURE: signature } = params.ChallengeResponses ?? {}
    if (!userId || !timestamp || !secretBlock || !signature) {
      return callback({ code: 'InvalidParameterException', name: 'InvalidParameterException', message: 'Missing a challenge response.' })
    }
    seen.timestamp = timestamp
    const expected = srp.expectedSignature({
      poolName: POOL_NAME,
      userId,
      verifierHex: stored.verifier,
      ...challenge!,
      secretBlock: Buffer.from(secretBlock, 'base64'),
      timestamp,
    })
    if (!Buffer.from(signature, 'base64').equals(expected)) {
      return callback({ code: 'NotAuthorizedException', name: 'NotAuthorizedException', message: 'Incorrect username or password.' })
    }
    // JWT-shaped enough for the client to build its session from.
    const token = `e30.${Buffer.from(JSON.stringify({ sub: USER_ID, exp: 4_000_000_000, iat: 1 })).toString('base64')}.sig`
    callback(null, { ChallengeParameters: {}, AuthenticationResult: { AccessToken: token, IdToken: token, RefreshToken: 'refresh', ExpiresIn: 3600, TokenType: 'Bearer' } })
  }
  return { request, seen }
}

/** amazon-cognito-identity-js's `authenticateUser` (USER_SRP_AUTH) against `endpoint`. */
function signIn(endpoint: ReturnType<typeof srpEndpoint>, password: string): Promise<unknown> {
  const memory = new Map<string, string>()
  const Storage = {
    setItem: (key: string, value: string) => void memory.set(key, value),
    getItem: (key: string) => memory.get(key) ?? null,
    removeItem: (key: string) => void memory.delete(key),
    clear: () => memory.clear(),
  }
  const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: 'srptestclient', Storage })
  Object.assign(pool, { client: endpoint })
  const user = new CognitoUser({ Username: 'ada@example.com', Pool: pool, Storage })
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: 'ada@example.com', Password: password }), { onSuccess: resolve, onFailure: reject })
  })
}

afterEach(() => {
  vi.useRealTimers()
})

describe('SRP with amazon-cognito-identity-js as the client', () => {
  const stored = srp.createVerifier(POOL_NAME, USER_ID, PASSWORD)

  it('accepts the password claim signature of the right password', async () => {
    const endpoint = srpEndpoint(stored)
    await expect(signIn(endpoint, PASSWORD)).resolves.toBeTruthy()
    // The timestamp the client signed reads back as now.
    expect(Math.abs(srp.parseSrpTimestamp(endpoint.seen.timestamp!)! - Date.now())).toBeLessThan(2000)
  })

  it('refuses the signature of a wrong password', async () => {
    await expect(signIn(srpEndpoint(stored), 'Corr3ct-horse?')).rejects.toMatchObject({ code: 'NotAuthorizedException' })
  })

  it('derives the verifier as the client does (its device verifier uses the same x and padding)', async () => {
    const helper = new AuthenticationHelper('unused')
    await new Promise<void>((resolve, reject) => helper.generateHashDevice('deviceGroup', 'deviceKey', error => (error ? reject(error) : resolve())))
    expect(srp.computeVerifier('deviceGroup', 'deviceKey', helper.getRandomPassword(), helper.getSaltDevices())).toBe(helper.getVerifierDevices())
    expect(srp.passwordMatches('deviceGroup', 'deviceKey', helper.getRandomPassword(), helper.getSaltDevices(), helper.getVerifierDevices())).toBe(true)
    expect(srp.passwordMatches('deviceGroup', 'deviceKey', 'another password', helper.getSaltDevices(), helper.getVerifierDevices())).toBe(false)
  })
})

describe('parseSrpTimestamp', () => {
  it.each([
    ['a single-digit day at midnight', '2026-03-01T00:00:00Z'],
    ['a two-digit day', '2026-12-31T23:59:59Z'],
    ['a leap day', '2028-02-29T09:05:07Z'],
  ])('reads the client\'s date format on %s', (_, iso) => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(iso) })
    const text = new DateHelper().getNowString()
    expect(srp.parseSrpTimestamp(text)).toBe(Date.parse(iso))
  })

  it.each([
    ['another format', '2026-03-01T00:00:00Z'],
    ['a wrong weekday', 'Mon Mar 1 00:00:00 UTC 2026'],
    ['an unknown month', 'Sun Mai 1 00:00:00 UTC 2026'],
    ['another zone', 'Sun Mar 1 00:00:00 CET 2026'],
    ['an empty value', ''],
  ])('refuses %s', (_, text) => {
    expect(srp.parseSrpTimestamp(text)).toBeUndefined()
  })
})

describe('parseClientA', () => {
  const N = BigInt(`0x${new AuthenticationHelper('unused').N.toString(16)}`)

  it('takes the client\'s unpadded hex', () => {
    const helper = new AuthenticationHelper('unused')
    let A = ''
    helper.getLargeAValue((_, value) => (A = value.toString(16)))
    expect(srp.parseClientA(A)).toBe(BigInt(`0x${A}`))
    expect(srp.parseClientA('1')).toBe(1n)
  })

  it('refuses A ≡ 0 (mod N), which would make the session key known to anyone', () => {
    for (const multiple of [0n, N, 2n * N]) expect(srp.parseClientA(multiple.toString(16))).toBeUndefined()
  })

  it('refuses what is not hex, and hex longer than 1024 digits', () => {
    for (const value of ['', 'zz', '-1', '0x10', ' 1a', 'a'.repeat(1025)]) expect(srp.parseClientA(value)).toBeUndefined()
    expect(srp.parseClientA('a'.repeat(1024))).toBeDefined()
  })
})
