/**
 * The admin API, authorized by IAM as in AWS: the caller signs the request (SigV4) with credentials
 * the sandbox trusts, and its policies must allow `cognito-idp:<Operation>` on the pool's ARN.
 * Group membership (AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser,
 * ListGroups), the look-ups a script or function does first (AdminGetUser, ListUsers), a user's
 * lifecycle (AdminCreateUser, AdminConfirmSignUp, AdminSetUserPassword, AdminUpdateUserAttributes,
 * AdminDisableUser, AdminEnableUser, AdminDeleteUser) and second factors (AdminSetUserMFAPreference).
 */
import { randomInt } from 'node:crypto'
import type { Principal } from '../../iam/types'
import { deliver } from '../codes'
import {
  accessDenied, aliasExists, attributeRequired, cannotConfirm, constraintFailed, emailMismatch, groupNotFound, notInSandbox,
  paginationTokenInvalid, phoneMismatch, poolNotFound, userNotFound,
} from '../errors'
import { attributeList, optionalString, pageSize, requireString, stringList, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredGroup, StoredUser } from '../state-file'
import { newUser, assertAliasesFree, usernameAlias } from './sign-up'
import { callOf, customMessage, preSignUp, runTrigger, userAttributesOf } from '../triggers'
import { matchesFilter, parseUserFilter } from '../user-filter'
import { checkAdminAttributes, checkPassword } from '../validation'
import { mfaFields, setPreference } from './mfa'

/** Who signed the request, and the IAM action it asks for (`cognito-idp:AdminAddUserToGroup`). */
export interface Caller {
  principal: Principal
  action: string
}

/** Cognito's largest page for these operations. */
const MAX_PAGE = 60

export async function adminAddUserToGroup(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  pool.state.addToGroup(user, requireGroup(pool, body))
  return {}
}

export async function adminRemoveUserFromGroup(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  pool.state.removeFromGroup(user, requireGroup(pool, body))
  return {}
}

export async function adminListGroupsForUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  const { items, next } = pageByOffset(pool.state.groupsOfUser(user), body)
  return { Groups: items.map(group => groupType(pool, group)), ...(next ? { NextToken: next } : {}) }
}

export async function listGroups(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const { items, next } = pageByOffset(pool.state.listGroups(), body)
  return { Groups: items.map(group => groupType(pool, group)), ...(next ? { NextToken: next } : {}) }
}

/** As Cognito's: the PostConfirmation trigger runs (a refusal leaves the user unconfirmed); the e-mail stays unverified. */
export async function adminConfirmSignUp(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  if (user.status !== 'UNCONFIRMED') throw cannotConfirm(user.status)
  user.status = 'CONFIRMED'
  try {
    await runTrigger(pool, 'PostConfirmation', { triggerSource: 'PostConfirmation_ConfirmSignUp', user, call: callOf(body), request: { userAttributes: userAttributesOf(user) } })
  }
  catch (error) {
    user.status = 'UNCONFIRMED'
    throw error
  }
  pool.state.touch(user)
  return {}
}

/**
 * As Cognito's: the user exists in FORCE_CHANGE_PASSWORD with a temporary password (the one given,
 * or one made to the pool's policy), which their first sign-in must replace (the
 * NEW_PASSWORD_REQUIRED challenge). PreSignUp runs first; unless MessageAction is SUPPRESS, the
 * invitation with the temporary password goes where the pool's other mail goes. RESEND is not modelled.
 */
export async function adminCreateUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const username = requireString(body, 'Username', 128)
  const attributes = checkAdminAttributes(body.UserAttributes === undefined ? [] : attributeList(body, 'UserAttributes', false))
  const action = optionalString(body, 'MessageAction', 16)
  if (action !== undefined && action !== 'SUPPRESS') {
    if (action === 'RESEND') throw notInSandbox('MessageAction RESEND')
    throw constraintFailed('MessageAction', action, 'Member must satisfy enum value set: [RESEND, SUPPRESS]')
  }
  if (usernameAlias(pool, username) === 'email') {
    if (attributes.email !== undefined && pool.state.normalize(attributes.email) !== pool.state.normalize(username)) throw emailMismatch()
    attributes.email = username
  }
  else {
    if (attributes.phone_number !== undefined && attributes.phone_number !== username) throw phoneMismatch()
    attributes.phone_number = username
  }
  if (attributes.email) attributes.email_verified ??= 'false'
  if (attributes.phone_number) attributes.phone_number_verified ??= 'false'
  for (const name of pool.settings.requiredAttributes) {
    if (!attributes[name]) throw attributeRequired(name)
  }
  const given = optionalString(body, 'TemporaryPassword', 256)
  const password = given ?? temporaryPassword(pool)
  checkPassword(password, pool.settings.passwordPolicy)
  assertAliasesFree(pool, attributes)

  const user = newUser(pool, 'FORCE_CHANGE_PASSWORD', attributes, password)
  const call = callOf(body)
  await preSignUp(pool, 'PreSignUp_AdminCreateUser', user, call, undefined)
  assertAliasesFree(pool, attributes)
  if (action !== 'SUPPRESS') {
    const { subject, body: text } = await customMessage(pool, 'CustomMessage_AdminCreateUser', user, password, call, {
      subject: 'Your temporary password',
      message: `Your username is ${username} and temporary password is {####}.`,
    })
    deliver(pool, { kind: 'invitation', to: username, sub: user.sub, code: password, subject, body: text, sentAt: user.createdAt })
  }
  pool.state.addUser(user)
  return { User: userType(user) }
}

