/**
 * Second factors as Cognito decides them: which challenge a sign-in gets once the password is
 * proven (none, one factor, a choice, or a set-up), and RFC 6238 time-based codes, checked with
 * `otpauth` as Cognito checks them (HMAC-SHA1, 6 digits, 30-second steps, one step of clock skew
 * either way, each code good once).
 *
 * The decision follows Cognito's "Details of MFA logic at user runtime": a preferred factor wins;
 * otherwise required MFA uses every factor the user can receive (a registered authenticator, a phone
 * number for SMS, an e-mail address for e-mail codes) and optional MFA only those the user turned
 * on; several make a SELECT_MFA_TYPE, none under required MFA an MFA_SETUP.
 */
import { Secret, TOTP } from 'otpauth'
import type { MfaMethod, UserPoolSettings } from '../core/types'
import type { StoredUser } from './state-file'

const PERIOD_SECONDS = 30

/** A new authenticator secret, base32 as AssociateSoftwareToken returns it (20 random bytes). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/**
 * Checks `code` against the secret at the current time: the step it belongs to, `mismatch`, or
 * `reused` for a code of a step no later than the last one accepted (`lastStep`).
 */
export function checkTotp(secret: string, code: string, lastStep?: number): { step: number } | 'mismatch' | 'reused' {
  const now = Date.now()
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS })
  const delta = /^\d{6}$/.test(code) ? totp.validate({ token: code, timestamp: now, window: 1 }) : null
  if (delta === null) return 'mismatch'
  const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta
  return lastStep !== undefined && step <= lastStep ? 'reused' : { step }
}

/** What follows a proven password. */
export type MfaDecision
  = | { next: 'tokens' }
    | { next: 'challenge', method: MfaMethod }
    | { next: 'select', methods: MfaMethod[] }
    | { next: 'setup', methods: MfaMethod[] }
    | { next: 'unavailable' }

/** The factors the user could be challenged with now, whether or not they turned them on. */
export function usableMethods(settings: Pick<UserPoolSettings, 'mfa'>, user: StoredUser): MfaMethod[] {
  const pool = settings.mfa?.methods ?? []
  const usable: MfaMethod[] = []
  if (pool.includes('SOFTWARE_TOKEN_MFA') && user.mfa?.totpSecret) usable.push('SOFTWARE_TOKEN_MFA')
  if (pool.includes('SMS_MFA') && user.attributes.phone_number) usable.push('SMS_MFA')
  if (pool.includes('EMAIL_OTP') && user.attributes.email) usable.push('EMAIL_OTP')
  return usable
}

export function decideMfa(settings: Pick<UserPoolSettings, 'mfa'>, user: StoredUser): MfaDecision {
  const configuration = settings.mfa?.configuration ?? 'OFF'
  if (configuration === 'OFF') return { next: 'tokens' }
  const usable = usableMethods(settings, user)
  const preferred = user.mfa?.preferred
  if (preferred && usable.includes(preferred)) return { next: 'challenge', method: preferred }
  // Required MFA may use what the user can receive; optional MFA only what they turned on.
  const candidates = configuration === 'ON' ? usable : usable.filter(method => user.mfa?.enabled.includes(method))
  if (candidates.length === 1) return { next: 'challenge', method: candidates[0]! }
  if (candidates.length > 1) return { next: 'select', methods: candidates }
  if (configuration === 'OPTIONAL') return { next: 'tokens' }
  // Required, and nothing to use: what the user could set up. SMS needs a phone number added first
  // (Cognito lists it all the same); e-mail codes need an address, which the set-up answer gives.
  const pool = settings.mfa?.methods ?? []
  const setup = pool.filter(method => method === 'SOFTWARE_TOKEN_MFA' || (method === 'EMAIL_OTP' && !user.attributes.email) || (method === 'SMS_MFA' && !user.attributes.phone_number))
  return setup.some(method => method !== 'SMS_MFA') ? { next: 'setup', methods: setup } : { next: 'unavailable' }
}
