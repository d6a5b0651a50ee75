/**
 * SignUp, ConfirmSignUp, ResendConfirmationCode.
 */
import { randomUUID } from 'node:crypto'
import { codeRecipient, consumeCode, sendCode } from '../codes'
import { alreadyConfirmed, attributeRequired, cannotConfirm, codeMismatch, emailMismatch, notInSandbox, usernameExists, usernameNotEmail } from '../errors'
import { attributeList, requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredUser } from '../store'
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
  pool.state.addUser(user)
  const delivery = pool.settings.autoVerifiedAttributes.includes('email')
    ? sendCode(pool, user, 'signUp', username)
    : undefined
  return { UserConfirmed: false, UserSub: sub, ...(delivery ? { CodeDeliveryDetails: delivery } : {}) }
}

export async function confirmSignUp(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const code = requireString(body, 'ConfirmationCode', 2048)
  const user = pool.state.findUser(username)
  if (!user) throw pool.unknownUser(codeMismatch)
  if (user.status === 'CONFIRMED') throw cannotConfirm()
  consumeCode(pool, user, 'signUp', code)
  user.status = 'CONFIRMED'
  if (user.attributes.email) user.attributes.email_verified = 'true'
  pool.state.touch(user)
  return {}
}

export async function resendConfirmationCode(pool: LocalPool, body: Body): Promise<Body> {
  const { user, hidden } = codeRecipient(pool, body)
  if (!user) return hidden
  if (user.status === 'CONFIRMED') throw alreadyConfirmed()
  return { CodeDeliveryDetails: sendCode(pool, user, 'signUp', user.attributes.email ?? '') }
}
