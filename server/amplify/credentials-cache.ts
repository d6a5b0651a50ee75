/**
 * Identity-pool credentials kept between requests. Amplify's provider keeps them only in its own
 * instance, and a server makes one per request, so without this every render that signs a request
 * (Storage, IAM data calls, REST) first asks Cognito Identity for credentials: a round trip per
 * page view, for every visitor.
 *
 * An entry belongs to one session and is found only by what proves that session:
 * - a signed-in user's by their verified id token (a new sign-in or a refresh is a new token, and
 *   so a new entry);
 * - a guest's by the identity id their cookie names, which is all Cognito asks of a guest too: it
 *   hands that identity's credentials to whoever names it.
 *
 * An entry is used until shortly before its credentials expire (a user's, before their token
 * does), the cache holds a bounded number of sessions, and sign-out drops the session's entry.
 */
import type { CredentialsAndIdentityId, CredentialsAndIdentityIdProvider, GetCredentialsOptions } from 'aws-amplify/auth'
import { LRUCache } from 'lru-cache'

/** Credentials are not handed out in their last 5 minutes: a call signed with them must still work. */
export const CREDENTIALS_MARGIN_MS = 5 * 60_000
/** Sessions kept at most; the least recently used go first. */
const MAX_SESSIONS = 10_000

export interface CredentialsCacheOptions {
  /** Default 10,000 sessions. */
  max?: number
  /** Milliseconds since the epoch; `Date.now` unless a test moves its own clock. */
  now?: () => number
}

/** What identifies a request's session, for `forget`. */
export interface SessionKeys {
  /** The verified id token of a signed-in user. */
  idToken?: string
  /** The identity id a guest's cookie names. */
  guestIdentityId?: string
}

export interface CredentialsCache {
  /**
   * The provider for one request: answers from the cache, or asks `inner` (Amplify's own, on that
   * request's cookies) and keeps what it got. `guestIdentityId` reads the identity id the request's
   * cookie names.
   */
  provider(inner: CredentialsAndIdentityIdProvider, guestIdentityId: () => string | undefined): CredentialsAndIdentityIdProvider
  /** Drops a session's entries (sign-out). */
  forget(session: SessionKeys): void
  readonly size: number
}

const userKey = (idToken: string) => `user:${idToken}`
const guestKey = (identityId: string) => `guest:${identityId}`

export function createCredentialsCache(options: CredentialsCacheOptions = {}): CredentialsCache {
  const now = options.now ?? Date.now
  // Expiry is checked here against `now`, not left to the cache's own timer, so tests move one clock.
  const entries = new LRUCache<string, { value: CredentialsAndIdentityId, usableUntil: number }>({ max: options.max ?? MAX_SESSIONS })

  const fresh = (key: string) => {
    const entry = entries.get(key)
    if (entry && entry.usableUntil > now()) return entry.value
    if (entry) entries.delete(key)
    return undefined
  }

  return {
    provider(inner, guestIdentityId) {
      return {
        async getCredentialsAndIdentityId(getOptions: GetCredentialsOptions) {
          const idToken = getOptions.authenticated ? getOptions.tokens?.idToken : undefined
          const cookieIdentity = getOptions.authenticated ? undefined : guestIdentityId()
          const key = idToken ? userKey(idToken.toString()) : cookieIdentity ? guestKey(cookieIdentity) : undefined
          if (key && !getOptions.forceRefresh) {
            const hit = fresh(key)
            if (hit) return hit
          }
          // Signing in merges the guest identity the cookie names into the user's, and Cognito
          // refuses it from then on: so must this cache.
          const merged = idToken ? guestIdentityId() : undefined
          if (merged) entries.delete(guestKey(merged))
          const value = await inner.getCredentialsAndIdentityId(getOptions)
          const expiration = value?.credentials.expiration?.getTime()
          // Guests without an identity yet are kept under the one Cognito gave them (now in their cookie).
          const keepAs = idToken ? key : value?.identityId ? guestKey(value.identityId) : undefined
          if (value && keepAs && expiration !== undefined) {
            const tokenExpiry = idToken?.payload.exp === undefined ? Infinity : idToken.payload.exp * 1000
            const usableUntil = Math.min(expiration, tokenExpiry) - CREDENTIALS_MARGIN_MS
            if (usableUntil > now()) entries.set(keepAs, { value, usableUntil })
          }
          return value
        },
        async clearCredentialsAndIdentityId() {
          // Amplify clears a refused identity (utils/identity-recovery.ts): nothing kept for it may answer again.
          const identity = guestIdentityId()
          if (identity) entries.delete(guestKey(identity))
          await inner.clearCredentialsAndIdentityId()
        },
      }
    },
    forget({ idToken, guestIdentityId }) {
      if (idToken) entries.delete(userKey(idToken))
      if (guestIdentityId) entries.delete(guestKey(guestIdentityId))
    },
    get size() {
      return entries.size
    },
  }
}
