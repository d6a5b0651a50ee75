/**
 * Sessions: the tokens of a sign-in, their refresh (GetTokensFromRefreshToken, and InitiateAuth
 * REFRESH_TOKEN_AUTH), and their end (RevokeToken, GlobalSignOut).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { invalidRefreshToken, refreshTokenExpired, refreshTokenRevoked, refreshUserGone, userDisabled, userNotConfirmed } from '../errors'
import { requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import type { StoredSession, StoredUser } from '../state-file'
import type { GroupClaims } from '../groups'
import { issueTokens } from '../tokens'
import { preTokenGeneration, runTrigger, userAttributesOf, type TokenOverrides, type TriggerCall } from '../triggers'

/** A new session after a correct password: only now may the caller learn the user is unconfirmed. */
export async function startSession(pool: LocalPool, user: StoredUser, clientId: string, call: TriggerCall = { clientId }): Promise<Body> {
  if (user.disabled) throw userDisabled()
  if (user.status !== 'CONFIRMED') throw userNotConfirmed()
  // Cognito runs PreAuthentication before it authenticates; here it runs once the password is
  // proven, before anything is issued: a refusal still leaves no session.
  await runTrigger(pool, 'PreAuthentication', {
    triggerSource: 'PreAuthentication_Authentication',
    user,
    call,
    request: { userAttributes: userAttributesOf(user), userNotFound: false, ...(call.clientMetadata ? { validationData: call.clientMetadata } : {}) },
  })
  const tokens = await tokensFor(pool, user, { clientId, originJti: randomUUID(), authTime: Math.floor(Date.now() / 1000) }, 'TokenGeneration_Authentication', call)
  await runTrigger(pool, 'PostAuthentication', {
    triggerSource: 'PostAuthentication_Authentication',
    user,
    call,
    request: { userAttributes: userAttributesOf(user), newDeviceUsed: false },
  })
  const refreshToken = randomBytes(96).toString('base64url')
  pool.state.addSession({
    originJti: tokens.originJti,
    sub: user.sub,
    clientId,
    authTime: tokens.authTime,
    expiresAt: Date.now() + pool.settings.tokenValidity.refreshSeconds * 1000,
    revoked: false,
  }, refreshToken)
  return {
    ChallengeParameters: {},
    AuthenticationResult: { ...tokens.result, RefreshToken: refreshToken },
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
  if (user.disabled) throw userDisabled()
  return { ChallengeParameters: {}, AuthenticationResult: (await tokensFor(pool, user, session, 'TokenGeneration_RefreshTokens', { clientId })).result }
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

async function tokensFor(
  pool: LocalPool,
  user: StoredUser,
  session: Pick<StoredSession, 'clientId' | 'originJti' | 'authTime'>,
  triggerSource: 'TokenGeneration_Authentication' | 'TokenGeneration_RefreshTokens',
  call: TriggerCall,
): Promise<{ result: Body, originJti: string, authTime: number }> {
  const { accessSeconds, idSeconds } = pool.settings.tokenValidity
  // Read at every issue, so a refresh carries memberships changed since sign-in.
  const groups = pool.groupClaims(user)
  const overrides = await preTokenGeneration(pool, triggerSource, user, groups, call)
  const tokens = await issueTokens(pool.keys, {
    issuer: pool.issuer,
    clientId: session.clientId,
    sub: user.sub,
    originJti: session.originJti,
    authTime: session.authTime,
    attributes: user.attributes,
    groups: overrides?.groups ? overriddenGroups(groups, overrides.groups) : groups,
    accessSeconds,
    idSeconds,
    ...(overrides ? { overrides } : {}),
  })
  return {
    result: { AccessToken: tokens.AccessToken, ExpiresIn: accessSeconds, TokenType: 'Bearer', IdToken: tokens.IdToken },
    originJti: session.originJti,
    authTime: session.authTime,
  }
}

/** The group claims after a trigger's `groupOverrideDetails`: each part it sets replaces the pool's. */
function overriddenGroups(groups: GroupClaims | undefined, override: NonNullable<TokenOverrides['groups']>): GroupClaims | undefined {
  const next: GroupClaims = {
    groups: override.groups ?? groups?.groups ?? [],
    roles: override.roles ?? groups?.roles ?? [],
    ...((override.preferredRole ?? groups?.preferredRole) ? { preferredRole: override.preferredRole ?? groups?.preferredRole } : {}),
  }
  return next.groups.length || next.roles.length ? next : undefined
}
