/**
 * The one place that turns a request's cookies into an Amplify server context. API routes and the
 * server plugin (`plugins/01.amplify-apis.server.ts`) both go through `runAmplifyApi`.
 */
import { createAmplifyContext, type AmplifyContext } from 'aws-amplify'
import type { AuthTokens, JWT, TokenProvider } from 'aws-amplify/auth'
import {
  createAWSCredentialsAndIdentityIdProvider,
  createKeyValueStorageFromCookieStorageAdapter,
  createUserPoolsTokenProvider,
  type CookieStorage,
} from 'aws-amplify/adapter-core'
import { getCurrentUser } from 'aws-amplify/auth/server'
import { generateClient } from 'aws-amplify/data/server'
import { CognitoJwtVerifier } from 'aws-jwt-verify'
import { JwtBaseError } from 'aws-jwt-verify/error'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'
import type { Fetcher } from 'aws-jwt-verify/https'
import { ConsoleLogger } from 'aws-amplify/utils'
import type { H3Event } from 'h3'
import { createError, deleteCookie, getRequestProtocol, parseCookies, setCookie } from 'h3'
import outputs from '#amplify-outputs'
import type { Schema } from '~~/amplify/data/resource'
import { sessionUserFrom, type SessionUser } from '~~/utils/session'
import { AUTH_COOKIE_MAX_AGE, amplifyConfigFromOutputs, authCookieAttributes } from '~~/utils/amplify-config'

declare module 'h3' {
  interface H3EventContext {
    /** This request's Amplify context, made on first use by `runAmplifyApi`. */
    amplify?: AmplifyContext
  }
}

export const amplifyConfig = amplifyConfigFromOutputs(outputs)

const cognito = amplifyConfig.Auth?.Cognito
if (!cognito?.userPoolId || !cognito.userPoolClientId) {
  throw new Error('amplify_outputs.json has no user pool: the app needs `defineAuth` in amplify/backend.ts')
}
const { userPoolId, userPoolClientId } = cognito

// Amplify warns "you are using a custom Cognito endpoint" each time a context is made, which on a
// server is every request. Against the offline sandbox that endpoint is the point, not a mistake.
if (cognito.userPoolEndpoint && !ConsoleLogger.LOG_LEVEL) ConsoleLogger.LOG_LEVEL = 'ERROR'

/** The data client for server code: stateless, every call takes the request's context. */
export const serverDataClient = generateClient<Schema>({ config: amplifyConfig })

/**
 * Runs `operation` with this request's Amplify context. The context is made once per request from
 * its cookies and kept on `event.context`, so several calls during one render share one session
 * (and one token refresh), and no two requests ever share one.
 */
export function runAmplifyApi<Result>(event: H3Event, operation: (context: AmplifyContext) => Result | Promise<Result>): Promise<Result> {
  event.context.amplify ??= createRequestContext(event)
  return Promise.resolve(operation(event.context.amplify))
}

/** The verified user of this request, or `null` when it carries no valid session. */
export async function getSessionUser(event: H3Event): Promise<SessionUser | null> {
  return runAmplifyApi(event, async (context) => {
    try {
      // Tokens only: `fetchAuthSession` would also fetch identity-pool credentials, a network call.
      return sessionUserFrom(await context.getTokens({}))
    }
    catch (error) {
      if (isSignedOutError(error)) return null
      throw error
    }
  })
}

/** `getCurrentUser` for this request, or a 401 when it carries no valid session. */
export async function requireUser(event: H3Event) {
  try {
    return await runAmplifyApi(event, context => getCurrentUser(context))
  }
  catch (error) {
    if (isSignedOutError(error)) throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Sign in to continue.' })
    throw error
  }
}

/** Amplify's ways of saying "no valid session": missing, unverifiable or unrefreshable tokens. */
export function isSignedOutError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'UserUnAuthenticatedException' || name === 'NoSessionFoundException' || name === 'NotAuthorizedException'
    // An expired session without a usable refresh token.
    || name === 'TokenRefreshException'
}