/**
 * A new password. Permanent: the user signs in with it (a FORCE_CHANGE_PASSWORD user is CONFIRMED
 * from now on). Not permanent: a temporary one, which the next sign-in must replace. Sessions stay.
 */
export async function adminSetUserPassword(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  const password = requireString(body, 'Password', 256)
  const permanent = body.Permanent === true
  if (body.Permanent !== undefined && typeof body.Permanent !== 'boolean') throw constraintFailed('Permanent', body.Permanent, 'Member must be a boolean')
  checkPassword(password, pool.settings.passwordPolicy)
  Object.assign(user, srp.createVerifier(pool.poolName, user.sub, password))
  if (permanent && user.status === 'FORCE_CHANGE_PASSWORD') user.status = 'CONFIRMED'
  if (!permanent && user.status !== 'UNCONFIRMED') user.status = 'FORCE_CHANGE_PASSWORD'
  pool.state.touch(user)
  return {}
}

/**
 * Sets attributes as an administrator may: the e-mail or phone number (and `email_verified`,
 * `phone_number_verified`) change at once, without a code, as Cognito's admin API changes them; a
 * new one is unverified unless the request says it is verified.
 */
export async function adminUpdateUserAttributes(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  const { email, phone_number: phone, ...rest } = checkAdminAttributes(attributeList(body, 'UserAttributes', true))
  for (const name of pool.settings.requiredAttributes) {
    if (name in rest && !rest[name]) throw attributeRequired(name)
  }
  if (email !== undefined && pool.state.normalize(email) !== pool.state.normalize(user.attributes.email ?? '')) {
    const owner = pool.state.aliasOwner('email', email)
    if (owner && owner !== user.sub && pool.settings.usernameAttributes.includes('email')) throw aliasExists()
    pool.state.changeAlias(user, 'email', email)
    delete user.pendingEmail
    user.attributes.email_verified = rest.email_verified ?? 'false'
  }
  if (phone !== undefined && phone !== user.attributes.phone_number) {
    const owner = pool.state.aliasOwner('phone_number', phone)
    if (owner && owner !== user.sub && pool.settings.usernameAttributes.includes('phone_number')) throw aliasExists('phone_number')
    pool.state.changeAlias(user, 'phone_number', phone)
    delete user.pendingPhone
    user.attributes.phone_number_verified = rest.phone_number_verified ?? 'false'
  }
  Object.assign(user.attributes, rest)
  pool.state.touch(user)
  return {}
}

/** The user can no longer sign in or refresh, and every session of theirs ends now. */
export async function adminDisableUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  user.disabled = true
  pool.state.revokeSessionsOf(user.sub)
  pool.state.touch(user)
  return {}
}

/** The user may sign in again; sessions ended by the disable stay ended. */
export async function adminEnableUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const user = requireUser(pool, body)
  delete user.disabled
  pool.state.touch(user)
  return {}
}

export async function adminDeleteUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  pool.state.deleteUser(requireUser(pool, body))
  return {}
}

export async function adminGetUser(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const stored = requireUser(pool, body)
  const { Attributes, ...user } = userType(stored)
  return { ...user, UserAttributes: Attributes, ...mfaFields(stored) }
}

/** As SetUserMFAPreference, for any user of the pool. */
export async function adminSetUserMfaPreference(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  setPreference(pool, requireUser(pool, body), body)
  return {}
}

