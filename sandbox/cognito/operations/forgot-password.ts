/**
 * ForgotPassword, ConfirmForgotPassword.
 */
import { codeRecipient, consumeCode, sendCode } from '../codes'
import { cannotResetPassword, codeMismatch, noVerifiedContact } from '../errors'
import { requireString, type Body } from '../params'
import type { LocalPool } from '../pool'
import * as srp from '../srp'
import type { StoredUser } from '../state-file'
import { callOf, runTrigger, userAttributesOf } from '../triggers'
import { checkPassword } from '../validation'

export async function forgotPassword(pool: LocalPool, body: Body): Promise<Body> {
  const { user, hidden } = codeRecipient(pool, body)
  if (!user) return hidden
  // Its temporary password is all such a user has: only an administrator can give another.
  if (user.status === 'FORCE_CHANGE_PASSWORD') throw cannotResetPassword()
  const to = recoveryDestination(pool, user)
  if (!to) throw noVerifiedContact()
  return { CodeDeliveryDetails: await sendCode(pool, user, 'forgotPassword', to, { call: callOf(body) }) }
}

/**
 * The first of the pool's recovery mechanisms (`AccountRecoverySetting`) the user has verified, as
 * Cognito picks it; never the channel of the user's preferred second factor, which must not also
 * reset the password.
 */
function recoveryDestination(pool: LocalPool, user: StoredUser): string | undefined {
  const { attributes } = user
  for (const mechanism of pool.settings.accountRecovery ?? ['verified_email']) {
    if (mechanism === 'verified_email' && attributes.email && attributes.email_verified === 'true' && user.mfa?.preferred !== 'EMAIL_OTP') return attributes.email
    if (mechanism === 'verified_phone_number' && attributes.phone_number && attributes.phone_number_verified === 'true' && user.mfa?.preferred !== 'SMS_MFA') return attributes.phone_number
  }
  return undefined
}

export async function confirmForgotPassword(pool: LocalPool, body: Body): Promise<Body> {
  pool.requireClient(body)
  const username = requireString(body, 'Username', 128)
  const code = requireString(body, 'ConfirmationCode', 2048)
  const password = requireString(body, 'Password', 4096)
  // Policy first, for everyone: checking it only for real users would reveal who exists.
  checkPassword(password, pool.settings.passwordPolicy)
  const user = pool.state.findUser(username)
  if (!user) throw pool.unknownUser(codeMismatch)
  const issued = user.codes.forgotPassword
  consumeCode(pool, user, 'forgotPassword', code)
  const before = { salt: user.salt, verifier: user.verifier }
  // Existing sessions stay valid, as in Cognito.
  Object.assign(user, srp.createVerifier(pool.poolName, user.sub, password))
  try {
    await runTrigger(pool, 'PostConfirmation', {
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
      user,
      call: callOf(body),
      request: { userAttributes: userAttributesOf(user) },
    })
  }
  catch (error) {
    // Refused: the old password and the code stay, so nothing changed.
    Object.assign(user, before)
    user.codes.forgotPassword = issued
    pool.state.touch(user)
    throw error
  }
  pool.state.touch(user)
  return {}
}
