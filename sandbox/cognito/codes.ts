/**
 * Verification codes: sent (listed and printed, as the sandbox sends no e-mail), rate limited,
 * single use, expiring, and voided after too many wrong guesses (6-digit codes are otherwise guessable).
 */
import { randomInt } from 'node:crypto'
import type { SandboxMessage } from '../core/types'
import { attemptLimit, codeExpired, codeMismatch, userNotFound } from './errors'
import { requireString, type Body } from './params'
import type { LocalPool } from './pool'
import type { CodeKind, StoredUser } from './state-file'
import { customMessage, type TriggerCall } from './triggers'
import { isEmail, maskEmail } from './validation'

const HOUR = 3_600_000
const CODE_LIFETIME: Record<CodeKind, number> = { signUp: 24 * HOUR, forgotPassword: HOUR, verifyEmail: 24 * HOUR }
const MESSAGE_KIND: Record<CodeKind, SandboxMessage['kind']> = { signUp: 'sign-up', forgotPassword: 'forgot-password', verifyEmail: 'verify-attribute' }
/** Codes one user may be sent per hour before LimitExceededException. */
const MAX_CODES_PER_HOUR = 10
/** Wrong guesses a code survives; the next attempt voids it. */
const MAX_CODE_FAILURES = 5

/** The CustomMessage trigger source of each kind of code, unless the operation names another. */
const MESSAGE_SOURCE: Record<CodeKind, string> = {
  signUp: 'CustomMessage_SignUp',
  forgotPassword: 'CustomMessage_ForgotPassword',
  verifyEmail: 'CustomMessage_VerifyUserAttribute',
}

/**
 * Sends a new code of `kind` to `to` (replacing the previous one), worded by the CustomMessage
 * trigger if the pool has one; answers Cognito's CodeDeliveryDetails.
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
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  // Before anything changes: a trigger that fails leaves the previous code in place.
  const { subject, body } = await customMessage(pool, options.triggerSource ?? MESSAGE_SOURCE[kind], user, code, options.call ?? {})
  user.codeSends.push(now)
  user.codes[kind] = { code, expiresAt: now + CODE_LIFETIME[kind], failedAttempts: 0 }
  deliver(pool, { kind: MESSAGE_KIND[kind], to, sub: user.sub, code, subject, body, sentAt: new Date(now).toISOString() })
  pool.state.touch(user)
  return delivery(to)
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
    return { hidden: { CodeDeliveryDetails: delivery(isEmail(username) ? username : `${username}@example.com`) } }
  }
  throw userNotFound()
}

function delivery(to: string): Body {
  return { Destination: maskEmail(to), DeliveryMedium: 'EMAIL', AttributeName: 'email' }
}
