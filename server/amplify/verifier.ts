/**
 * Token verification for the server: every token cookie is checked with aws-jwt-verify against the
 * user pool's keys before Amplify may read it, and verified tokens are kept so a session costs a
 * map lookup per request, not an RSA check.
 */
import type { JWT } from 'aws-amplify/auth'
import { CognitoJwtVerifier } from 'aws-jwt-verify'
import { JwtBaseError } from 'aws-jwt-verify/error'
import type { Fetcher } from 'aws-jwt-verify/https'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'

export type TokenUse = 'access' | 'id'

/** A verified token in Amplify's `JWT` shape, with the claims the session reads guaranteed. */
export interface VerifiedJwt extends JWT {
  payload: JWT['payload'] & { sub: string, exp: number }
}

export interface TokenVerifierOptions {
  userPoolId: string
  clientId: string
  /** Where the pool's keys are fetched: the offline sandbox's endpoint, or Cognito's when absent. */
  userPoolEndpoint?: string
  /**
   * How long past its expiry a token still proves who the user was, which a refresh needs (the
   * refresh token's lifetime). Amplify refuses to use it as a session until the refresh replaced it.
   */
  graceSeconds: number
  /** Where a server-side problem (keys that cannot be fetched) is said; bad tokens are not. */
  log: (line: string) => void
}

export interface TokenVerifier {
  /** The token's verified claims, or `null` for anything forged, tampered, foreign or of the wrong use. */
  verify(token: string, use: TokenUse): Promise<VerifiedJwt | null>
  /**
   * `verify`'s answer without waiting, for a token verified before and still usable; `undefined`
   * when it must be verified (`verify`). A request with a known session then needs no promise.
   */
  known(token: string, use: TokenUse): VerifiedJwt | null | undefined
}

/** Verified tokens kept at most; failures are never kept, so junk cookies cannot fill the cache. */
const CACHE_SIZE = 10_000
/** How much of a token's end finds its entry: 64 characters of an RSA signature, 384 bits. */
const LOOKUP_CHARS = 64
/** A failing key fetch is said at most this often (each request would otherwise log it again). */
const REPORT_EVERY_MS = 60_000

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { userPoolId, clientId, graceSeconds } = options
  const verifier = CognitoJwtVerifier.create(
    { userPoolId, clientId, tokenUse: null, graceSeconds },
    // The keys are fetched once and cached (refetched only for an unknown key id, rate-limited).
    { jwksCache: new SimpleJwksCache({ fetcher: new UserPoolKeysFetcher(options.userPoolEndpoint) }) },
  )
  // A token's signature, issuer, audience and use never change: verifying the same cookie again
  // on every request would only burn CPU. Entries are found by the end of the signature (hashing a
  // whole token, a kilobyte, on every lookup costs more than the rest of it) and hold the whole
  // token: a different token with the same end is a miss, verified in full.
  const verified = new Map<string, { raw: string, use: TokenUse, token: VerifiedJwt, usableUntil: number }>()
  const keyOf = (token: string) => token.slice(-LOOKUP_CHARS)
  let lastReport = 0

  const known = (token: string, use: TokenUse) => {
    const hit = verified.get(keyOf(token))
    if (!hit || hit.raw !== token) return undefined
    if (hit.usableUntil > Date.now() / 1000) return hit.use === use ? hit.token : null
    verified.delete(keyOf(token))
    return undefined
  }

  return {
    known,
    async verify(token, use) {
      const hit = known(token, use)
      if (hit !== undefined) return hit
      try {
        const claims = await verifier.verify(token, { tokenUse: use, clientId })
        const jwt: VerifiedJwt = Object.freeze({ payload: Object.freeze(claims) as VerifiedJwt['payload'], toString: () => token })
        if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!)
        verified.set(keyOf(token), { raw: token, use, token: jwt, usableUntil: claims.exp + graceSeconds })
        return jwt
      }
      catch (error) {
        // A bad token is the caller's problem and reads as signed out. Keys that cannot be fetched
        // are the server's: still signed out (never trusted unverified), but said in the log.
        if (!(error instanceof JwtBaseError) && Date.now() - lastReport >= REPORT_EVERY_MS) {
          lastReport = Date.now()
          options.log(`[amplify] Session tokens cannot be checked, so they read as signed out: ${messageOf(error)}`)
        }
        return null
      }
    },
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

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
