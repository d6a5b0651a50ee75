/**
 * Second factors: their set-up by a signed-in user or during sign-in (AssociateSoftwareToken,
 * VerifySoftwareToken, SetUserMFAPreference; admin.ts has AdminSetUserMFAPreference), and the challenges that
 * follow a proven password (SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP),
 * each with a sealed, single-use Session as Cognito's (../secret-block.ts).
 *
 * A text message's or an e-mail's code goes where the pool's other codes go (the mailbox, printed by
 * the sandbox); it is good for three minutes within its Session (the app client's
 * AuthSessionValidity, three minutes unless set). Five wrong answers end a Session.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { MfaMethod } from '../../core/types'
import { deliver, delivery, newCode, smsTexts } from '../codes'
import {
  aliasExists, attemptLimit, codeExpired, constraintFailed, invalidEmail, invalidSession, messageCodeMismatch, missingParameter,
  mfaNotInPool, noDeliveryConfig, noMfaMethod, totpMismatch, totpNotInPool, totpReused, totpSetupMismatch, userDisabled,
  userNotConfirmed, wrongType,
} from '../errors'
import { checkTotp, decideMfa, newTotpSecret } from '../mfa'
import { optionalString, requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import type { ChallengeSession } from '../secret-block'
import type { StoredMfa, StoredUser } from '../state-file'
import { customMessage, type TriggerCall } from '../triggers'
import { isEmail } from '../validation'
import { startSession } from './session'

/** Cognito's default session length when the settings carry none (AuthSessionValidity: 3 minutes). */
const DEFAULT_SESSION_SECONDS = 180
/** How long a texted or e-mailed sign-in code is good, within its Session. */
const CODE_LIFETIME = 3 * 60_000
/** Wrong answers a Session survives; the next one ends it. */
const MAX_FAILURES = 5

const CODE_RESPONSE: Record<MfaMethod, string> = { SOFTWARE_TOKEN_MFA: 'SOFTWARE_TOKEN_MFA_CODE', SMS_MFA: 'SMS_MFA_CODE', EMAIL_OTP: 'EMAIL_OTP_CODE' }
const SETTINGS_FIELD: Record<MfaMethod, string> = { SOFTWARE_TOKEN_MFA: 'SoftwareTokenMfaSettings', SMS_MFA: 'SMSMfaSettings', EMAIL_OTP: 'EmailMfaSettings' }

// --- After the password -----------------------------------------------------------------------

/**
 * The password is proven: tokens, or the second factor the pool and the user call for. Only now
 * may the caller learn that the user is disabled or unconfirmed.
 */
export async function afterPassword(pool: LocalPool, user: StoredUser, clientId: string, call: TriggerCall): Promise<Body> {
  if (user.disabled) throw userDisabled()
  if (user.status !== 'CONFIRMED') throw userNotConfirmed()
  const authTime = Math.floor(Date.now() / 1000)
  const decision = decideMfa(pool.settings, user)
  switch (decision.next) {
    case 'tokens':
      return startSession(pool, user, clientId, call)
    case 'challenge':
      return challenge(pool, user, clientId, authTime, decision.method, call)
    case 'select':
      return {
        ChallengeName: 'SELECT_MFA_TYPE',
        Session: seal(pool, { clientId, userId: user.sub, authTime, challenge: 'SELECT_MFA_TYPE', methods: decision.methods }),
        ChallengeParameters: { MFAS_CAN_CHOOSE: JSON.stringify(decision.methods), USER_ID_FOR_SRP: user.sub },
      }
    case 'setup':
      return {
        ChallengeName: 'MFA_SETUP',
        Session: seal(pool, { clientId, userId: user.sub, authTime, challenge: 'MFA_SETUP', methods: decision.methods }),
        ChallengeParameters: { MFAS_CAN_SETUP: JSON.stringify(decision.methods), USER_ID_FOR_SRP: user.sub },
      }
    case 'unavailable':
      throw noMfaMethod()
  }
}

