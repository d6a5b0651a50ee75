/**
 * The router: every operation the pool answers, by its `X-Amz-Target` name. Adding one is a
 * function in its family's file and a line here, in `SIGNED` for an operation AWS authorizes with
 * IAM (the admin API) and in `OPERATIONS` for one a user calls unsigned.
 */
import type { SignedRequest } from '../../iam/types'
import { unknownOperation } from '../errors'
import { parseBody, type Body } from '../params'
import type { LocalPool } from '../pool'
import {
  adminAddUserToGroup, adminConfirmSignUp, adminCreateUser, adminDeleteUser, adminDisableUser, adminEnableUser, adminGetUser,
  adminListGroupsForUser, adminRemoveUserFromGroup, adminSetUserMfaPreference, adminSetUserPassword, adminUpdateUserAttributes, listGroups,
  listUsers, type Caller,
} from './admin'
import { confirmForgotPassword, forgotPassword } from './forgot-password'
import { associateSoftwareToken, setUserMfaPreference, verifySoftwareToken } from './mfa'
import { getTokensFromRefreshToken, globalSignOut, revokeToken } from './session'
import { initiateAuth, respondToAuthChallenge } from './sign-in'
import { confirmSignUp, resendConfirmationCode, signUp } from './sign-up'
import { changePassword, deleteUser, getUser, getUserAttributeVerificationCode, updateUserAttributes, verifyUserAttribute } from './user'

/** Reads the request body, changes state and answers; throws `CognitoError` for Cognito's errors. */
export type Operation = (pool: LocalPool, body: Body) => Promise<Body>
/** The same, for a request whose signature was verified: it authorizes `caller` itself. */
export type SignedOperation = (pool: LocalPool, body: Body, caller: Caller) => Promise<Body>

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
  AssociateSoftwareToken: associateSoftwareToken,
  VerifySoftwareToken: verifySoftwareToken,
  SetUserMFAPreference: setUserMfaPreference,
}

const SIGNED: Record<string, SignedOperation> = {
  AdminAddUserToGroup: adminAddUserToGroup,
  AdminRemoveUserFromGroup: adminRemoveUserFromGroup,
  AdminListGroupsForUser: adminListGroupsForUser,
  ListGroups: listGroups,
  AdminGetUser: adminGetUser,
  ListUsers: listUsers,
  AdminCreateUser: adminCreateUser,
  AdminConfirmSignUp: adminConfirmSignUp,
  AdminSetUserPassword: adminSetUserPassword,
  AdminUpdateUserAttributes: adminUpdateUserAttributes,
  AdminDisableUser: adminDisableUser,
  AdminEnableUser: adminEnableUser,
  AdminDeleteUser: adminDeleteUser,
  AdminSetUserMFAPreference: adminSetUserMfaPreference,
}

/** An admin API operation by name, for callers inside the sandbox that act as its admin (the console). */
export function adminOperation(name: string): SignedOperation {
  const operation = Object.hasOwn(SIGNED, name) ? SIGNED[name] : undefined
  if (!operation) throw new Error(`No admin operation ${name}`)
  return operation
}

/**
 * Runs the operation `target` names on the request as received (signed operations verify its
 * exact bytes); whatever it changed is on disk before this resolves or rejects.
 */
export async function call(pool: LocalPool, target: string, request: SignedRequest): Promise<Body> {
  const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
  // Own properties only: `constructor` or `toString` must not reach Object.prototype.
  const signed = Object.hasOwn(SIGNED, name) ? SIGNED[name] : undefined
  if (signed) {
    // AWS refuses an unsigned or badly signed request before it reads the body.
    const principal = await pool.signer(request)
    const body = parseBody(request.body ?? '')
    return pool.state.persisting(() => signed(pool, body, { principal, action: `cognito-idp:${name}` }))
  }
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined
  if (!operation) throw unknownOperation(target)
  const body = parseBody(request.body ?? '')
  return pool.state.persisting(() => operation(pool, body))
}
