/**
 * Request authorization as AppSync does it for a user-pool API: the simulator trusts any JWT whose
 * `iss` starts with `https://cognito-idp.`, so every token is verified here (signature, expiry,
 * issuer and client, via the user pool; not revocation, which AppSync does not check either)
 * before the simulator sees the request.
 */
import type { JWTPayload } from 'jose'
import type { UserPool } from '../types'
import type { AuthenticationType } from './definition'

export type AuthResult = { ok: true, claims: JWTPayload } | { ok: false, errorType: 'UnauthorizedException', message: string }

export interface AuthModes {
  defaultAuthentication: AuthenticationType
  additionalAuthentication: AuthenticationType[]
}

/** AppSync's messages for a user-pool API (what the data client and apps may show or match on). */
const AUTH_MESSAGES = {
  missing: 'Valid authorization header not provided.',
  unparsable: 'Unable to parse JWT token.',
  expired: 'Token has expired.',
  invalid: 'You are not authorized to make this call.',
} as const

const refuse = (message: string): AuthResult => ({ ok: false, errorType: 'UnauthorizedException', message })

/** Authorizes one request (HTTP headers, or a realtime message's `authorization` object). */
export async function authorize(headers: Record<string, unknown>, modes: AuthModes, verifyToken: UserPool['verifyToken']): Promise<AuthResult> {
  const authorization = header(headers, 'authorization')
  const apiKey = header(headers, 'x-api-key')
  const allowed = [modes.defaultAuthentication, ...modes.additionalAuthentication]

  if (!authorization) {
    if (apiKey) return refuse(`API key authorization is not served by the offline sandbox${allowed.includes('API_KEY') ? '' : ' (and this API does not allow it)'}.`)
    return refuse(AUTH_MESSAGES.missing)
  }
  if (authorization.startsWith('AWS4-HMAC-SHA256')) {
    // Guest and IAM access would need a local STS/identity pool; refusing is better than trusting.
    return refuse('IAM (SigV4) authorization is not served by the offline sandbox: sign in and call the API with the user pool.')
  }
  if (!allowed.includes('AMAZON_COGNITO_USER_POOLS')) {
    return refuse(`This API does not accept user pool tokens; ${allowed.join(', ')} authorization is not served by the offline sandbox.`)
  }
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(authorization)) return refuse(AUTH_MESSAGES.unparsable)
  try {
    return { ok: true, claims: await verifyToken(authorization) }
  }
  catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    if (code === 'ERR_JWT_EXPIRED' || /expired/i.test(message ?? '')) return refuse(AUTH_MESSAGES.expired)
    return refuse(AUTH_MESSAGES.invalid)
  }
}

/** Case-insensitive header lookup in Node's (lower-case) headers or a client-built object. */
function header(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string' && first.trim() !== '') return first.trim()
  }
  return undefined
}
