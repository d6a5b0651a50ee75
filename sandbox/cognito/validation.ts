/**
 * Cognito's rules for passwords and user attributes, with its error wording.
 */
import type { UserPoolSettings } from '../core/types'
import { attributeNotInSchema, attributeNotMutable, invalidBoolean, invalidEmail, invalidPhoneNumber, passwordFormat, passwordPolicy } from './errors'

/** Cognito's special characters: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and a non-edge space. */
const SYMBOLS = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ')

export function checkPassword(password: string, policy: UserPoolSettings['passwordPolicy']): void {
  // Cognito validates this shape before the policy (InvalidParameterException, not InvalidPassword).
  if (password.length > 256 || !/^\S(?:.*\S)?$/su.test(password)) throw passwordFormat()
  const chars = [...password]
  if (chars.length < policy.minimumLength) throw passwordPolicy('Password not long enough')
  if (policy.requireLowercase && !chars.some(c => /\p{Ll}/u.test(c))) throw passwordPolicy('Password must have lowercase characters')
  if (policy.requireUppercase && !chars.some(c => /\p{Lu}/u.test(c))) throw passwordPolicy('Password must have uppercase characters')
  if (policy.requireNumbers && !chars.some(c => c >= '0' && c <= '9')) throw passwordPolicy('Password must have numeric characters')
  if (policy.requireSymbols && !chars.some(c => SYMBOLS.has(c))) throw passwordPolicy('Password must have symbol characters')
}

/** Standard attributes a user may write; `custom:*` are allowed too (the settings carry no custom schema). */
const WRITABLE = new Set([
  'address', 'birthdate', 'email', 'family_name', 'gender', 'given_name', 'locale', 'middle_name', 'name',
  'nickname', 'phone_number', 'picture', 'preferred_username', 'profile', 'zoneinfo', 'updated_at', 'website',
])

const EMAIL = /^[^\s@]+@[^\s@]+$/u
/** E.164, as Cognito takes phone numbers: `+` and the digits, country code first. */
const PHONE = /^\+\d{4,15}$/u

export function isEmail(value: string): boolean {
  return value.length <= 2048 && EMAIL.test(value)
}

export function isPhone(value: string): boolean {
  return PHONE.test(value)
}

/** Rejects what a user may not set: unknown, immutable or verification attributes, bad formats. */
export function checkWritableAttributes(attributes: Array<{ name: string, value: string }>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { name, value } of attributes) {
    if (name === 'sub' || name === 'email_verified' || name === 'phone_number_verified') {
      throw attributeNotMutable(name)
    }
    if (!WRITABLE.has(name) && !/^custom:[\w.-]{1,20}$/u.test(name)) {
      throw attributeNotInSchema(name)
    }
    if (name === 'email' && !isEmail(value)) throw invalidEmail()
    if (name === 'phone_number' && !isPhone(value)) throw invalidPhoneNumber()
    out[name] = value
  }
  return out
}

/** Where a code went, masked as Cognito shows it: `a***@e***`. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@')
  return `${local.charAt(0)}***@${domain.charAt(0)}***`
}

/** A phone number masked as Cognito shows it: `+*******0100`, all but the last four digits hidden. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/u, '')
  return `+${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`
}

/**
 * Attributes an administrator sets (AdminCreateUser, AdminUpdateUserAttributes): what a user may
 * write, and also `email_verified` and `phone_number_verified`, which only an administrator may set.
 */
export function checkAdminAttributes(attributes: Array<{ name: string, value: string }>): Record<string, string> {
  const verified = attributes.filter(({ name }) => name === 'email_verified' || name === 'phone_number_verified')
  const out = checkWritableAttributes(attributes.filter(attribute => !verified.includes(attribute)))
  for (const { name, value } of verified) {
    if (value !== 'true' && value !== 'false') throw invalidBoolean(name)
    out[name] = value
  }
  return out
}
