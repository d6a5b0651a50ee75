/**
 * `@aws-amplify/seed` for the offline sandbox: what `amplify/seed/seed.ts` imports when
 * `npm run sandbox:seed` runs it (./resolve-hook.mjs points the package's name here). Against the
 * cloud, `npx ampx sandbox seed` runs the same file with the real package.
 *
 * Written here, not used from the package: the package reads its backend from the deployed
 * CloudFormation stack (`generateClientConfig`) and its secrets from SSM, neither of which exists
 * offline. The calls do what the package's do, in the same order and with its errors: the user is
 * made with AdminCreateUser and a temporary password (signed with the sandbox's admin credentials),
 * then signs in through the app's own `aws-amplify` (the one the seed configured) and answers the
 * NEW_PASSWORD_REQUIRED challenge with their password, then the MFA steps of `signInFlow: 'MFA'`.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AmplifyUserError } from '@aws-amplify/platform-core'
import type * as Seed from '@aws-amplify/seed'
import { AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import * as auth from 'aws-amplify/auth'
import { openSecrets } from '../ssm/secrets'

/** Set by sandbox/commands/seed.ts: the running sandbox's amplify_outputs.json and its data folder. */
const OUTPUTS_PATH = process.env.SANDBOX_SEED_OUTPUTS
const DATA_DIR = process.env.SANDBOX_SEED_DATA_DIR

interface Outputs {
  custom?: { offlineSandbox?: { messagesUrl?: string } }
  auth?: {
    user_pool_id?: string
    mfa_configuration?: 'NONE' | 'OPTIONAL' | 'REQUIRED'
    groups?: Array<Record<string, unknown>>
  }
}

function authConfig(): { userPoolId: string, mfa: string, groups: string[], messagesUrl?: string } {
  if (!OUTPUTS_PATH || !DATA_DIR) {
    throw new AmplifyUserError('SandboxIdentifierNotFoundError', {
      message: 'The offline @aws-amplify/seed runs only under npm run sandbox:seed',
      resolution: 'Run npm run sandbox:seed with the offline sandbox running',
    })
  }
  const outputs = JSON.parse(readFileSync(OUTPUTS_PATH, 'utf8')) as Outputs
  if (!outputs.auth?.user_pool_id) {
    throw new AmplifyUserError('MissingAuthError', {
      message: 'Outputs for Auth are missing, you may be missing an Auth resource',
      resolution: 'Add defineAuth to amplify/backend.ts and restart the offline sandbox',
    })
  }
  return {
    userPoolId: outputs.auth.user_pool_id,
    mfa: outputs.auth.mfa_configuration ?? 'NONE',
    groups: (outputs.auth.groups ?? []).flatMap(group => Object.keys(group)),
    messagesUrl: outputs.custom?.offlineSandbox?.messagesUrl,
  }
}

// The SDK finds the sandbox's pool and admin credentials in the environment the command sets
// (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, AWS_REGION).
let client: CognitoIdentityProviderClient | undefined
const cognito = () => (client ??= new CognitoIdentityProviderClient({ maxAttempts: 1 }))

