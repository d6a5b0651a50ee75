/**
 * The pool's JWTs: claims shaped as Cognito's (what apps, aws-amplify and aws-jwt-verify read) and
 * `verifyJwt` refusing every token the pool did not issue to this client for this use.
 */
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { issueTokens, verifyJwt, type IssueInput, type PoolKeys } from '../../../sandbox/cognito/tokens'
import { testPoolKeys } from './pool-keys'

const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Tokens42'
const CLIENT_ID = 'tokenstestclient0123456789'
const input: IssueInput = {
  issuer: ISSUER,
  clientId: CLIENT_ID,
  sub: '7d4e2c1a-5b3f-4e6d-9a8c-0f1e2d3c4b5a',
  originJti: 'a1b2c3d4-0000-4000-8000-000000000001',
  authTime: 1_790_000_000,
  attributes: { email: 'ada@example.com', email_verified: 'true', name: 'Ada', phone_number_verified: 'false' },
  accessSeconds: 3600,
  idSeconds: 600,
}

let keys: PoolKeys
let tokens: { AccessToken: string, IdToken: string }

beforeAll(async () => {
  keys = await testPoolKeys()
  tokens = await issueTokens(keys, input)
})

afterEach(() => {
  vi.useRealTimers()
})

describe('issueTokens', () => {
  it('shapes the access token as Cognito does', () => {
    const claims = decodeJwt(tokens.AccessToken)
    expect(claims).toEqual({
      sub: input.sub,
      iss: ISSUER,
      client_id: CLIENT_ID,
      origin_jti: input.originJti,
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: input.authTime,
      username: input.sub,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    expect(claims.exp! - claims.iat!).toBe(3600)
    // No audience: Cognito's access tokens name their client in client_id.
    expect(claims.aud).toBeUndefined()
  })

  it('shapes the id token as Cognito does, verification flags as booleans', () => {
    const claims = decodeJwt(tokens.IdToken)
    expect(claims).toEqual({
      'sub': input.sub,
      'iss': ISSUER,
      'aud': CLIENT_ID,
      'cognito:username': input.sub,
      'origin_jti': input.originJti,
      'event_id': expect.any(String),
      'token_use': 'id',
      'auth_time': input.authTime,
      'email': 'ada@example.com',
      'email_verified': true,
      'phone_number_verified': false,
      'name': 'Ada',
      'iat': expect.any(Number),
      'exp': expect.any(Number),
      'jti': expect.any(String),
    })
    expect(claims.exp! - claims.iat!).toBe(600)
  })

  it('signs both with the pool key (RS256, its kid), one event, distinct token ids', () => {
    const [access, id] = [decodeJwt(tokens.AccessToken), decodeJwt(tokens.IdToken)]
    for (const token of [tokens.AccessToken, tokens.IdToken]) expect(decodeProtectedHeader(token)).toEqual({ kid: keys.kid, alg: 'RS256' })
    expect(keys.jwk).toMatchObject({ kid: keys.kid, alg: 'RS256', kty: 'RSA', use: 'sig' })
    expect(access.event_id).toBe(id.event_id)
    expect(access.jti).not.toBe(id.jti)
  })
})

describe('verifyJwt', () => {
  it('accepts the pool\'s own tokens, for either use or the one asked for', async () => {
    await expect(verifyJwt(keys, tokens.AccessToken, ISSUER, CLIENT_ID)).resolves.toMatchObject({ token_use: 'access' })
    await expect(verifyJwt(keys, tokens.IdToken, ISSUER, CLIENT_ID, 'id')).resolves.toMatchObject({ token_use: 'id' })
  })

  it('refuses a token of the other use', async () => {
    await expect(verifyJwt(keys, tokens.IdToken, ISSUER, CLIENT_ID, 'access')).rejects.toThrow(/expected access/)
    await expect(verifyJwt(keys, tokens.AccessToken, ISSUER, CLIENT_ID, 'id')).rejects.toThrow(/expected id/)
  })

  it('refuses a token issued to another client or by another pool', async () => {
    for (const token of [tokens.AccessToken, tokens.IdToken]) {
      await expect(verifyJwt(keys, token, ISSUER, 'anotherclient')).rejects.toThrow(/another client/)
      await expect(verifyJwt(keys, token, `${ISSUER}x`, CLIENT_ID)).rejects.toThrow(/iss/)
    }
  })

  it('refuses an expired token', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 601_000 })
    await expect(verifyJwt(keys, tokens.IdToken, ISSUER, CLIENT_ID)).rejects.toThrow(/exp/)
    await expect(verifyJwt(keys, tokens.AccessToken, ISSUER, CLIENT_ID)).resolves.toBeTruthy()
  })

  it('refuses a tampered token', async () => {
    const [header, , signature] = tokens.IdToken.split('.')
    const claims = { ...decodeJwt(tokens.IdToken), email: 'mallory@example.com' }
    const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.')
    await expect(verifyJwt(keys, tampered, ISSUER, CLIENT_ID)).rejects.toThrow(/signature/)
  })

  it('refuses a token signed with the pool key under another kid, and one without the Cognito claims', async () => {
    const claims = decodeJwt(tokens.AccessToken)
    const otherKid = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'another-kid' }).sign(keys.privateKey)
    await expect(verifyJwt(keys, otherKid, ISSUER, CLIENT_ID)).rejects.toThrow(/this pool's key/)
    const { origin_jti: _dropped, ...bare } = claims
    const noSession = await new SignJWT(bare).setProtectedHeader({ alg: 'RS256', kid: keys.kid }).sign(keys.privateKey)
    await expect(verifyJwt(keys, noSession, ISSUER, CLIENT_ID)).rejects.toThrow(/origin_jti/)
  })
})
