/**
 * SignUp, ConfirmSignUp, ResendConfirmationCode.
 */
import { randomUUID } from 'node:crypto'
import { codeRecipient, consumeCode, sendCode } from '../codes'
import { alreadyConfirmed, attributeRequired, cannotConfirm, codeMismatch, emailMismatch, notInSandbox, usernameExists, usernameNotEmail } from '../errors'
import { attributeList, requireString, stringMap, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredUser } from '../state-file'
import { callOf, preSignUp, runTrigger, userAttributesOf } from '../triggers'
import { checkPassword, checkWritableAttributes, isEmail } from '../validation'

export async function signUp(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const password = requireString(body, 'Password', 4096)
  const attributes = checkWritableAttributes(attributeList(body, 'UserAttributes', false))
  // Gen 2 pools sign in with e-mail (or phone, which would need SMS); only e-mail is modelled.
  if (!pool.settings.usernameAttributes.includes('email')) throw notInSandbox('A pool whose users do not sign in with their email')
  if (!isEmail(username)) throw usernameNotEmail()
  if (attributes.email !== undefined && pool.state.normalize(attributes.email) !== pool.state.normalize(username)) throw emailMismatch()
  attributes.email = username
  for (const name of pool.settings.requiredAttributes) {
    if (!attributes[name]) throw attributeRequired(name)
  }
  checkPassword(password, pool.settings.passwordPolicy)
  if (pool.state.findUser(username)) throw usernameExists()

  const sub = randomUUID()
  const now = new Date().toISOString()
  const user: StoredUser = {
    sub,
    status: 'UNCONFIRMED',
    attributes: { ...attributes, email_verified: 'false' },
    ...srp.createVerifier(pool.poolName, sub, password),
    codes: {},
    codeSends: [],
    createdAt: now,
    updatedAt: now,
  }
  const call = callOf(body)
  // Before the user exists: a trigger that refuses leaves nothing behind.
  const { autoConfirmUser, autoVerifyEmail } = await preSignUp(pool, 'PreSignUp_SignUp', user, call, optionalStringMap(body, 'ValidationData'))
  if (pool.state.findUser(username)) throw usernameExists()
  if (autoConfirmUser) {
    user.status = 'CONFIRMED'
    if (autoVerifyEmail) user.attributes.email_verified = 'true'
    pool.state.addUser(user)
    // Cognito confirms such a user without a code and runs no PostConfirmation for them.
    return { UserConfirmed: true, UserSub: sub }
  }
  let delivery: Body | undefined
  if (pool.settings.autoVerifiedAttributes.includes('email')) {
    // The message (and its CustomMessage trigger) before the user is stored, as a failed send fails the sign-up.
    pool.state.addUser(user)
    try {
      delivery = await sendCode(pool, user, 'signUp', username, { call })
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

export async function confirmSignUp(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const code = requireString(body, 'ConfirmationCode', 2048)
  const user = pool.state.findUser(username)
  if (!user) throw pool.unknownUser(codeMismatch)
  if (user.status !== 'UNCONFIRMED') throw cannotConfirm(user.status)
  const issued = user.codes.signUp
  consumeCode(pool, user, 'signUp', code)
  const verified = user.attributes.email_verified
  user.status = 'CONFIRMED'
  if (user.attributes.email) user.attributes.email_verified = 'true'
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
    if (verified === undefined) delete user.attributes.email_verified
    else user.attributes.email_verified = verified
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
  return { CodeDeliveryDetails: await sendCode(pool, user, 'signUp', user.attributes.email ?? '', { triggerSource: 'CustomMessage_ResendCode', call: callOf(body) }) }
}

function optionalStringMap(body: Body, field: string): Record<string, string> | undefined {
  return body[field] === undefined || body[field] === null ? undefined : { ...stringMap(body, field) }
}
