/**
 * Verification codes: sent (listed and printed, as the sandbox sends no e-mail or text message), rate limited,
 * single use, expiring, and voided after too many wrong guesses (6-digit codes are otherwise guessable).
 */
import { randomInt } from 'node:crypto'
import type { SandboxMessage } from '../core/types'
import { attemptLimit, codeExpired, codeMismatch, userNotFound } from './errors'
import { requireString, type Body } from './params'
import type { LocalPool } from './pool'
import type { CodeKind, StoredUser } from './state-file'
import { customMessage, type TriggerCall } from './triggers'
import { isEmail, isPhone, maskEmail, maskPhone } from './validation'

const HOUR = 3_600_000
const CODE_LIFETIME: Record<CodeKind, number> = { signUp: 24 * HOUR, forgotPassword: HOUR, verifyEmail: 24 * HOUR, verifyPhone: 24 * HOUR }
const MESSAGE_KIND: Record<CodeKind, SandboxMessage['kind']> = { signUp: 'sign-up', forgotPassword: 'forgot-password', verifyEmail: 'verify-attribute', verifyPhone: 'verify-attribute' }
/** Codes one user may be sent per hour before LimitExceededException. */
const MAX_CODES_PER_HOUR = 10
/** Wrong guesses a code survives; the next attempt voids it. */
const MAX_CODE_FAILURES = 5

/** The CustomMessage trigger source of each kind of code, unless the operation names another. */
const MESSAGE_SOURCE: Record<CodeKind, string> = {
  signUp: 'CustomMessage_SignUp',
  forgotPassword: 'CustomMessage_ForgotPassword',
  verifyEmail: 'CustomMessage_VerifyUserAttribute',
  verifyPhone: 'CustomMessage_VerifyUserAttribute',
}

/**
 * Sends a new code of `kind` to `to`, an e-mail address or (by text message) a phone number,
 * replacing the previous one, worded by the CustomMessage trigger if the pool has one; answers
 * Cognito's CodeDeliveryDetails.
 */
export async function sendCode(
  pool: LocalPool,
  user: StoredUser,
  kind: CodeKind,
  to: string,
  options: { triggerSource?: string, call?: TriggerCall } = {},
): Promise<Body> {
  const now = Date.now()
  user.codeSends = user.codeSends.filter(at => at > now - HOUR)
  if (user.codeSends.length >= MAX_CODES_PER_HOUR) throw attemptLimit()
  const code = newCode()
  const medium = mediumOf(to)
  // Before anything changes: a trigger that fails leaves the previous code in place.
  const template = medium === 'SMS' ? { subject: '', message: smsTexts(pool).verificationMessage } : undefined
  const { subject, body } = await customMessage(pool, options.triggerSource ?? MESSAGE_SOURCE[kind], user, code, options.call ?? {}, template, medium)
  user.codeSends.push(now)
  user.codes[kind] = { code, to, expiresAt: now + CODE_LIFETIME[kind], failedAttempts: 0 }
  deliver(pool, { kind: MESSAGE_KIND[kind], to, medium, sub: user.sub, code, subject, body, sentAt: new Date(now).toISOString() })
  pool.state.touch(user)
  return delivery(to)
}

/** A 6-digit code, as Cognito sends. */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}

/** A phone number (E.164) gets a text message; anything else is an e-mail address. */
export function mediumOf(to: string): 'EMAIL' | 'SMS' {
  return isPhone(to) ? 'SMS' : 'EMAIL'
}

/** The pool's text messages, or Cognito's wording where the settings carry none. */
export function smsTexts(pool: LocalPool): NonNullable<LocalPool['settings']['sms']> {
  return pool.settings.sms ?? { verificationMessage: 'Your verification code is {####}', authenticationMessage: 'Your authentication code is {####}. ' }
}

/** "Sends" a message: lists it in the mailbox and tells the sandbox, which prints it. */
export function deliver(pool: LocalPool, sent: SandboxMessage): Body {
  pool.state.addMessage(sent)
  try {
    pool.onMessage?.(sent)
  }
  catch {
    // A failing listener must not fail the user's request; the message is still listed.
  }
  return delivery(sent.to)
}

/** Checks and uses up a code; a wrong one counts against it. */
export function consumeCode(pool: LocalPool, user: StoredUser, kind: CodeKind, code: string): void {
  const stored = user.codes[kind]
  if (!stored) throw codeMismatch()
  if (stored.failedAttempts >= MAX_CODE_FAILURES) {
    user.codes[kind] = undefined
    pool.state.touch(user)
    throw attemptLimit()
  }
  if (stored.code !== code) {
    stored.failedAttempts++
    pool.state.touch(user)
    throw codeMismatch()
  }
  if (stored.expiresAt < Date.now()) throw codeExpired()
  user.codes[kind] = undefined
  pool.state.touch(user)
}

/**
 * The user a code is to be sent to (ResendConfirmationCode, ForgotPassword); for an unknown user,
 * the answer that hides it (a delivery that never happens) or, without existence hiding,
 * UserNotFoundException.
 */
export function codeRecipient(pool: LocalPool, body: Body): { user: StoredUser, hidden?: never } | { user?: never, hidden: Body } {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const user = pool.state.findUser(username)
  if (user) return { user }
  if (pool.settings.preventUserExistenceErrors) {
    return { hidden: { CodeDeliveryDetails: delivery(isEmail(username) || isPhone(username) ? username : `${username}@example.com`) } }
  }
  throw userNotFound()
}

/** Cognito's CodeDeliveryDetails for a message to `to`. */
export function delivery(to: string): Body {
  return mediumOf(to) === 'SMS'
    ? { Destination: maskPhone(to), DeliveryMedium: 'SMS', AttributeName: 'phone_number' }
    : { Destination: maskEmail(to), DeliveryMedium: 'EMAIL', AttributeName: 'email' }
}
