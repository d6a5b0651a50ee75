/**
 * Every error the local identity pool answers with: one constructor per error, one message each, in
 * Cognito Identity's wording where it has one. Operations throw these and nothing else.
 */
import { AwsJsonError } from '../core/aws-json'

/** An error Cognito Identity would return (AWS JSON protocol). */
export class IdentityError extends AwsJsonError {}

const notAuthorized = (message: string) => new IdentityError('NotAuthorizedException', message)
const serialization = (message: string) => new IdentityError('SerializationException', message)

// The request itself.
export const unknownOperation = (target: string) => new IdentityError('UnknownOperationException', `Unknown operation: X-Amz-Target "${target.slice(0, 128)}"`)
export const requestTooLarge = (limit: number) => new IdentityError('RequestEntityTooLargeException', `Request body exceeds ${limit} bytes`, 413)
export const internalError = () => new IdentityError('InternalErrorException', 'Internal error', 500)
export const bodyNotJson = () => serialization('Request body is not valid JSON')
export const bodyNotObject = () => serialization('Request body must be a JSON object')
export const wrongType = (expected: 'string' | 'map', field: string) => serialization(`Expected ${expected} for ${field}`)

/** Cognito Identity's wording for a failed constraint, e.g. "Value 'x' at 'identityPoolId' failed to satisfy…". */
export function constraintFailed(field: string, value: unknown, rule: string): IdentityError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value).slice(0, 64)}'`
  return new IdentityError('ValidationException', `1 validation error detected: Value ${shown} at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: ${rule}`)
}

// Pools and identities.
export const identityPoolNotFound = (id: string) => new IdentityError('ResourceNotFoundException', `IdentityPool '${id.slice(0, 64)}' not found.`)
export const identityNotFound = (id: string) => new IdentityError('ResourceNotFoundException', `Identity '${id.slice(0, 64)}' not found.`)
/**
 * A disabled identity, e.g. a guest's merged into a user's. The cloud's answer as reported in
 * aws-amplify/amplify-js#6616 (a merged guest id, "Access to identity '…' is forbidden") and in
 * aws-amplify/aws-sdk-android#175 and #2964, which show its exact wording: 400 NotAuthorizedException.
 */
export const identityForbidden = (id: string) => notAuthorized(`Access to Identity '${id.slice(0, 64)}' is forbidden.`)
export const guestAccessDisabled = () => notAuthorized('Unauthenticated access is not supported for this identity pool.')
/** An authenticated identity asked for without (one of) its logins. */
export const loginsDontMatch = () => notAuthorized('Logins don\'t match. Please include at least one valid login for this identity or identity pool.')

// Login tokens.
export const unsupportedProvider = () => notAuthorized('Token is not from a supported provider of this identity pool.')
export const invalidLoginToken = () => notAuthorized('Invalid login token. Not a valid OpenId Connect identity token.')
export const issuerMismatch = () => notAuthorized('Invalid login token. Issuer doesn\'t match providerName')
export const loginTokenExpired = (exp: number, now: number) => notAuthorized(`Invalid login token. Token expired: ${exp} >= ${now}`)
/** A login provider the definition names but the sandbox cannot check offline (Google, SAML...). */
export const providerNotInSandbox = (provider: string) =>
  notAuthorized(`Logins from ${provider.slice(0, 64)} are not served by the offline sandbox: sign in through the local user pool.`)

// Roles.
export const noRoleConfigured = () => new IdentityError('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.')
export const ambiguousRoleDenied = () => notAuthorized('Unable to determine a role for this token, and the identity pool\'s role mapping denies ambiguous ones.')
export const customRoleNotAllowed = () => new IdentityError('InvalidParameterException', 'CustomRoleArn is not one of the roles the login token allows.')
