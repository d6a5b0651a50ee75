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
 * NEW_PASSWORD_REQUIRED challenge with their password.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AmplifyUserError } from '@aws-amplify/platform-core'
import type * as Seed from '@aws-amplify/seed'
import { AdminAddUserToGroupCommand, AdminCreateUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import * as auth from 'aws-amplify/auth'
import { openSecrets } from '../ssm/secrets'

/** Set by sandbox/commands/seed.ts: the running sandbox's amplify_outputs.json and its data folder. */
const OUTPUTS_PATH = process.env.SANDBOX_SEED_OUTPUTS
const DATA_DIR = process.env.SANDBOX_SEED_DATA_DIR

interface Outputs {
  auth?: {
    user_pool_id?: string
    mfa_configuration?: 'NONE' | 'OPTIONAL' | 'REQUIRED'
    groups?: Array<Record<string, unknown>>
  }
}

function authConfig(): { userPoolId: string, mfa: string, groups: string[] } {
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
  const { userPoolId, mfa } = authConfig()
  try {
    await auth.signOut()
    if (newUser.signInFlow === 'MFA' && mfa === 'NONE') {
      throw new AmplifyUserError('MFANotConfiguredError', {
        message: `MFA is not configured for this userpool, you cannot create ${newUser.username} with MFA.`,
        resolution: `Enable MFA for this userpool or create ${newUser.username} with a different sign up flow.`,
      })
    }
    if (newUser.signInFlow === 'MFA') {
      throw new AmplifyUserError('MFANotConfiguredError', {
        message: `The offline sandbox does not serve MFA yet, so ${newUser.username} cannot be created with it.`,
        resolution: `Create ${newUser.username} with signInFlow: 'Password' offline.`,
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
    await auth.confirmSignIn({ challengeResponse: newUser.password, options: { userAttributes: cognitoAttributes(newUser.userAttributes) } })
    return { signInFlow: newUser.signInFlow, username: newUser.username }
  }
  finally {
    if (!newUser.signInAfterCreation) await auth.signOut()
  }
}

export const signInUser: typeof Seed.signInUser = async (user) => {
  authConfig()
  await auth.signOut()
  if (user.signInFlow === 'MFA') {
    throw new AmplifyUserError('MFANotConfiguredError', {
      message: `The offline sandbox does not serve MFA yet, so ${user.username} cannot sign in with it.`,
      resolution: 'Use signInFlow: \'Password\' offline.',
    })
  }
  try {
    const result = await auth.signIn({ username: user.username, password: user.password })
    return result.nextStep.signInStep === 'DONE'
  }
  catch (error) {
    if ((error as Error).name === 'UserNotFoundException') {
      throw new AmplifyUserError('UserExistsError', { message: `${user.username} does not exist`, resolution: `Create a user called ${user.username}` }, error as Error)
    }
    throw error
  }
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