/** The challenge for one factor; a text message or an e-mail carries its code (to `to` when set up now). */
async function challenge(pool: LocalPool, user: StoredUser, clientId: string, authTime: number, method: MfaMethod, call: TriggerCall, to?: string): Promise<Body> {
  if (method === 'SOFTWARE_TOKEN_MFA') {
    return {
      ChallengeName: method,
      Session: seal(pool, { clientId, userId: user.sub, authTime, challenge: method }),
      ChallengeParameters: { ...(user.mfa?.totpDeviceName ? { FRIENDLY_DEVICE_NAME: user.mfa.totpDeviceName } : {}) },
    }
  }
  const destination = to ?? (method === 'SMS_MFA' ? user.attributes.phone_number : user.attributes.email) ?? ''
  const code = newCode()
  const medium = method === 'SMS_MFA' ? 'SMS' : 'EMAIL'
  const template = medium === 'SMS'
    ? { subject: '', message: smsTexts(pool).authenticationMessage }
    : { subject: 'Your sign-in code', message: 'Your sign-in code is {####}' }
  const { subject, body } = await customMessage(pool, 'CustomMessage_Authentication', user, code, call, template, medium)
  const now = Date.now()
  deliver(pool, { kind: medium === 'SMS' ? 'mfa-sms' : 'mfa-email', to: destination, medium, sub: user.sub, code, subject, body, sentAt: new Date(now).toISOString() })
  const details = delivery(destination)
  return {
    ChallengeName: method,
    Session: seal(pool, { clientId, userId: user.sub, authTime, challenge: method, code, codeExpiresAt: now + CODE_LIFETIME, ...(to ? { to } : {}) }),
    ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: details.DeliveryMedium, CODE_DELIVERY_DESTINATION: details.Destination },
  }
}

function seal(pool: LocalPool, session: Omit<ChallengeSession, 'id' | 'expiresAt'>): string {
  const lifetime = (pool.settings.authSessionSeconds ?? DEFAULT_SESSION_SECONDS) * 1000
  return pool.secretBlocks.seal({ ...session, id: randomUUID(), expiresAt: Date.now() + lifetime })
}

/** The Session of a challenge answered now, and its user: Cognito's NotAuthorizedException for anything else. */
function openSession(pool: LocalPool, clientId: string, body: Body, username: string, challenges: Array<ChallengeSession['challenge']>): { session: ChallengeSession, user: StoredUser } {
  const value = requireString(body, 'Session', 2048)
  const session = pool.secretBlocks.open(value)
  if (!session || session.challenge === undefined || session.clientId !== clientId || !challenges.includes(session.challenge)) throw invalidSession()
  if (session.expiresAt < Date.now() || pool.secretBlocks.answered(session) || pool.secretBlocks.failuresOf(session) > MAX_FAILURES) throw invalidSession()
  const user = pool.state.userBySub(session.userId)
  if (!user || pool.state.findUser(username) !== user) throw invalidSession()
  return { session, user }
}

/** A wrong answer: counted against the Session; the one past the limit ends it. */
function refuse(pool: LocalPool, session: ChallengeSession, error: Error): never {
  if (pool.secretBlocks.fail(session) > MAX_FAILURES) {
    pool.secretBlocks.claim(session)
    throw attemptLimit()
  }
  throw error
}

/** A code from the challenge's answers; Cognito names the first one missing. */
function response(responses: Record<string, string>, key: string): string {
  const value = responses[key]
  if (!value) throw missingParameter(key)
  return value
}

// --- Answers ----------------------------------------------------------------------------------

/** SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP: the code, then tokens. */
export async function answerFactor(pool: LocalPool, clientId: string, method: MfaMethod, body: Body, responses: Record<string, string>, call: TriggerCall): Promise<Body> {
  const { session, user } = openSession(pool, clientId, body, response(responses, 'USERNAME'), [method])
  const code = response(responses, CODE_RESPONSE[method])
  if (pool.secretBlocks.failuresOf(session) >= MAX_FAILURES) refuse(pool, session, attemptLimit())
  if (method === 'SOFTWARE_TOKEN_MFA') {
    const mfa = mfaOf(user)
    const checked = mfa.totpSecret ? checkTotp(mfa.totpSecret, code, mfa.lastTotpStep) : 'mismatch'
    if (checked === 'mismatch') refuse(pool, session, totpMismatch())
    if (checked === 'reused') throw totpReused()
    if (!pool.secretBlocks.claim(session)) throw invalidSession()
    mfa.lastTotpStep = checked.step
  }
  else {
    if ((session.codeExpiresAt ?? 0) < Date.now()) throw codeExpired()
    if (!session.code || !sameCode(session.code, code)) refuse(pool, session, messageCodeMismatch())
    if (session.to !== undefined) {
      // E-mail codes set up at sign-in: the address the user gave is theirs once the code proves it.
      const owner = pool.state.aliasOwner('email', session.to)
      if (owner && owner !== user.sub && pool.settings.usernameAttributes.includes('email')) throw aliasExists()
    }
    if (!pool.secretBlocks.claim(session)) throw invalidSession()
    if (session.to !== undefined) {
      pool.state.changeAlias(user, 'email', session.to)
      turnOn(mfaOf(user), 'EMAIL_OTP', true)
    }
    // As Cognito: a code received proves the phone number or address it went to.
    user.attributes[method === 'SMS_MFA' ? 'phone_number_verified' : 'email_verified'] = 'true'
  }
  pool.state.touch(user)
  return startSession(pool, user, clientId, call)
}

