/**
 * Sessions: the tokens of a sign-in, their refresh (GetTokensFromRefreshToken, and InitiateAuth
 * REFRESH_TOKEN_AUTH), and their end (RevokeToken, GlobalSignOut).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { invalidRefreshToken, refreshTokenExpired, refreshTokenRevoked, refreshUserGone, userNotConfirmed } from '../errors'
import { requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import type { StoredSession, StoredUser } from '../store'
import { issueTokens } from '../tokens'

/** A new session after a correct password: only now may the caller learn the user is unconfirmed. */
export async function startSession(pool: LocalPool, user: StoredUser, clientId: string): Promise<Body> {
  if (user.status !== 'CONFIRMED') throw userNotConfirmed()
  const refreshToken = randomBytes(96).toString('base64url')
  const session = pool.state.addSession({
    originJti: randomUUID(),
    sub: user.sub,
    clientId,
    authTime: Math.floor(Date.now() / 1000),
    expiresAt: Date.now() + pool.settings.tokenValidity.refreshSeconds * 1000,
    revoked: false,
  }, refreshToken)
  return {
    ChallengeParameters: {},
    AuthenticationResult: { ...(await tokensFor(pool, user, session)), RefreshToken: refreshToken },
  }
}

/** New access and id tokens for the refresh token's session (same origin_jti); no rotation. */
export async function refresh(pool: LocalPool, clientId: string, refreshToken: string): Promise<Body> {
  const session = pool.state.sessionOfRefreshToken(refreshToken)
  if (!session || session.clientId !== clientId) throw invalidRefreshToken()
  if (session.revoked) throw refreshTokenRevoked()
  if (session.expiresAt < Date.now()) throw refreshTokenExpired()
  const user = pool.state.userBySub(session.sub)
  if (!user) throw refreshUserGone()
  return { ChallengeParameters: {}, AuthenticationResult: await tokensFor(pool, user, session) }
}

export async function getTokensFromRefreshToken(pool: LocalPool, body: Body): Promise<Body> {
  const clientId = pool.requireClient(body)
  const token = requireString(body, 'RefreshToken', 8192)
  pool.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH')
  return refresh(pool, clientId, token)
}

export async function revokeToken(pool: LocalPool, body: Body): Promise<Body> {
  const clientId = pool.requireClient(body)
  const session = pool.state.sessionOfRefreshToken(requireString(body, 'Token', 8192))
  // Unknown tokens succeed silently, as Cognito's RevokeToken does.
  if (session && session.clientId === clientId) pool.state.revoke(session)
  return {}
}

export async function globalSignOut(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  pool.state.revokeSessionsOf(user.sub)
  return {}
}

async function tokensFor(pool: LocalPool, user: StoredUser, session: StoredSession): Promise<Body> {
  const { accessSeconds, idSeconds } = pool.settings.tokenValidity
  const tokens = await issueTokens(pool.keys, {
    issuer: pool.issuer,
    clientId: session.clientId,
    sub: user.sub,
    originJti: session.originJti,
    authTime: session.authTime,
    attributes: user.attributes,
    // Read at every issue, so a refresh carries memberships changed since sign-in.
    groups: pool.groupClaims(user),
    accessSeconds,
    idSeconds,
  })
  return { AccessToken: tokens.AccessToken, ExpiresIn: accessSeconds, TokenType: 'Bearer', IdToken: tokens.IdToken }
}
