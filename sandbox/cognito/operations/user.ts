/**
 * The signed-in user (AccessToken operations): GetUser, UpdateUserAttributes,
 * GetUserAttributeVerificationCode, VerifyUserAttribute, ChangePassword, DeleteUser.
 */
import { consumeCode, sendCode } from '../codes'
import { aliasExists, attributeRequired, incorrectCredentials, noEmail, notInSandbox } from '../errors'
import { attributeList, requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import { checkPassword, checkWritableAttributes } from '../validation'
import { callOf } from '../triggers'

export async function getUser(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  return {
    Username: user.sub,
    UserAttributes: [
      { Name: 'sub', Value: user.sub },
      ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
    ],
  }
}

export async function updateUserAttributes(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const { email, ...rest } = checkWritableAttributes(attributeList(body, 'UserAttributes', true))
  let delivery: Body | undefined
  if (email !== undefined) {
    const owner = pool.state.emailOwner(email)
    if (owner && owner !== user.sub) throw aliasExists()
    if (owner === user.sub) {
      // Same address (maybe other case): nothing to verify.
      delete user.pendingEmail
    }
    else {
      // Keep the verified address in force until the new one is proven (Cognito's
      // "keep original attribute value active when an update is pending").
      delivery = await sendCode(pool, user, 'verifyEmail', email, { triggerSource: 'CustomMessage_UpdateUserAttribute', call: callOf(body) })
      user.pendingEmail = email
    }
  }
  for (const name of pool.settings.requiredAttributes) {
    if (name in rest && !rest[name]) throw attributeRequired(name)
  }
  Object.assign(user.attributes, rest)
  pool.state.touch(user)
  return delivery ? { CodeDeliveryDetailsList: [delivery] } : {}
}

export async function getUserAttributeVerificationCode(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const name = requireString(body, 'AttributeName', 32)
  if (name !== 'email') throw notInSandbox(`Verifying ${name}`)
  const to = user.pendingEmail ?? user.attributes.email
  if (!to) throw noEmail()
  return { CodeDeliveryDetails: await sendCode(pool, user, 'verifyEmail', to, { call: callOf(body) }) }
}

export async function verifyUserAttribute(pool: LocalPool, body: Body): Promise<Body> {
  const { user } = await pool.authenticate(body)
  const name = requireString(body, 'AttributeName', 32)
  const code = requireString(body, 'Code', 2048)
  if (name !== 'email') throw notInSandbox(`Verifying ${name}`)
  const pending = user.pendingEmail
  if (pending !== undefined) {
    const owner = pool.state.emailOwner(pending)
    if (owner && owner !== user.sub) throw aliasExists()
  }
  consumeCode(pool, user, 'verifyEmail', code)
  if (pending !== undefined) {
    pool.state.changeEmail(user, pending)
    delete user.pendingEmail
  }
  user.attributes.email_verified = 'true'
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