function createRequestContext(event: H3Event): AmplifyContext {
  const cookies = requestCookies(event)
  const secure = getRequestProtocol(event, { xForwardedProto: true }) === 'https'
  const storage = createKeyValueStorageFromCookieStorageAdapter(cookies, { getItem: isTrustedCookie }, authCookieAttributes({ secure }))
  const Auth = amplifyConfig.Auth!
  // Amplify's own token provider, made only when a session needs refreshing: it reads the same
  // (verified) cookies, calls Cognito, and writes the new tokens back through `cookies.set`.
  let refresher: TokenProvider | undefined
  const tokenProvider: TokenProvider = {
    async getTokens(options) {
      if (!options?.forceRefresh) {
        const session = await verifiedSession(cookies)
        if (session !== 'expired') return session
      }
      refresher ??= createUserPoolsTokenProvider(Auth, storage)
      const tokens = await refresher.getTokens(options)
      return tokens && (await verifiedSession(cookies)) !== null ? tokens : null
    },
  }
  return createAmplifyContext(amplifyConfig, {
    Auth: { tokenProvider, credentialsProvider: createAWSCredentialsAndIdentityIdProvider(Auth, storage) },
  })
}

/** The request's cookies; writes (a token refresh) go back to the browser as `Set-Cookie`. */
function requestCookies(event: H3Event): CookieStorage.Adapter {
  const jar = new Map(Object.entries(parseCookies(event)))
  return {
    get: (name) => {
      const value = jar.get(name)
      return value === undefined ? undefined : { name, value }
    },
    getAll: () => [...jar].map(([name, value]) => ({ name, value })),
    set(name, value, options) {
      jar.set(name, value)
      setCookie(event, name, value, { ...options, httpOnly: false })
    },
    delete(name) {
      jar.delete(name)
      deleteCookie(event, name, { path: '/' })
    },
  }
}

/**
 * The session in the cookies, read from tokens already verified: both tokens genuine, for this
 * client, of the right kind and of one user. `null` is signed out; `'expired'` is a genuine
 * session whose tokens Amplify must refresh first.
 *
 * Written here, not left to Amplify's token provider, because that one decodes every token cookie
 * again on every call; reading verified, decoded tokens from the cache is what keeps a verified
 * session cheap (see bench/). Amplify's provider still does every refresh.
 */
async function verifiedSession(cookies: CookieStorage.Adapter): Promise<AuthTokens | null | 'expired'> {
  const prefix = `CognitoIdentityServiceProvider.${userPoolClientId}`
  const user = cookies.get(`${prefix}.LastAuthUser`)?.value
  if (!user) return null
  const accessCookie = cookies.get(`${prefix}.${user}.accessToken`)?.value
  const idCookie = cookies.get(`${prefix}.${user}.idToken`)?.value
  if (!accessCookie || !idCookie) return null
  const [access, id] = await Promise.all([verifiedToken(accessCookie, 'access'), verifiedToken(idCookie, 'id')])
  if (!access || !id || access.payload.sub !== id.payload.sub) return null
  const now = Date.now() / 1000
  if (access.payload.exp <= now || id.payload.exp <= now) return 'expired'
  const details = cookies.get(`${prefix}.${user}.signInDetails`)?.value
  return { accessToken: access, idToken: id, signInDetails: details === undefined ? undefined : parseSignInDetails(details) }
}

// Token verification --------------------------------------------------------------------------

/**
 * Every token cookie is checked before Amplify reads it. A token that fails (forged, tampered, for
 * another pool or client, or the wrong kind) reads as absent, so the request is signed out.
 * Expiry is left to Amplify: an expired but genuine token is what lets it refresh the session.
 */