/** SELECT_MFA_TYPE: the factor chosen (`ANSWER`), whose challenge follows. */
export async function answerSelection(pool: LocalPool, clientId: string, body: Body, responses: Record<string, string>, call: TriggerCall): Promise<Body> {
  const { session, user } = openSession(pool, clientId, body, response(responses, 'USERNAME'), ['SELECT_MFA_TYPE'])
  const answer = response(responses, 'ANSWER') as MfaMethod
  if (!session.methods?.includes(answer)) throw constraintFailed('ANSWER', answer, `Member must satisfy enum value set: [${(session.methods ?? []).join(', ')}]`)
  if (!pool.secretBlocks.claim(session)) throw invalidSession()
  return challenge(pool, user, clientId, session.authTime, answer, call)
}

/**
 * MFA_SETUP: after VerifySoftwareToken proved an authenticator with this Session, tokens; with an
 * `EMAIL` (amplify's key; Cognito's guide writes `email`), an EMAIL_OTP challenge to that address.
 */
export async function answerSetup(pool: LocalPool, clientId: string, body: Body, responses: Record<string, string>, call: TriggerCall): Promise<Body> {
  const { session, user } = openSession(pool, clientId, body, response(responses, 'USERNAME'), ['MFA_SETUP'])
  const email = responses.EMAIL ?? responses.email
  if (email !== undefined && session.methods?.includes('EMAIL_OTP')) {
    if (!isEmail(email)) throw invalidEmail()
    if (!pool.secretBlocks.claim(session)) throw invalidSession()
    return challenge(pool, user, clientId, session.authTime, 'EMAIL_OTP', call, email)
  }
  if (!session.totpVerified || !pool.secretBlocks.claim(session)) throw invalidSession()
  // The factor set up to sign in is the one the next sign-in asks for.
  turnOn(mfaOf(user), 'SOFTWARE_TOKEN_MFA', true)
  pool.state.touch(user)
  return startSession(pool, user, clientId, call)
}

// --- Set-up -----------------------------------------------------------------------------------

/** A new authenticator secret for the signed-in user, or for an MFA_SETUP Session (with a new Session). */
export async function associateSoftwareToken(pool: LocalPool, body: Body): Promise<Body> {
  if (!pool.settings.mfa?.methods.includes('SOFTWARE_TOKEN_MFA')) throw totpNotInPool()
  const secret = newTotpSecret()
  if (body.AccessToken !== undefined) {
    const { user } = await pool.authenticate(body)
    mfaOf(user).pendingTotpSecret = secret
    pool.state.touch(user)
    return { SecretCode: secret }
  }
  const { session, user } = setupSession(pool, body)
  if (!pool.secretBlocks.claim(session)) throw invalidSession()
  mfaOf(user).pendingTotpSecret = secret
  pool.state.touch(user)
  return { SecretCode: secret, Session: seal(pool, { ...without(session), methods: session.methods }) }
}

/** Proves the authenticator with one of its codes; it then becomes the user's (not yet turned on, but in an MFA_SETUP). */
export async function verifySoftwareToken(pool: LocalPool, body: Body): Promise<Body> {
  const code = requireString(body, 'UserCode', 6)
  if (!/^\d{6}$/.test(code)) throw constraintFailed('UserCode', code, 'Member must satisfy regular expression pattern: [0-9]+')
  const deviceName = optionalString(body, 'FriendlyDeviceName', 131_072)
  if (!pool.settings.mfa?.methods.includes('SOFTWARE_TOKEN_MFA')) throw totpNotInPool()
  const viaSession = body.AccessToken === undefined
  const { session, user } = viaSession ? setupSession(pool, body) : { session: undefined, ...(await pool.authenticate(body)) }
  const mfa = mfaOf(user)
  const checked = mfa.pendingTotpSecret ? checkTotp(mfa.pendingTotpSecret, code) : 'mismatch'
  if (typeof checked === 'string') {
    if (session) refuse(pool, session, totpSetupMismatch())
    throw totpSetupMismatch()
  }
  if (session && !pool.secretBlocks.claim(session)) throw invalidSession()
  // The code proves the app: it is used, so signing in with it in the same window is refused.
  mfa.totpSecret = mfa.pendingTotpSecret
  mfa.lastTotpStep = checked.step
  delete mfa.pendingTotpSecret
  if (deviceName) mfa.totpDeviceName = deviceName
  else delete mfa.totpDeviceName
  pool.state.touch(user)
  if (!session) return { Status: 'SUCCESS' }
  return { Status: 'SUCCESS', Session: seal(pool, { ...without(session), methods: session.methods, totpVerified: true }) }
}

