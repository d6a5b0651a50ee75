import type { AuthTokens, CredentialsAndIdentityIdProvider, GetCredentialsOptions } from 'aws-amplify/auth'
import { describe, expect, it } from 'vitest'
import { isUnusableIdentity, withIdentityRecovery } from '~~/utils/identity-recovery'

const serviceError = (name: string, message: string) => Object.assign(new Error(message), { name })
const GUEST: GetCredentialsOptions = { authenticated: false, authConfig: undefined }
/** A signed-in session whose id token reads as `idToken`. */
const session = (idToken: string): GetCredentialsOptions => ({ authenticated: true, authConfig: undefined, tokens: { accessToken: { payload: {} }, idToken: { payload: {}, toString: () => idToken } } as AuthTokens })
const credentials = { credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' }, identityId: 'us-east-1:good' }

/** Amplify's provider reduced to what matters here: a stored id, refused until it is cleared. */
function providerStoring(refusal: Error) {
  const calls: string[] = []
  let stored: string | undefined = 'us-east-1:stale'
  const provider: CredentialsAndIdentityIdProvider = {
    async getCredentialsAndIdentityId() {
      calls.push(stored ?? 'new')
      if (stored) throw refusal
      return credentials
    },
    clearCredentialsAndIdentityId() {
      calls.push('clear')
      stored = undefined
    },
  }
  return { provider, calls }
}

describe('withIdentityRecovery', () => {
  it.each([
    ['merged into a user\'s identity (disabled)', serviceError('NotAuthorizedException', 'Access to Identity \'us-east-1:stale\' is forbidden.')],
    ['deleted, or of another pool', serviceError('ResourceNotFoundException', 'Identity \'us-east-1:stale\' not found.')],
    ['linked to another login', serviceError('NotAuthorizedException', 'Logins don\'t match. Please include at least one valid login for this identity or identity pool.')],
  ])('drops an identity id %s and asks again, once', async (_, refusal) => {
    const { provider, calls } = providerStoring(refusal)
    await expect(withIdentityRecovery(provider).getCredentialsAndIdentityId(GUEST)).resolves.toEqual(credentials)
    expect(calls).toEqual(['us-east-1:stale', 'clear', 'new'])
  })

  it('keeps the identity when the login token is what was refused', async () => {
    const { provider, calls } = providerStoring(serviceError('NotAuthorizedException', 'Invalid login token. Token expired: 1 >= 2'))
    await expect(withIdentityRecovery(provider).getCredentialsAndIdentityId(session('token'))).rejects.toThrow('Token expired')
    expect(calls).toEqual(['us-east-1:stale'])
  })

  it('tries once more at most: a pool that refuses a fresh identity too is reported', async () => {
    const refusal = serviceError('ResourceNotFoundException', 'Identity \'us-east-1:x\' not found.')
    let attempts = 0
    const provider: CredentialsAndIdentityIdProvider = {
      getCredentialsAndIdentityId: async () => {
        attempts++
        throw refusal
      },
      clearCredentialsAndIdentityId: () => {},
    }
    await expect(withIdentityRecovery(provider).getCredentialsAndIdentityId(GUEST)).rejects.toBe(refusal)
    expect(attempts).toBe(2)
  })
})

describe('isUnusableIdentity', () => {
  it('does not take a missing identity pool or a network failure for a bad identity', () => {
    expect(isUnusableIdentity(serviceError('ResourceNotFoundException', 'IdentityPool \'us-east-1:p\' not found.'))).toBe(false)
    expect(isUnusableIdentity(new TypeError('Failed to fetch'))).toBe(false)
    expect(isUnusableIdentity(undefined)).toBe(false)
  })
})

describe('calls made at once', () => {
  it('share one request to the identity pool, for the same session', async () => {
    let requests = 0
    // The pool answers when the test says so: all three calls are made while the first is in flight.
    const waiting: (() => void)[] = []
    const answer = () => waiting.splice(0).forEach(resolve => resolve())
    const provider: CredentialsAndIdentityIdProvider = {
      getCredentialsAndIdentityId: async () => {
        requests++
        await new Promise<void>(resolve => waiting.push(resolve))
        return credentials
      },
      clearCredentialsAndIdentityId: () => {},
    }
    const wrapped = withIdentityRecovery(provider)
    const answers = Promise.all([wrapped.getCredentialsAndIdentityId(GUEST), wrapped.getCredentialsAndIdentityId(GUEST), wrapped.getCredentialsAndIdentityId(GUEST)])
    answer()
    expect(await answers).toEqual([credentials, credentials, credentials])
    expect(requests).toBe(1)
    // Once answered, the next call asks again (Amplify's provider keeps its own cache).
    const next = wrapped.getCredentialsAndIdentityId(GUEST)
    answer()
    await next
    expect(requests).toBe(2)
  })

  it('never share between a guest and a signed-in session, or two sessions', async () => {
    const seen: unknown[] = []
    const provider: CredentialsAndIdentityIdProvider = {
      getCredentialsAndIdentityId: async (options) => {
        seen.push(options.tokens?.idToken?.toString() ?? 'guest')
        return credentials
      },
      clearCredentialsAndIdentityId: () => {},
    }
    const wrapped = withIdentityRecovery(provider)
    await Promise.all([
      wrapped.getCredentialsAndIdentityId(GUEST),
      wrapped.getCredentialsAndIdentityId(session('token-of-a')),
      wrapped.getCredentialsAndIdentityId(session('token-of-b')),
    ])
    expect(seen.sort()).toEqual(['guest', 'token-of-a', 'token-of-b'])
  })
})
