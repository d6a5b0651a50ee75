/**
 * The pool's keys and its Cognito-shaped JWTs. The RSA signing key and a server secret (for SRP
 * secret blocks and fake challenges) are made once per sandbox and kept in `<dir>/keys.json`, so
 * tokens issued before a restart still verify after it.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import type { TokenUse } from '../core/types'
import { readJsonIfExists, writeAtomically } from '../core/fs'
import type { GroupClaims } from './groups'
import type { TokenOverrides } from './triggers'

export interface PoolKeys {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  /** What `/.well-known/jwks.json` serves, shaped as Cognito's. */
  jwk: Record<string, unknown>
  /** 32 bytes that bind SRP secret blocks and fake challenges to this sandbox. */
  secret: Buffer
}

interface KeysFile {
  kid: string
  privateKeyPem: string
  secret: string
}

export async function loadOrCreateKeys(dir: string): Promise<PoolKeys> {
  const path = join(dir, 'keys.json')
  let file = await readJsonIfExists<KeysFile>(path)
  if (!file) {
    const privateKey = await new Promise<KeyObject>((resolve, reject) =>
      generateKeyPair('rsa', { modulusLength: 2048 }, (err, _pub, priv) => (err ? reject(err) : resolve(priv))))
    const publicJwk = await exportJWK(createPublicKey(privateKey))
    file = {
      kid: await calculateJwkThumbprint(publicJwk),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      secret: randomBytes(32).toString('base64'),
    }
    await writeAtomically(path, JSON.stringify(file))
  }
  const privateKey = createPrivateKey(file.privateKeyPem)
  const publicKey = createPublicKey(privateKey)
  const { n, e } = await exportJWK(publicKey)
  return {
    kid: file.kid,
    privateKey,
    publicKey,
    jwk: { alg: 'RS256', e, kid: file.kid, kty: 'RSA', n, use: 'sig' },
    secret: Buffer.from(file.secret, 'base64'),
  }
}

export interface IssueInput {
  issuer: string
  clientId: string
  sub: string
  originJti: string
  authTime: number
  attributes: Record<string, string>
  accessSeconds: number
  idSeconds: number
  /** The user's groups; absent for a user in none. */
  groups?: GroupClaims
  /** Claims (and scopes) a PreTokenGeneration trigger changes. */
  overrides?: TokenOverrides
}

/** Attributes Cognito puts in an id token as booleans rather than strings. */
const BOOLEAN_CLAIMS = new Set(['email_verified', 'phone_number_verified'])

/** Signs an access and an id token for one session, with the claims Cognito's carry. */
export async function issueTokens(keys: PoolKeys, input: IssueInput): Promise<{ AccessToken: string, IdToken: string }> {
  const now = Math.floor(Date.now() / 1000)
  const eventId = randomUUID()
  const sign = (claims: JWTPayload, seconds: number) => new SignJWT(claims)
    .setProtectedHeader({ kid: keys.kid, alg: 'RS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .setJti(randomUUID())
    .sign(keys.privateKey)

  const profile: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(input.attributes)) {
    profile[name] = BOOLEAN_CLAIMS.has(name) ? value === 'true' : value
  }
  const { groups } = input
  // Both tokens list the groups; only the id token names their roles (what identity pools map).
  const groupClaim = groups ? { 'cognito:groups': groups.groups } : {}
  const roleClaims = {
    ...(groups?.roles.length ? { 'cognito:roles': groups.roles } : {}),
    ...(groups?.preferredRole ? { 'cognito:preferred_role': groups.preferredRole } : {}),
  }
  const overrides = input.overrides
  const scopes = new Set(['aws.cognito.signin.user.admin', ...(overrides?.access.scopesToAdd ?? [])])
  for (const scope of overrides?.access.scopesToSuppress ?? []) scopes.delete(scope)
  const changed = (claims: JWTPayload, change?: { add: Record<string, unknown>, suppress: string[] }): JWTPayload => {
    if (!change) return claims
    const suppressed = new Set(change.suppress)
    return Object.fromEntries(Object.entries({ ...claims, ...change.add }).filter(([claim]) => !suppressed.has(claim)))
  }
  const [AccessToken, IdToken] = await Promise.all([
    sign(changed({
      sub: input.sub,
      ...groupClaim,
      iss: input.issuer,
      client_id: input.clientId,
      origin_jti: input.originJti,
      event_id: eventId,
      token_use: 'access',
      scope: [...scopes].join(' '),
      auth_time: input.authTime,
      username: input.sub,
    }, overrides?.access), input.accessSeconds),
    sign(changed({
      ...profile,
      'sub': input.sub,
      ...groupClaim,
      ...roleClaims,
      'iss': input.issuer,
      'cognito:username': input.sub,
      'origin_jti': input.originJti,
      'aud': input.clientId,
      'event_id': eventId,
      'token_use': 'id',
      'auth_time': input.authTime,
    }, overrides?.id), input.idSeconds),
  ])
  return { AccessToken, IdToken }
}

/** Signature, issuer, expiry, use and audience; revocation is the caller's check. */
export async function verifyJwt(keys: PoolKeys, token: string, issuer: string, clientId: string, use?: TokenUse): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, keys.publicKey, { issuer, algorithms: ['RS256'] })
  if (protectedHeader.kid !== keys.kid) throw new Error('Token was not signed with this pool\'s key')
  const tokenUse = payload.token_use
  if (tokenUse !== 'id' && tokenUse !== 'access') throw new Error('Token has no valid token_use')
  if (use && tokenUse !== use) throw new Error(`Token use is ${String(tokenUse)}, expected ${use}`)
  const audience = tokenUse === 'id' ? payload.aud : payload.client_id
  if (audience !== clientId) throw new Error('Token was issued to another client')
  if (typeof payload.sub !== 'string' || typeof payload.origin_jti !== 'string') throw new Error('Token lacks sub or origin_jti')
  return payload
}
