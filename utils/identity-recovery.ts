import type { CredentialsAndIdentityIdProvider, GetCredentialsOptions } from 'aws-amplify/auth'

/**
 * Amplify keeps the identity pool's identity id in a cookie and sends it back for good, even when
 * the identity pool has stopped honouring it. That happens in ordinary use: a guest browses (and
 * gets a guest identity), then signs in as a user who already has one, and Cognito merges the guest
 * identity into the user's and disables it; or a cookie names an identity of another user, another
 * pool, or one deleted since. Every later call then fails, in SSR and in the browser, until the
 * cookies are cleared (the same class of bug as aws-amplify/amplify-js#14378 and #6616).
 *
 * This wraps Amplify's own provider: when the identity pool refuses the stored identity itself, the
 * stored id is dropped (the cookie goes too) and the call is made once more, which asks the pool for
 * a good one (the user's own identity, or a new guest one). Any other failure is passed on as is.
 */
export function withIdentityRecovery(provider: CredentialsAndIdentityIdProvider): CredentialsAndIdentityIdProvider {
  const get = async (options: GetCredentialsOptions) => {
    try {
      return await provider.getCredentialsAndIdentityId(options)
    }
    catch (error) {
      if (!isUnusableIdentity(error)) throw error
      await provider.clearCredentialsAndIdentityId()
      return provider.getCredentialsAndIdentityId(options)
    }
  }
  // Calls made at once (a page's parallel data and Storage calls, right after a sign-in) share one
  // request: Amplify's provider would send one each, and with a guest identity stored, the first
  // merges it into the user's and every other is refused for naming the merged one.
  const inFlight = new Map<string, ReturnType<typeof get>>()
  return {
    getCredentialsAndIdentityId(options) {
      const key = JSON.stringify([options.authenticated, options.forceRefresh ?? false, options.tokens?.idToken?.toString() ?? null])
      let pending = inFlight.get(key)
      if (!pending) {
        pending = get(options).finally(() => inFlight.delete(key))
        inFlight.set(key, pending)
      }
      return pending
    },
    clearCredentialsAndIdentityId: () => provider.clearCredentialsAndIdentityId(),
  }
}

/**
 * Whether the identity pool refused the identity id itself, not the caller's login or the pool's
 * set-up: a disabled (merged) identity, `NotAuthorizedException: Access to Identity '…' is
 * forbidden.`; one that does not exist (deleted, or of another pool), `ResourceNotFoundException:
 * Identity '…' not found.`; one linked to another login, `NotAuthorizedException: Logins don't
 * match.`. An expired or forged login token is also a NotAuthorizedException, and must not cost
 * the user their identity: those messages do not match.
 */
export function isUnusableIdentity(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown, message?: unknown }
  if (typeof message !== 'string') return false
  if (name === 'ResourceNotFoundException') return /^Identity '.*' not found/.test(message)
  if (name === 'NotAuthorizedException') return /^Access to Identity '.*' is forbidden/i.test(message) || message.startsWith('Logins don\'t match')
  return false
}
