/**
 * InitiateAuth (USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) and RespondToAuthChallenge
 * (PASSWORD_VERIFIER, the second half of SRP; NEW_PASSWORD_REQUIRED, for a user an administrator
 * made or gave a temporary password; the second factors and their set-up, in mfa.ts).
 */
import { createHmac, randomUUID } from 'node:crypto'
import {
  authFlowNotSupported, challengeExpired, clockSkew, constraintFailed, customAuthNotConfigured, incorrectCredentials,
  invalidSession, invalidSrpA, invalidTimestamp, missingParameter, notInSandbox, userDisabled, userNotFound,
} from '../errors'
import { requireString, stringMap, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredUser } from '../state-file'
import { callOf, type TriggerCall } from '../triggers'
import { checkPassword, checkWritableAttributes } from '../validation'
import { afterPassword, answerFactor, answerSelection, answerSetup } from './mfa'
import { refresh } from './session'

/** How long an SRP challenge stays answerable, and how far TIMESTAMP may be from our clock. */
const CHALLENGE_LIFETIME = 5 * 60_000
const CLOCK_TOLERANCE = 5 * 60_000
const AUTH_FLOWS = 'USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH, USER_AUTH'

export async function initiateAuth(pool: LocalPool, body: Body): Promise<Body> {
  const clientId = pool.requireClient(body)
  const flow = requireString(body, 'AuthFlow', 64)
  const params = stringMap(body, 'AuthParameters')
  switch (flow) {
    case 'USER_SRP_AUTH':
      pool.requireFlow('ALLOW_USER_SRP_AUTH', flow)
      return startSrp(pool, clientId, params)
    case 'USER_PASSWORD_AUTH':
      pool.requireFlow('ALLOW_USER_PASSWORD_AUTH', flow)
      return passwordAuth(pool, clientId, params)
    case 'REFRESH_TOKEN_AUTH':
    case 'REFRESH_TOKEN':
      pool.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH')
      if (!params.REFRESH_TOKEN) throw missingParameter('REFRESH_TOKEN')
      return refresh(pool, clientId, params.REFRESH_TOKEN)
    case 'CUSTOM_AUTH':
      pool.requireFlow('ALLOW_CUSTOM_AUTH', flow)
      // The sandbox runs no Lambda triggers; a pool without a DefineAuthChallenge trigger says this.
      throw customAuthNotConfigured()
    case 'USER_AUTH':
      pool.requireFlow('ALLOW_USER_AUTH', flow)
      throw notInSandbox('USER_AUTH flow')
    case 'ADMIN_NO_SRP_AUTH':
    case 'ADMIN_USER_PASSWORD_AUTH':
      throw authFlowNotSupported()
    default:
      throw constraintFailed('AuthFlow', flow, `Member must satisfy enum value set: [${AUTH_FLOWS}]`)
  }
}

/** The PASSWORD_VERIFIER challenge; an unknown user gets a stable fake one when existence is hidden. */
function startSrp(pool: LocalPool, clientId: string, params: Record<string, string>): Body {
  if (!params.USERNAME) throw missingParameter('USERNAME')
  if (!params.SRP_A) throw missingParameter('SRP_A')
  const A = srp.parseClientA(params.SRP_A)
  if (A === undefined) throw invalidSrpA()
  const user = pool.state.findUser(params.USERNAME)
  let userId: string, salt: string, B: bigint, b = 0n
  if (user) {
    ({ b, B } = srp.createServerEphemeral(user.verifier))
    userId = user.sub
    salt = user.salt
  }
  else if (pool.settings.preventUserExistenceErrors) {
    // Stable per name, so asking twice cannot tell a real user from an invented one.
    const seed = createHmac('sha256', pool.keys.secret).update(`fake:${pool.state.normalize(params.USERNAME)}`).digest()
    userId = uuidFromBytes(seed)
    salt = seed.subarray(16).toString('hex')
    B = srp.createFakeServerB()
  }
  else {
    throw userNotFound()
  }
  const secretBlock = pool.secretBlocks.seal({
    id: randomUUID(),
    clientId,
    userId,
    fake: !user,
    A: A.toString(16),
    B: B.toString(16),
    b: b.toString(16),
    expiresAt: Date.now() + CHALLENGE_LIFETIME,
  })
  return {
    ChallengeName: 'PASSWORD_VERIFIER',
    ChallengeParameters: { SALT: salt, SECRET_BLOCK: secretBlock, SRP_B: B.toString(16), USERNAME: userId, USER_ID_FOR_SRP: userId },
  }
}

