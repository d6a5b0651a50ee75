/**
 * Which auth cookies the server believes. Amplify's cookie names are
 * `CognitoIdentityServiceProvider.<client id>.<username>.<kind>`; every one of them is hostile
 * until checked here.
 */
import type { AuthTokens } from 'aws-amplify/auth'
import type { CookieStorage } from 'aws-amplify/adapter-core'
import type { TokenVerifier } from './verifier'

/** The longest sign-in details cookie Amplify writes is far shorter; anything longer is junk. */
const MAX_SIGN_IN_DETAILS = 1024

/**
 * Whether Amplify may read a cookie. A token that fails verification (forged, tampered, for another
 * pool or client, or the wrong kind) reads as absent, so the request is signed out. Expiry is left
 * to Amplify: an expired but genuine token is what lets it refresh the session.
 */
export async function isTrustedCookie(verifier: TokenVerifier, key: string, value: string): Promise<boolean> {
  const kind = key.slice(key.lastIndexOf('.') + 1)
  if (kind === 'accessToken') return (await verifier.verify(value, 'access')) !== null
  if (kind === 'idToken') return (await verifier.verify(value, 'id')) !== null
  // The browser's clock drift means nothing to the server's clock, and a forged one would make an
  // expired token look fresh: the server always uses its own clock.
  if (kind === 'clockDrift') return false
  if (kind === 'signInDetails') return parseSignInDetails(value) !== undefined
  return true
}

/**
 * The session in the cookies, from verified tokens: both genuine, for this client, of the right
 * kind and of one user. `null` is signed out; `'expired'` is a genuine session whose tokens
 * Amplify must refresh first.
 *
 * Written here, not left to Amplify's token provider, because that one decodes every token cookie
 * again on every call; reading verified, decoded tokens from the verifier's cache is what keeps a
 * verified session cheap (see bench/). Amplify's provider still does every refresh.
 */
export async function readSession(cookies: CookieStorage.Adapter, clientId: string, verifier: TokenVerifier, now = Date.now()): Promise<AuthTokens | null | 'expired'> {
  const prefix = `CognitoIdentityServiceProvider.${clientId}`
  const user = cookies.get(`${prefix}.LastAuthUser`)?.value
  if (!user) return null
  const accessCookie = cookies.get(`${prefix}.${user}.accessToken`)?.value
  const idCookie = cookies.get(`${prefix}.${user}.idToken`)?.value
  if (!accessCookie || !idCookie) return null
  const access = verifier.known(accessCookie, 'access') ?? await verifier.verify(accessCookie, 'access')
  const id = verifier.known(idCookie, 'id') ?? await verifier.verify(idCookie, 'id')
  // `getCurrentUser` names the user from the id token: a pair from two users would mix identities.
  if (!access || !id || access.payload.sub !== id.payload.sub) return null
  if (access.payload.exp * 1000 <= now || id.payload.exp * 1000 <= now) return 'expired'
  const details = cookies.get(`${prefix}.${user}.signInDetails`)?.value
  return { accessToken: access, idToken: id, signInDetails: details === undefined ? undefined : parseSignInDetails(details) }
}

/** The last sign-in details read, parsed: the same few values come with every request of a session. */
const lastDetails = new Map<string, AuthTokens['signInDetails']>()
const MAX_KEPT_DETAILS = 1000

/** The sign-in details cookie, if it is what Amplify writes: a small object of strings (frozen). */
export function parseSignInDetails(value: string): AuthTokens['signInDetails'] {
  if (lastDetails.has(value)) return lastDetails.get(value)
  const details = parseDetails(value)
  if (lastDetails.size >= MAX_KEPT_DETAILS) lastDetails.delete(lastDetails.keys().next().value!)
  lastDetails.set(value, details)
  return details
}

function parseDetails(value: string): AuthTokens['signInDetails'] {
  if (value.length > MAX_SIGN_IN_DETAILS) return undefined
  try {
    const details = JSON.parse(value) as unknown
    const valid = typeof details === 'object' && details !== null && !Array.isArray(details)
      && Object.values(details).every(field => typeof field === 'string')
    return valid ? Object.freeze(details) as AuthTokens['signInDetails'] : undefined
  }
  catch {
    return undefined
  }
}