export async function listUsers(pool: LocalPool, body: Body, caller: Caller): Promise<Body> {
  authorize(pool, body, caller)
  const filter = parseUserFilter(optionalString(body, 'Filter', 256) ?? '')
  const attributesToGet = stringList(body, 'AttributesToGet')
  const limit = pageSize(body, 'Limit', MAX_PAGE)
  const token = optionalString(body, 'PaginationToken', 2048)
  // Users are listed by sub; the token is the last sub returned, so deletions between pages skip no one.
  const after = token === undefined ? '' : decodeToken(token)
  const { caseSensitive } = pool.settings
  const matching = pool.state.listUsers().filter(user => user.sub > after && (!filter || matchesFilter(filter, user, caseSensitive)))
  const users = matching.slice(0, limit)
  return {
    Users: users.map((user) => {
      const listed = userType(user)
      return attributesToGet ? { ...listed, Attributes: listed.Attributes.filter(a => attributesToGet.includes(a.Name)) } : listed
    }),
    ...(matching.length > limit ? { PaginationToken: encodeToken(users.at(-1)!.sub) } : {}),
  }
}

/**
 * The request names this pool and the signer may act on it. IAM decides on the ARN of the pool the
 * request names, so a caller not allowed learns nothing about which pools exist.
 */
function authorize(pool: LocalPool, body: Body, { principal, action }: Caller): void {
  const userPoolId = requireString(body, 'UserPoolId', 55)
  const { region, accountId } = pool.settings
  const resource = `arn:aws:cognito-idp:${region}:${accountId}:userpool/${userPoolId}`
  if (!pool.iam.isAllowed(principal, action, resource)) throw accessDenied(principal.userArn, action, resource)
  if (userPoolId !== pool.settings.userPoolId) throw poolNotFound(userPoolId)
}

/** By username (the sub) or e-mail alias, as Cognito's admin API accepts either. */
function requireUser(pool: LocalPool, body: Body): StoredUser {
  const user = pool.state.findUser(requireString(body, 'Username', 128))
  if (!user) throw userNotFound()
  return user
}

function requireGroup(pool: LocalPool, body: Body): StoredGroup {
  const group = pool.state.group(requireString(body, 'GroupName', 128))
  if (!group) throw groupNotFound()
  return group
}

/** Cognito's GroupType; dates in epoch seconds, as its JSON protocol sends timestamps. */
function groupType(pool: LocalPool, group: StoredGroup): Body {
  return {
    GroupName: group.name,
    UserPoolId: pool.settings.userPoolId,
    ...(group.description !== undefined ? { Description: group.description } : {}),
    ...(group.roleArn !== undefined ? { RoleArn: group.roleArn } : {}),
    ...(group.precedence !== undefined ? { Precedence: group.precedence } : {}),
    CreationDate: epochSeconds(group.createdAt),
    LastModifiedDate: epochSeconds(group.updatedAt),
  }
}

/** Cognito's UserType. */
function userType(user: StoredUser): Body & { Attributes: Array<{ Name: string, Value: string }> } {
  return {
    Username: user.sub,
    Attributes: [{ Name: 'sub', Value: user.sub }, ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value }))],
    UserCreateDate: epochSeconds(user.createdAt),
    UserLastModifiedDate: epochSeconds(user.updatedAt),
    Enabled: !user.disabled,
    UserStatus: user.status,
  }
}

/** A temporary password the pool's policy accepts (Cognito makes one when the request has none). */
function temporaryPassword(pool: LocalPool): string {
  const pick = (chars: string) => chars[randomInt(chars.length)]!
  const { minimumLength } = pool.settings.passwordPolicy
  const required = [pick('abcdefghijkmnpqrstuvwxyz'), pick('ABCDEFGHJKLMNPQRSTUVWXYZ'), pick('23456789'), pick('^$*.!@#%&')]
  const rest = Array.from({ length: Math.max(minimumLength, 12) - required.length }, () => pick('abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'))
  return [...required, ...rest].join('')
}

/** A page of a short list (groups change only with the definition): the token is the next offset. */
function pageByOffset<T>(all: T[], body: Body): { items: T[], next?: string } {
  const limit = pageSize(body, 'Limit', MAX_PAGE)
  const token = optionalString(body, 'NextToken', 2048)
  const start = token === undefined ? 0 : Number(decodeToken(token))
  if (!Number.isSafeInteger(start) || start < 0) throw paginationTokenInvalid()
  const end = start + limit
  return { items: all.slice(start, end), ...(end < all.length ? { next: encodeToken(String(end)) } : {}) }
}

const TOKEN_PREFIX = 'sandbox:'

function encodeToken(position: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${position}`).toString('base64url')
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8')
  if (!decoded.startsWith(TOKEN_PREFIX)) throw paginationTokenInvalid()
  return decoded.slice(TOKEN_PREFIX.length)
}

function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000
}
