/**
 * SignUp, ConfirmSignUp, ResendConfirmationCode.
 */
import { randomUUID } from 'node:crypto'
import { codeRecipient, consumeCode, sendCode } from '../codes'
import {
  alreadyConfirmed, attributeRequired, cannotConfirm, codeMismatch, emailMismatch, notInSandbox, phoneMismatch, usernameExists, usernameNotEmail,
  usernameNotEmailOrPhone, usernameNotPhone,
} from '../errors'
import { attributeList, requireString, stringMap, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredUser } from '../state-file'
import { callOf, preSignUp, runTrigger, userAttributesOf } from '../triggers'
import { checkPassword, checkWritableAttributes, isEmail, isPhone } from '../validation'

export async function signUp(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const password = requireString(body, 'Password', 4096)
  const attributes = checkWritableAttributes(attributeList(body, 'UserAttributes', false))
  const alias = usernameAlias(pool, username)
  if (alias === 'email') {
    if (attributes.email !== undefined && pool.state.normalize(attributes.email) !== pool.state.normalize(username)) throw emailMismatch()
    attributes.email = username
  }
  else {
    if (attributes.phone_number !== undefined && attributes.phone_number !== username) throw phoneMismatch()
    attributes.phone_number = username
  }
  for (const name of pool.settings.requiredAttributes) {
    if (!attributes[name]) throw attributeRequired(name)
  }
  checkPassword(password, pool.settings.passwordPolicy)
  assertAliasesFree(pool, attributes)

  const user = newUser(pool, 'UNCONFIRMED', {
    ...attributes,
    ...(attributes.email ? { email_verified: 'false' } : {}),
    ...(attributes.phone_number ? { phone_number_verified: 'false' } : {}),
  }, password)
  const sub = user.sub
  const call = callOf(body)
  // Before the user exists: a trigger that refuses leaves nothing behind.
  const { autoConfirmUser, autoVerifyEmail, autoVerifyPhone } = await preSignUp(pool, 'PreSignUp_SignUp', user, call, optionalStringMap(body, 'ValidationData'))
  assertAliasesFree(pool, attributes)
  if (autoConfirmUser) {
    user.status = 'CONFIRMED'
    if (autoVerifyEmail && user.attributes.email) user.attributes.email_verified = 'true'
    if (autoVerifyPhone && user.attributes.phone_number) user.attributes.phone_number_verified = 'true'
    pool.state.addUser(user)
    // Cognito confirms such a user without a code and runs no PostConfirmation for them.
    return { UserConfirmed: true, UserSub: sub }
  }
  let delivery: Body | undefined
  const to = verificationDestination(pool, user)
  if (to) {
    // The message (and its CustomMessage trigger) before the user is stored, as a failed send fails the sign-up.
    pool.state.addUser(user)
    try {
      delivery = await sendCode(pool, user, 'signUp', to, { call })
    }
    catch (error) {
      pool.state.deleteUser(user)
      throw error
    }
  }
  else {
    pool.state.addUser(user)
  }
  return { UserConfirmed: false, UserSub: sub, ...(delivery ? { CodeDeliveryDetails: delivery } : {}) }
}

/**
 * Which sign-in alias the username is: an e-mail address or a phone number, as the pool's
 * `UsernameAttributes` allow, with Cognito's answer for anything else.
 */
export function usernameAlias(pool: LocalPool, username: string): 'email' | 'phone_number' {
  const byEmail = pool.settings.usernameAttributes.includes('email')
  const byPhone = pool.settings.usernameAttributes.includes('phone_number')
  if (!byEmail && !byPhone) throw notInSandbox('A pool whose users do not sign in with their email or phone number')
  if (byEmail && isEmail(username)) return 'email'
  if (byPhone && isPhone(username)) return 'phone_number'
  throw byEmail && byPhone ? usernameNotEmailOrPhone() : byEmail ? usernameNotEmail() : usernameNotPhone()
}

/** Each sign-in alias the new user would have must be nobody else's. */
export function assertAliasesFree(pool: LocalPool, attributes: Record<string, string>): void {
  for (const alias of ['email', 'phone_number'] as const) {
    const value = attributes[alias]
    if (value && pool.settings.usernameAttributes.includes(alias) && pool.state.aliasOwner(alias, value)) throw usernameExists(alias)
  }
}

/**
 * Where a sign-up code goes: with both attributes auto-verified, Cognito texts the phone number;
 * nowhere when the pool verifies neither.
 */
function verificationDestination(pool: LocalPool, user: StoredUser): string | undefined {
  const auto = pool.settings.autoVerifiedAttributes
  if (auto.includes('phone_number') && user.attributes.phone_number) return user.attributes.phone_number
  if (auto.includes('email') && user.attributes.email) return user.attributes.email
  return undefined
}

export async function confirmSignUp(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const code = requireString(body, 'ConfirmationCode', 2048)
  const user = pool.state.findUser(username)
  if (!user) throw pool.unknownUser(codeMismatch)
  if (user.status !== 'UNCONFIRMED') throw cannotConfirm(user.status)
  const issued = user.codes.signUp
  consumeCode(pool, user, 'signUp', code)
  // The code proves the address or number it went to.
  const attribute = issued?.to !== undefined && isPhone(issued.to) ? 'phone_number_verified' : 'email_verified'
  const verified = user.attributes[attribute]
  user.status = 'CONFIRMED'
  if (user.attributes[attribute === 'email_verified' ? 'email' : 'phone_number']) user.attributes[attribute] = 'true'
  try {
    await runTrigger(pool, 'PostConfirmation', {
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      user,
      call: callOf(body),
      request: { userAttributes: userAttributesOf(user) },
    })
  }
  catch (error) {
    // Refused: the user stays unconfirmed and the code still works, so a retry can succeed.
    user.status = 'UNCONFIRMED'
    if (verified !== undefined) user.attributes[attribute] = verified
    else if (attribute === 'email_verified') delete user.attributes.email_verified
    else delete user.attributes.phone_number_verified
    user.codes.signUp = issued
    pool.state.touch(user)
    throw error
  }
  pool.state.touch(user)
  return {}
}

export async function resendConfirmationCode(pool: LocalPool, body: Body): Promise<Body> {
  const { user, hidden } = codeRecipient(pool, body)
  if (!user) return hidden
  if (user.status !== 'UNCONFIRMED') throw alreadyConfirmed()
  const to = verificationDestination(pool, user) ?? user.attributes.email ?? user.attributes.phone_number ?? ''
  return { CodeDeliveryDetails: await sendCode(pool, user, 'signUp', to, { triggerSource: 'CustomMessage_ResendCode', call: callOf(body) }) }
}

function optionalStringMap(body: Body, field: string): Record<string, string> | undefined {
  return body[field] === undefined || body[field] === null ? undefined : { ...stringMap(body, field) }
}

/** A new user of the pool, with a fresh sub and the SRP verifier of `password` (never the password). */
export function newUser(pool: LocalPool, status: StoredUser['status'], attributes: Record<string, string>, password: string): StoredUser {
  const sub = randomUUID()
  const now = new Date().toISOString()
  return { sub, status, attributes, ...srp.createVerifier(pool.poolName, sub, password), codes: {}, codeSends: [], createdAt: now, updatedAt: now }
}
