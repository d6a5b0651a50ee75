/**
 * Who a request's exact Cookie header is, until its tokens expire. An API route called again and
 * again with one session (a page's fetches, polling) then costs a map lookup, not a cookie parse,
 * two token look-ups and a request context (see bench/: `/api/current-user`).
 *
 * The key is the whole header, so no two sessions share an entry, and a refreshed or signed-out
 * session (new cookies) never finds the old one. An entry is used only while both of its tokens
 * are; failures are never kept, so junk cookies cannot fill it. Sign-out drops the entry of the
 * header it came with.
 */
import type { AuthUser } from 'aws-amplify/auth'
import { LRUCache } from 'lru-cache'

export interface KnownUsers {
  /** The user this exact header was verified as, while their tokens are unexpired. */
  get(header: string): AuthUser | undefined
  /** Keeps `user` for `header` until `until` (epoch ms: the earlier expiry of its two tokens). */
  set(header: string, user: AuthUser, until: number): void
  forget(header: string): void
}

export function createKnownUsers(options: { max?: number, now?: () => number } = {}): KnownUsers {
  const now = options.now ?? Date.now
  // Each entry holds its header (a few kB): 1,000 sessions at most is a few MB.
  const users = new LRUCache<string, { user: AuthUser, until: number }>({ max: options.max ?? 1000 })
  return {
    get(header) {
      const entry = users.get(header)
      if (!entry) return undefined
      if (entry.until > now()) return entry.user
      users.delete(header)
      return undefined
    },
    set(header, user, until) {
      if (until > now()) users.set(header, { user: Object.freeze({ ...user }), until })
    },
    forget(header) {
      users.delete(header)
    },
  }
}
