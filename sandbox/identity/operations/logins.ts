/**
 * The `Logins` of a request: each token verified by the provider it names, as Cognito Identity
 * does before it links a login to an identity or hands out the authenticated role.
 */
import { decodeJwt, type JWTPayload } from 'jose'
import { invalidLoginToken, issuerMismatch, loginTokenExpired, providerNotInSandbox, unsupportedProvider } from '../errors'
import type { LocalIdentityPool } from '../pool'
import type { IdentityPoolSettings } from '../settings'

export interface VerifiedLogin {
  /** `cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  providerName: string
  clientId: string
  sub: string
  claims: JWTPayload
  /** `<providerName>:<sub>`: what links the login to its identity. */
  key: string
}

/**
 * The request's login, verified; undefined for a guest's request (no logins). Every token must be
 * valid: one bad login refuses the request, as Cognito does.
 */
export async function verifyLogins(pool: LocalIdentityPool, settings: IdentityPoolSettings, logins: Record<string, string>): Promise<VerifiedLogin | undefined> {
  let first: VerifiedLogin | undefined
  for (const [providerName, token] of Object.entries(logins)) {
    const provider = settings.providers.find(p => p.providerName === providerName)
    if (!provider) throw settings.otherProviders.includes(providerName) ? providerNotInSandbox(providerName) : unsupportedProvider()
    const claims = await verifyIdToken(pool, token)
    if (claims.iss !== `https://${providerName}`) throw issuerMismatch()
    if (claims.aud !== provider.clientId) throw invalidLoginToken()
    const sub = String(claims.sub)
    first ??= { providerName, clientId: provider.clientId, sub, claims, key: `${providerName}:${sub}` }
  }
  return first
}

async function verifyIdToken(pool: LocalIdentityPool, token: string): Promise<JWTPayload> {
  try {
    // As Cognito Identity, which checks the token itself, not whether its session was revoked since.
    return await pool.verifyToken(token, 'id', { checkRevocation: false })
  }
  catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') {
      throw loginTokenExpired(Number(decodeJwt(token).exp), Math.floor(Date.now() / 1000))
    }
    throw invalidLoginToken()
  }
}
