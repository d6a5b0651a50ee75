/**
 * The user pool's second-factor rules: which challenge follows a proven password, and TOTP codes
 * (checked against codes computed independently, in test/support/totp.ts).
 */
import { describe, expect, it, vi } from 'vitest'
import { checkTotp, decideMfa, newTotpSecret } from '../../../sandbox/cognito/mfa'
import type { StoredUser } from '../../../sandbox/cognito/state-file'
import type { MfaMethod, UserPoolMfa } from '../../../sandbox/core/types'
import { totp } from '../../support/totp'

const user = (attributes: Record<string, string>, mfa?: StoredUser['mfa']): StoredUser => ({
  sub: 'sub-1', status: 'CONFIRMED', attributes, salt: '', verifier: '', codes: {}, codeSends: [], createdAt: '', updatedAt: '', ...(mfa ? { mfa } : {}),
})
const pool = (configuration: UserPoolMfa['configuration'], methods: MfaMethod[]) => ({ mfa: { configuration, methods } })
const ALL: MfaMethod[] = ['SOFTWARE_TOKEN_MFA', 'SMS_MFA', 'EMAIL_OTP']

describe('the challenge after the password', () => {
  it('is none with MFA off, or optional and nothing turned on', () => {
    expect(decideMfa({}, user({ email: 'a@example.com' }))).toEqual({ next: 'tokens' })
    expect(decideMfa(pool('OPTIONAL', ALL), user({ email: 'a@example.com', phone_number: '+15555550100' }))).toEqual({ next: 'tokens' })
  })

  it('is the preferred factor, else the one turned on, else a choice between those turned on', () => {
    const both = { totpSecret: 'S', enabled: ['SOFTWARE_TOKEN_MFA', 'SMS_MFA'] as MfaMethod[] }
    const phone = { email: 'a@example.com', phone_number: '+15555550100' }
    expect(decideMfa(pool('OPTIONAL', ALL), user(phone, { ...both, preferred: 'SMS_MFA' }))).toEqual({ next: 'challenge', method: 'SMS_MFA' })
    expect(decideMfa(pool('OPTIONAL', ALL), user(phone, { enabled: ['EMAIL_OTP'] }))).toEqual({ next: 'challenge', method: 'EMAIL_OTP' })
    expect(decideMfa(pool('OPTIONAL', ALL), user(phone, both))).toEqual({ next: 'select', methods: ['SOFTWARE_TOKEN_MFA', 'SMS_MFA'] })
    // A factor the user has no phone number (or authenticator) for is never asked for.
    expect(decideMfa(pool('OPTIONAL', ALL), user({ email: 'a@example.com' }, { enabled: ['SMS_MFA'], preferred: 'SMS_MFA' }))).toEqual({ next: 'tokens' })
  })

  it('under required MFA, uses what the user can receive, or has them set a factor up', () => {
    expect(decideMfa(pool('ON', ['SMS_MFA', 'SOFTWARE_TOKEN_MFA']), user({ phone_number: '+15555550100' }))).toEqual({ next: 'challenge', method: 'SMS_MFA' })
    expect(decideMfa(pool('ON', ['SMS_MFA', 'SOFTWARE_TOKEN_MFA']), user({ email: 'a@example.com' }))).toEqual({ next: 'setup', methods: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'] })
    expect(decideMfa(pool('ON', ['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']), user({ phone_number: '+15555550100' }))).toEqual({ next: 'setup', methods: ['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP'] })
    expect(decideMfa(pool('ON', ['SMS_MFA']), user({ email: 'a@example.com' }))).toEqual({ next: 'unavailable' })
  })
})

describe('TOTP codes', () => {
  it('accepts the current code and one step either side, each step once', () => {
    const secret = newTotpSecret()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const now = Date.now()
    const step = Math.floor(now / 30_000)
    vi.useFakeTimers({ toFake: ['Date'], now })
    try {
      expect(checkTotp(secret, totp(secret, now))).toEqual({ step })
      expect(checkTotp(secret, totp(secret, now - 30_000))).toEqual({ step: step - 1 })
      expect(checkTotp(secret, totp(secret, now + 30_000))).toEqual({ step: step + 1 })
      expect(checkTotp(secret, totp(secret, now + 60_000))).toBe('mismatch')
      expect(checkTotp(secret, 'abcdef')).toBe('mismatch')
      expect(checkTotp(secret, totp(secret, now), step)).toBe('reused')
      expect(checkTotp(secret, totp(secret, now - 30_000), step)).toBe('reused')
      expect(checkTotp(secret, totp(secret, now + 30_000), step)).toEqual({ step: step + 1 })
    }
    finally {
      vi.useRealTimers()
    }
  })
})