export async function setUserMfaPreference(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  setPreference(pool, user, body)
  return {}
}

/** Cognito's MFA fields of GetUser and AdminGetUser. */
export function mfaFields(user: StoredUser): Body {
  const enabled = user.mfa?.enabled ?? []
  return {
    ...(enabled.length ? { UserMFASettingList: [...enabled] } : {}),
    ...(user.mfa?.preferred ? { PreferredMfaSetting: user.mfa.preferred } : {}),
  }
}

/** Each factor's `{ Enabled, PreferredMfa }`: turned on or off, preferred or not; only one is preferred. */
export function setPreference(pool: LocalPool, user: StoredUser, body: Body): void {
  const changes: Array<{ method: MfaMethod, enabled?: boolean, preferred?: boolean }> = []
  for (const method of Object.keys(SETTINGS_FIELD) as MfaMethod[]) {
    const value = body[SETTINGS_FIELD[method]]
    if (value === undefined || value === null) continue
    if (typeof value !== 'object' || Array.isArray(value)) throw wrongType('structure', SETTINGS_FIELD[method])
    const { Enabled, PreferredMfa } = value as Body
    if (Enabled !== undefined && typeof Enabled !== 'boolean') throw wrongType('structure', `${SETTINGS_FIELD[method]}.Enabled`)
    if (PreferredMfa !== undefined && typeof PreferredMfa !== 'boolean') throw wrongType('structure', `${SETTINGS_FIELD[method]}.PreferredMfa`)
    changes.push({ method, enabled: Enabled, preferred: PreferredMfa })
  }
  // Checked first, so a refused change leaves the others undone too.
  for (const { method, enabled, preferred } of changes) {
    if (!enabled && !preferred) continue
    if (!pool.settings.mfa?.methods.includes(method)) throw method === 'SOFTWARE_TOKEN_MFA' ? totpNotInPool() : mfaNotInPool(method)
    const ready = method === 'SOFTWARE_TOKEN_MFA' ? user.mfa?.totpSecret : method === 'SMS_MFA' ? user.attributes.phone_number : user.attributes.email
    if (!ready) throw noDeliveryConfig(method)
  }
  const mfa = mfaOf(user)
  for (const { method, enabled, preferred } of changes) {
    if (enabled === false) {
      mfa.enabled = mfa.enabled.filter(m => m !== method)
      if (mfa.preferred === method) delete mfa.preferred
      continue
    }
    if (enabled || preferred) turnOn(mfa, method, preferred === true)
    if (preferred === false && mfa.preferred === method) delete mfa.preferred
  }
  pool.state.touch(user)
}

function turnOn(mfa: StoredMfa, method: MfaMethod, preferred: boolean): void {
  if (!mfa.enabled.includes(method)) mfa.enabled.push(method)
  if (preferred) mfa.preferred = method
}

function mfaOf(user: StoredUser): StoredMfa {
  user.mfa ??= { enabled: [] }
  return user.mfa
}

/** The MFA_SETUP Session a set-up call names. */
function setupSession(pool: LocalPool, body: Body): { session: ChallengeSession, user: StoredUser } {
  const session = pool.secretBlocks.open(requireString(body, 'Session', 2048))
  if (!session || session.challenge !== 'MFA_SETUP' || !session.methods?.includes('SOFTWARE_TOKEN_MFA') || session.expiresAt < Date.now() || pool.secretBlocks.answered(session)) throw invalidSession()
  if (pool.secretBlocks.failuresOf(session) >= MAX_FAILURES) throw invalidSession()
  const user = pool.state.userBySub(session.userId)
  if (!user) throw invalidSession()
  return { session, user }
}

/** A Session's state for the next one (which gets its own id and lifetime). */
function without(session: ChallengeSession): Omit<ChallengeSession, 'id' | 'expiresAt'> {
  const { id: _id, expiresAt: _expiresAt, ...rest } = session
  return rest
}

function sameCode(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
