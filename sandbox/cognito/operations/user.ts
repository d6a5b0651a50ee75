/**
 * The signed-in user (AccessToken operations): GetUser, UpdateUserAttributes,
 * GetUserAttributeVerificationCode, VerifyUserAttribute, ChangePassword, DeleteUser. The e-mail
 * address and the phone number are verified the same way: a code to the new one, the old one in
 * force until it is proven.
 */
import { consumeCode, sendCode } from '../codes'
import { aliasExists, attributeRequired, incorrectCredentials, noEmail, noPhone, notInSandbox } from '../errors'
import { attributeList, requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { Alias } from '../state'
import type { StoredUser } from '../state-file'
import { checkPassword, checkWritableAttributes } from '../validation'
import { callOf, type TriggerCall } from '../triggers'
import { mfaFields } from './mfa'

/** Per verifiable attribute: its code, where the pending value waits, and its `_verified` attribute. */
const CONTACTS = {
  email: { kind: 'verifyEmail', pending: 'pendingEmail', verified: 'email_verified', missing: noEmail },
  phone_number: { kind: 'verifyPhone', pending: 'pendingPhone', verified: 'phone_number_verified', missing: noPhone },
} as const

export async function getUser(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  return {
    Username: user.sub,
    UserAttributes: [
      { Name: 'sub', Value: user.sub },
      ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
    ],
    ...mfaFields(user),
  }
}

export async function updateUserAttributes(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const { email, phone_number: phone, ...rest } = checkWritableAttributes(attributeList(body, 'UserAttributes', true))
  for (const name of pool.settings.requiredAttributes) {
    if (name in rest && !rest[name]) throw attributeRequired(name)
  }
  const deliveries: Body[] = []
  const call = callOf(body)
  for (const [attribute, value] of [['email', email], ['phone_number', phone]] as const) {
    if (value === undefined) continue
    const delivery = await changeContact(pool, user, attribute, value, call)
    if (delivery) deliveries.push(delivery)
  }
  Object.assign(user.attributes, rest)
  pool.state.touch(user)
  return deliveries.length ? { CodeDeliveryDetailsList: deliveries } : {}
}

/**
 * A new e-mail address or phone number: the verified one stays in force until the new one is
 * proven (Cognito's "keep original attribute value active when an update is pending"), and a code
 * goes to the new one.
 */
async function changeContact(pool: LocalPool, user: StoredUser, attribute: Alias, value: string, call: TriggerCall): Promise<Body | undefined> {
  const contact = CONTACTS[attribute]
  if (sameValue(pool, attribute, value, user.attributes[attribute])) {
    // Same value (maybe other case): nothing to verify.
    user[contact.pending] = undefined
    return undefined
  }
  const owner = pool.state.aliasOwner(attribute, value)
  if (owner && owner !== user.sub && pool.settings.usernameAttributes.includes(attribute)) throw aliasExists(attribute)
  const delivery = await sendCode(pool, user, contact.kind, value, { triggerSource: 'CustomMessage_UpdateUserAttribute', call })
  user[contact.pending] = value
  return delivery
}

function sameValue(pool: LocalPool, attribute: Alias, a: string, b: string | undefined): boolean {
  return b !== undefined && (attribute === 'email' ? pool.state.normalize(a) === pool.state.normalize(b) : a === b)
}

export async function getUserAttributeVerificationCode(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const name = requireString(body, 'AttributeName', 32)
  if (name !== 'email' && name !== 'phone_number') throw notInSandbox(`Verifying ${name}`)
  const contact = CONTACTS[name]
  const to = user[contact.pending] ?? user.attributes[name]
  if (!to) throw contact.missing()
  return { CodeDeliveryDetails: await sendCode(pool, user, contact.kind, to, { call: callOf(body) }) }
}

export async function verifyUserAttribute(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const name = requireString(body, 'AttributeName', 32)
  const code = requireString(body, 'Code', 2048)
  if (name !== 'email' && name !== 'phone_number') throw notInSandbox(`Verifying ${name}`)
  const contact = CONTACTS[name]
  const pending = user[contact.pending]
  if (pending !== undefined) {
    const owner = pool.state.aliasOwner(name, pending)
    if (owner && owner !== user.sub && pool.settings.usernameAttributes.includes(name)) throw aliasExists(name)
  }
  consumeCode(pool, user, contact.kind, code)
  if (pending !== undefined) {
    pool.state.changeAlias(user, name, pending)
    user[contact.pending] = undefined
  }
  user.attributes[contact.verified] = 'true'
  pool.state.touch(user)
  return {}
}

export async function changePassword(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const previous = requireString(body, 'PreviousPassword', 4096)
  const proposed = requireString(body, 'ProposedPassword', 4096)
  checkPassword(proposed, pool.settings.passwordPolicy)
  if (!srp.passwordMatches(pool.poolName, user.sub, previous, user.salt, user.verifier)) throw incorrectCredentials()
  Object.assign(user, srp.createVerifier(pool.poolName, user.sub, proposed))
  pool.state.touch(user)
  return {}
}

export async function deleteUser(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  pool.state.deleteUser(user)
  return {}
}