/** The package's attribute names (`givenName`) as Cognito's (`given_name`). */
function cognitoAttributes(attributes: Seed.StandardUserAttributes | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes ?? {})
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => [name.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`), value]))
}

export const createAndSignUpUser: typeof Seed.createAndSignUpUser = async (newUser) => {
  const { userPoolId, mfa, messagesUrl } = authConfig()
  try {
    await auth.signOut()
    if (newUser.signInFlow === 'MFA' && mfa === 'NONE') {
      throw new AmplifyUserError('MFANotConfiguredError', {
        message: `MFA is not configured for this userpool, you cannot create ${newUser.username} with MFA.`,
        resolution: `Enable MFA for this userpool or create ${newUser.username} with a different sign up flow.`,
      })
    }
    const temporary = `Test1@Temp${randomUUID()}`
    try {
      await cognito().send(new AdminCreateUserCommand({ Username: newUser.username, TemporaryPassword: temporary, UserPoolId: userPoolId, MessageAction: 'SUPPRESS' }))
    }
    catch (error) {
      if ((error as Error).name === 'UsernameExistsException') {
        throw new AmplifyUserError('UsernameExistsError', {
          message: `A user called ${newUser.username} already exists.`,
          resolution: 'Give this user a different name',
        }, error as Error)
      }
      throw error
    }
    const signedIn = await auth.signIn({ username: newUser.username, password: temporary })
    if (signedIn.nextStep.signInStep !== 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED') {
      throw new Error(`Expected the NEW_PASSWORD_REQUIRED challenge for ${newUser.username}, got ${signedIn.nextStep.signInStep}`)
    }
    const next = await auth.confirmSignIn({ challengeResponse: newUser.password, options: { userAttributes: cognitoAttributes(newUser.userAttributes) } })
    if (newUser.signInFlow === 'MFA') await mfaSignUp(newUser, next, messagesUrl)
    return { signInFlow: newUser.signInFlow, username: newUser.username }
  }
  finally {
    if (!newUser.signInAfterCreation) await auth.signOut()
  }
}

/**
 * The package's MFA sign-up after the new password: choose the factor the seed prefers when the
 * pool offers several, set up TOTP with the seed's `totpSignUpChallenge`, or answer the SMS or
 * e-mail code, then make that factor the user's preferred one. Where the package prompts for an
 * SMS or e-mail code, the offline one reads it from the sandbox's mailbox, where the pool sent it.
 */
async function mfaSignUp(user: Extract<Seed.AuthSignUp, { signInFlow: 'MFA' }>, first: auth.SignInOutput, messagesUrl: string | undefined): Promise<void> {
  let step = first
  if (step.nextStep.signInStep === 'CONTINUE_SIGN_IN_WITH_MFA_SELECTION') {
    if (!user.mfaPreference) {
      throw new AmplifyUserError('NoMFAPreferenceSpecifiedError', {
        message: `If multiple forms of MFA are enabled for a userpool, you must specify which form you intend to use for ${user.username}`,
        resolution: `Specify a form of MFA for the user, ${user.username}, to use with the mfaPreference property`,
      })
    }
    if (!step.nextStep.allowedMFATypes?.includes(user.mfaPreference)) {
      throw new AmplifyUserError('MFAPreferenceNotAvailableError', {
        message: `${user.mfaPreference} is not available for this userpool`,
        resolution: `Activate ${user.mfaPreference} for this userpool or sign in ${user.username} with a different form of MFA`,
      })
    }
    step = await auth.confirmSignIn({ challengeResponse: user.mfaPreference })
  }
  switch (step.nextStep.signInStep) {
    case 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP': {
      if (!user.totpSignUpChallenge) {
        throw new AmplifyUserError('MissingTOTPChallengeError', {
          message: 'MFA sign up flow with TOTP cannot be used without a totpSignUpChallenge',
          resolution: `Add a totpSignupChallenge when signing up ${user.username}`,
        })
      }
      const { challengeResponse } = await user.totpSignUpChallenge(step.nextStep.totpSetupDetails)
      await auth.confirmSignIn({ challengeResponse })
      await auth.updateMFAPreference({ totp: 'PREFERRED' })
      return
    }
    case 'CONFIRM_SIGN_IN_WITH_SMS_CODE':
      await auth.confirmSignIn({ challengeResponse: (await user.smsSignUpChallenge?.())?.challengeResponse ?? await mailedCode(messagesUrl, user.username) })
      await auth.updateMFAPreference({ sms: 'PREFERRED' })
      return
    case 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE':
      await auth.confirmSignIn({ challengeResponse: (await user.emailSignUpChallenge?.())?.challengeResponse ?? await mailedCode(messagesUrl, user.username) })
      await auth.updateMFAPreference({ email: 'PREFERRED' })
  }
}

/** The newest second-factor code the pool sent `username` (by e-mail or SMS), from the sandbox's mailbox. */
async function mailedCode(messagesUrl: string | undefined, username: string): Promise<string> {
  if (!messagesUrl) throw new Error('The sandbox\'s outputs name no mailbox to read the code from')
  const { userPoolId } = authConfig()
  const { Username: sub } = await cognito().send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }))
  const messages = await (await fetch(messagesUrl)).json() as Array<{ kind: string, sub: string, code: string }>
  const sent = messages.filter(message => message.sub === sub && message.kind.startsWith('mfa-')).at(-1)
  if (!sent) throw new AmplifyUserError('MissingMFACodeError', { message: `No MFA code was sent for ${username}`, resolution: 'Check the sandbox\'s terminal for what the pool said' })
  return sent.code
}

export const signInUser: typeof Seed.signInUser = async (user) => {
  const { messagesUrl } = authConfig()
  await auth.signOut()
  let result: auth.SignInOutput
  try {
    result = await auth.signIn({ username: user.username, password: user.password })
  }
  catch (error) {
    if ((error as Error).name === 'UserNotFoundException') {
      throw new AmplifyUserError('UserExistsError', { message: `${user.username} does not exist`, resolution: `Create a user called ${user.username}` }, error as Error)
    }
    throw error
  }
  if (user.signInFlow !== 'MFA') return result.nextStep.signInStep === 'DONE'
  const step = result.nextStep.signInStep
  if (step === 'CONFIRM_SIGN_IN_WITH_TOTP_CODE' && !user.signInChallenge) {
    throw new AmplifyUserError('MissingTOTPChallengeError', {
      message: `Signing in ${user.username} with TOTP needs the code of their authenticator`,
      resolution: `Give signInUser a signInChallenge that computes it from the secret totpSignUpChallenge received`,
    })
  }
  if (step === 'CONFIRM_SIGN_IN_WITH_TOTP_CODE' || step === 'CONFIRM_SIGN_IN_WITH_SMS_CODE' || step === 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE') {
    const challengeResponse = (await user.signInChallenge?.())?.challengeResponse ?? await mailedCode(messagesUrl, user.username)
    return (await auth.confirmSignIn({ challengeResponse })).nextStep.signInStep === 'DONE'
  }
  throw new AmplifyUserError('CannotSignInWithMFAError', {
    message: `${user.username} cannot be signed in with MFA`,
    resolution: `Ensure that ${user.username} exists and that MFA is set to REQUIRED.`,
  })
}

export const addToUserGroup: typeof Seed.addToUserGroup = async (user, group) => {
  const { userPoolId, groups } = authConfig()
  if (!groups.includes(group)) {
    throw new AmplifyUserError(groups.length ? 'NoGroupError' : 'NoGroupsError', {
      message: groups.length ? `There is no group called ${group} in this userpool.` : 'There are no groups in this userpool.',
      resolution: `Either create a group called ${group} or assign this user to a group that exists on this userpool.`,
    })
  }
  try {
    await cognito().send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: group }))
  }
  catch (error) {
    if ((error as Error).name === 'UserNotFoundException') {
      throw new AmplifyUserError('UserNotFoundError', {
        message: `The user, ${user.username}, does not exist`,
        resolution: `Create a user called ${user.username} or try again with a different user`,
      }, error as Error)
    }
    throw error
  }
}

/** The offline value of `secret(name)` (`npm run sandbox:secret -- set <name>`), as the cloud's comes from SSM. */
export const getSecret: typeof Seed.getSecret = async (name) => {
  authConfig()
  const value = openSecrets(DATA_DIR!).get(name)
  if (value === undefined) {
    throw new AmplifyUserError('SecretNotSetError', { message: `The secret ${name} is not set offline.`, resolution: `Run npm run sandbox:secret -- set ${name}` })
  }
  return value
}

export const setSecret: typeof Seed.setSecret = async (name, value) => {
  authConfig()
  await openSecrets(DATA_DIR!).set(name, value)
  return name
}