export async function respondToAuthChallenge(pool: LocalPool, body: Body): Promise<Body> {
  const clientId = pool.requireClient(body)
  const challenge = requireString(body, 'ChallengeName', 64)
  const responses = stringMap(body, 'ChallengeResponses')
  switch (challenge) {
    case 'PASSWORD_VERIFIER':
      break
    case 'NEW_PASSWORD_REQUIRED':
      return newPassword(pool, clientId, body, responses)
    case 'SOFTWARE_TOKEN_MFA':
    case 'SMS_MFA':
    case 'EMAIL_OTP':
      return answerFactor(pool, clientId, challenge, body, responses, callOf(body))
    case 'SELECT_MFA_TYPE':
      return answerSelection(pool, clientId, body, responses, callOf(body))
    case 'MFA_SETUP':
      return answerSetup(pool, clientId, body, responses, callOf(body))
    default:
      throw notInSandbox(`Challenge ${challenge.slice(0, 64)}`)
  }
  const username = requiredResponse(responses, 'USERNAME')
  const secretBlock = requiredResponse(responses, 'PASSWORD_CLAIM_SECRET_BLOCK')
  const timestampText = requiredResponse(responses, 'TIMESTAMP')
  const signature = requiredResponse(responses, 'PASSWORD_CLAIM_SIGNATURE')
  const block = pool.secretBlocks.open(secretBlock)
  if (!block || block.clientId !== clientId || block.challenge !== undefined) throw incorrectCredentials()
  const timestamp = srp.parseSrpTimestamp(timestampText)
  if (timestamp === undefined) throw invalidTimestamp()
  if (Math.abs(timestamp - Date.now()) > CLOCK_TOLERANCE) throw clockSkew()
  if (block.expiresAt < Date.now()) throw challengeExpired()
  if (!pool.secretBlocks.claim(block)) throw incorrectCredentials()

  const user = block.fake ? undefined : pool.state.userBySub(block.userId)
  if (!user || pool.state.findUser(username) !== user) throw incorrectCredentials()
  const expected = srp.expectedSignature({
    poolName: pool.poolName,
    userId: user.sub,
    verifierHex: user.verifier,
    A: BigInt(`0x${block.A}`),
    B: BigInt(`0x${block.B}`),
    b: BigInt(`0x${block.b}`),
    secretBlock: Buffer.from(secretBlock, 'base64'),
    timestamp: timestampText,
  })
  if (!Buffer.from(signature, 'base64').equals(expected)) throw incorrectCredentials()
  return passwordProven(pool, user, block.clientId, callOf(body))
}

/**
 * The password is right: tokens or a second factor, unless it was a temporary one
 * (FORCE_CHANGE_PASSWORD), which must be replaced first. As Cognito, the challenge's Session is
 * opaque and single use (sealed here).
 */
function passwordProven(pool: LocalPool, user: StoredUser, clientId: string, call: TriggerCall): Promise<Body> | Body {
  if (user.status !== 'FORCE_CHANGE_PASSWORD') return afterPassword(pool, user, clientId, call)
  if (user.disabled) throw userDisabled()
  const session = pool.secretBlocks.seal({
    id: randomUUID(), clientId, userId: user.sub, expiresAt: Date.now() + CHALLENGE_LIFETIME, challenge: 'NEW_PASSWORD_REQUIRED', authTime: Math.floor(Date.now() / 1000),
  })
  const { email_verified: _verified, phone_number_verified: _phoneVerified, ...shown } = user.attributes
  return {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    Session: session,
    ChallengeParameters: { USER_ID_FOR_SRP: user.sub, requiredAttributes: '[]', userAttributes: JSON.stringify(shown) },
  }
}

/** The new password (and any `userAttributes.<name>` given with it): the user is CONFIRMED and signed in. */
async function newPassword(pool: LocalPool, clientId: string, body: Body, responses: Record<string, string>): Promise<Body> {
  const session = requireString(body, 'Session', 2048)
  const username = requiredResponse(responses, 'USERNAME')
  const password = requiredResponse(responses, 'NEW_PASSWORD')
  const block = pool.secretBlocks.open(session)
  if (!block || block.clientId !== clientId || block.challenge !== 'NEW_PASSWORD_REQUIRED' || block.expiresAt < Date.now()) throw invalidSession()
  const user = pool.state.userBySub(block.userId)
  if (!user || pool.state.findUser(username) !== user || user.status !== 'FORCE_CHANGE_PASSWORD') throw invalidSession()
  const attributes = checkWritableAttributes(Object.entries(responses)
    .filter(([name]) => name.startsWith('userAttributes.'))
    .map(([name, value]) => ({ name: name.slice('userAttributes.'.length), value })))
  // The e-mail (or phone number) is the username here: changing it on the way in would sign in someone else.
  if (attributes.email !== undefined && pool.state.normalize(attributes.email) !== pool.state.normalize(user.attributes.email ?? '')) throw notInSandbox('Changing the email while setting a new password')
  if (attributes.phone_number !== undefined && attributes.phone_number !== user.attributes.phone_number) throw notInSandbox('Changing the phone number while setting a new password')
  checkPassword(password, pool.settings.passwordPolicy)
  if (!pool.secretBlocks.claim(block)) throw invalidSession()
  Object.assign(user, srp.createVerifier(pool.poolName, user.sub, password))
  Object.assign(user.attributes, attributes)
  user.status = 'CONFIRMED'
  pool.state.touch(user)
  // As Cognito: a pool with MFA asks for the second factor (or its set-up) now.
  return afterPassword(pool, user, clientId, callOf(body))
}

/** A challenge response the answer needs; Cognito names the first one missing, in this order. */
function requiredResponse(responses: Record<string, string>, key: string): string {
  const value = responses[key]
  if (!value) throw missingParameter(key)
  return value
}

async function passwordAuth(pool: LocalPool, clientId: string, params: Record<string, string>): Promise<Body> {
  if (!params.USERNAME) throw missingParameter('USERNAME')
  if (!params.PASSWORD) throw missingParameter('PASSWORD')
  const user = pool.state.findUser(params.USERNAME)
  if (!user) {
    // Same work as a real check, so timing does not reveal unknown users either.
    srp.computeVerifier(pool.poolName, 'unknown', params.PASSWORD, '00')
    throw pool.unknownUser(incorrectCredentials)
  }
  if (!srp.passwordMatches(pool.poolName, user.sub, params.PASSWORD, user.salt, user.verifier)) throw incorrectCredentials()
  return passwordProven(pool, user, clientId, { clientId })
}

/** A v4-shaped UUID from random-looking bytes (for invented users' ids). */
function uuidFromBytes(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16))
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x40, 6)
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8)
  const hex = b.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
