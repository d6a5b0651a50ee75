/**
 * The router: every operation the pool answers, by its `X-Amz-Target` name. Adding one is a
 * function in its family's file and a line here.
 */
import { unknownOperation } from '../errors'
import type { Body } from '../params'
import type { LocalPool } from '../pool'
import { confirmForgotPassword, forgotPassword } from './forgot-password'
import { getTokensFromRefreshToken, globalSignOut, revokeToken } from './session'
import { initiateAuth, respondToAuthChallenge } from './sign-in'
import { confirmSignUp, resendConfirmationCode, signUp } from './sign-up'
import { changePassword, deleteUser, getUser, getUserAttributeVerificationCode, updateUserAttributes, verifyUserAttribute } from './user'

/** Reads the request body, changes state and answers; throws `CognitoError` for Cognito's errors. */
export type Operation = (pool: LocalPool, body: Body) => Promise<Body>

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'

const OPERATIONS: Record<string, Operation> = {
  SignUp: signUp,
  ConfirmSignUp: confirmSignUp,
  ResendConfirmationCode: resendConfirmationCode,
  InitiateAuth: initiateAuth,
  RespondToAuthChallenge: respondToAuthChallenge,
  GetTokensFromRefreshToken: getTokensFromRefreshToken,
  RevokeToken: revokeToken,
  GlobalSignOut: globalSignOut,
  GetUser: getUser,
  UpdateUserAttributes: updateUserAttributes,
  GetUserAttributeVerificationCode: getUserAttributeVerificationCode,
  VerifyUserAttribute: verifyUserAttribute,
  ChangePassword: changePassword,
  DeleteUser: deleteUser,
  ForgotPassword: forgotPassword,
  ConfirmForgotPassword: confirmForgotPassword,
}

/** Runs the operation `target` names; whatever it changed is on disk before this resolves or rejects. */
export async function call(pool: LocalPool, target: string, body: Body): Promise<Body> {
  const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
  // Own properties only: `constructor` or `toString` must not reach Object.prototype.
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined
  if (!operation) throw unknownOperation(target)
  return pool.state.persisting(() => operation(pool, body))
}