async function isTrustedCookie(key: string, value: string): Promise<boolean> {
  const kind = key.slice(key.lastIndexOf('.') + 1)
  if (kind === 'accessToken') return (await verifiedToken(value, 'access')) !== null
  if (kind === 'idToken') return (await verifiedToken(value, 'id')) !== null
  // The browser's clock drift means nothing to the server's clock, and a forged one would make an
  // expired token look fresh: the server always uses its own clock.
  if (kind === 'clockDrift') return false
  if (kind === 'signInDetails') return parseSignInDetails(value) !== undefined
  return true
}

/** The sign-in details cookie, if it is what Amplify writes: a small object of strings. */
function parseSignInDetails(value: string): AuthTokens['signInDetails'] {
  if (value.length > 1024) return undefined
  try {
    const details = JSON.parse(value) as unknown
    const valid = typeof details === 'object' && details !== null && !Array.isArray(details)
      && Object.values(details).every(field => typeof field === 'string')
    return valid ? details as AuthTokens['signInDetails'] : undefined
  }
  catch {
    return undefined
  }
}

/** Fetches the pool's keys from the configured user pool endpoint: Cognito's, or the offline sandbox's. */
class UserPoolKeysFetcher implements Fetcher {
  constructor(private readonly endpoint: string | undefined) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    const url = this.endpoint ? new URL(new URL(uri).pathname, this.endpoint).href : uri
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    if (!response.ok) throw new Error(`Fetching the user pool's signing keys from ${url} failed: HTTP ${response.status}`)
    return response.arrayBuffer()
  }
}

const verifier = CognitoJwtVerifier.create(
  // `graceSeconds`: a token past its expiry still proves who the user was, which the refresh needs;
  // Amplify refuses to use it as a session until the refresh has replaced it.
  { userPoolId, clientId: userPoolClientId, tokenUse: null, graceSeconds: AUTH_COOKIE_MAX_AGE },
  // The keys are fetched once and cached (refetched only for an unknown key id, rate-limited).
  { jwksCache: new SimpleJwksCache({ fetcher: new UserPoolKeysFetcher(cognito.userPoolEndpoint) }) },
)

/**
 * Verified tokens, decoded, kept until they can no longer be used: a token's signature, issuer,
 * audience and use never change, so verifying the same cookie again on every request would only
 * burn CPU. Bounded; failures are not cached, so junk cookies cannot fill it.
 */
const verified = new Map<string, { use: 'access' | 'id', token: VerifiedJwt, usableUntil: number }>()
const VERIFIED_CACHE_SIZE = 10_000

interface VerifiedJwt extends JWT {
  payload: JWT['payload'] & { sub: string, exp: number }
}

async function verifiedToken(token: string, use: 'access' | 'id'): Promise<VerifiedJwt | null> {
  const now = Date.now() / 1000
  const hit = verified.get(token)
  if (hit && hit.usableUntil > now) return hit.use === use ? hit.token : null
  if (hit) verified.delete(token)
  try {
    const claims = await verifier.verify(token, { tokenUse: use, clientId: userPoolClientId })
    const jwt: VerifiedJwt = Object.freeze({ payload: Object.freeze(claims) as VerifiedJwt['payload'], toString: () => token })
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!)
    verified.set(token, { use, token: jwt, usableUntil: claims.exp + AUTH_COOKIE_MAX_AGE })
    return jwt
  }
  catch (error) {
    // A bad token is the caller's problem and reads as signed out. Keys that cannot be fetched are
    // the server's: still signed out (never trusted unverified), but said in the server log.
    if (!(error instanceof JwtBaseError)) reportKeysProblem(error)
    return null
  }
}

let lastKeysReport = 0
function reportKeysProblem(error: unknown) {
  if (Date.now() - lastKeysReport < 60_000) return
  lastKeysReport = Date.now()
  console.error(`[amplify] Session tokens cannot be checked, so they read as signed out: ${error instanceof Error ? error.message : String(error)}`)
}
