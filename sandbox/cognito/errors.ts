/**
 * Every error the local user pool answers with: one constructor per error, one message each, in
 * Cognito's wording where Cognito has one. Operations throw these and nothing else.
 */
import { AwsJsonError } from '../core/aws-json'

/** An error Cognito would return (AWS JSON protocol). */
export class CognitoError extends AwsJsonError {}

const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message)
const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message)
const serialization = (message: string) => new CognitoError('SerializationException', message)

// The request itself.
export const unknownOperation = (target: string) => new CognitoError('UnknownOperationException', `Unknown operation: X-Amz-Target "${target.slice(0, 128)}"`)
export const requestTooLarge = (limit: number) => new CognitoError('RequestEntityTooLargeException', `Request body exceeds ${limit} bytes`, 413)
export const internalError = () => new CognitoError('InternalErrorException', 'Internal error', 500)
export const bodyNotJson = () => serialization('Request body is not valid JSON')
export const bodyNotObject = () => serialization('Request body must be a JSON object')
export const wrongType = (expected: 'string' | 'integer' | 'map' | 'list' | 'structure', field: string) => serialization(`Expected ${expected} for ${field}`)

/** Cognito's wording for a failed constraint, e.g. "Value null at 'clientId' failed to satisfy…". */
export function constraintFailed(field: string, value: unknown, rule: string): CognitoError {
  const shown = value === undefined || value === null
    ? 'null'
    : `'${typeof value === 'string' ? value.slice(0, 64) : typeof value === 'number' ? value : typeof value}'`
  return invalidParameter(`1 validation error detected: Value ${shown} at '${lowerFirst(field)}' failed to satisfy constraint: ${rule}`)
}
/** The same check on a password, whose value Cognito does not echo. */
export const passwordFormat = () => invalidParameter('1 validation error detected: Value at \'password\' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$')
export const missingParameter = (name: string) => invalidParameter(`Missing required parameter ${name}`)
export const clientNotFound = (clientId: string) => new CognitoError('ResourceNotFoundException', `User pool client ${clientId.slice(0, 128)} does not exist.`)
export const flowNotEnabled = (flow: string) => invalidParameter(`${flow} flow not enabled for this client`)
export const authFlowNotSupported = () => invalidParameter('Initiate Auth method not supported.')
export const customAuthNotConfigured = () => invalidParameter('Custom auth lambda trigger is not configured for the user pool.')
/** What Cognito does but this sandbox does not model. */
export const notInSandbox = (what: string) => invalidParameter(`${what} is not supported by the offline sandbox.`)

// Signed (IAM-authorized) requests: the admin API.
/** No SigV4 signature at all: what AWS answers before it looks at the operation. */
export const requestNotSigned = () => new CognitoError('MissingAuthenticationTokenException', 'Missing Authentication Token')
/**
 * A signature the sandbox's IAM refused (unknown key, wrong secret, expired, out of scope), in its
 * code and wording. Always 400, as Cognito's JSON API answers them (REST services such as Lambda say 403).
 */
export const signatureRefused = (type: string, message: string) => new CognitoError(type, message)
/** A signer whose policies do not allow `action` (`cognito-idp:<Operation>`) on the pool. */
export const accessDenied = (userArn: string, action: string, resource: string) =>
  new CognitoError('AccessDeniedException', `User: ${userArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`)
export const poolNotFound = (userPoolId: string) => new CognitoError('ResourceNotFoundException', `User pool ${userPoolId.slice(0, 55)} does not exist.`)
export const groupNotFound = () => new CognitoError('ResourceNotFoundException', 'Group not found.')
export const filterInvalid = () => invalidParameter('Error while parsing filter.')
export const paginationTokenInvalid = () => invalidParameter('Invalid pagination token.')

// Users and their attributes.
export const userNotFound = () => new CognitoError('UserNotFoundException', 'User does not exist.')
/** `attribute`: the sign-in alias taken, `email` or `phone_number`. */
export const usernameExists = (attribute = 'email') => new CognitoError('UsernameExistsException', `An account with the given ${attribute} already exists.`)
export const aliasExists = (attribute = 'email') => new CognitoError('AliasExistsException', `An account with the given ${attribute} already exists.`)
export const cannotResetPassword = () => notAuthorized('User password cannot be reset in the current state.')
export const invalidSession = () => notAuthorized('Invalid session for the user, session is expired.')
export const usernameNotEmail = () => invalidParameter('Username should be an email.')
export const usernameNotPhone = () => invalidParameter('Username should be a phone number.')
export const usernameNotEmailOrPhone = () => invalidParameter('Username should be either an email or a phone number.')
export const emailMismatch = () => invalidParameter('Email attribute does not match the username.')
export const phoneMismatch = () => invalidParameter('Phone number attribute does not match the username.')
export const attributeRequired = (name: string) => invalidParameter(`Attributes did not conform to the schema: ${name}: The attribute is required`)
export const attributeNotInSchema = (name: string) => invalidParameter(`Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.`)
export const attributeNotMutable = (name: string) => invalidParameter(`Cannot modify the non-mutable attribute ${name}`)
export const invalidBoolean = (name: string) => invalidParameter(`Invalid value for ${name}: must be true or false.`)
export const invalidEmail = () => invalidParameter('Invalid email address format.')
export const invalidPhoneNumber = () => invalidParameter('Invalid phone number format.')
export const noEmail = () => invalidParameter('No email address registered for this user.')
export const noPhone = () => invalidParameter('No phone number registered for this user.')
export const noVerifiedContact = () => invalidParameter('Cannot reset password for the user as there is no registered/verified email or phone_number')
export const alreadyConfirmed = () => invalidParameter('User is already confirmed.')
export const cannotConfirm = (status = 'CONFIRMED') => notAuthorized(`User cannot be confirmed. Current status is ${status}`)
export const userDisabled = () => notAuthorized('User is disabled.')
export const userNotConfirmed = () => new CognitoError('UserNotConfirmedException', 'User is not confirmed.')

// Passwords and sign-in.
export const passwordPolicy = (why: string) => new CognitoError('InvalidPasswordException', `Password did not conform with policy: ${why}`)
export const incorrectCredentials = () => notAuthorized('Incorrect username or password.')
export const invalidSrpA = () => invalidParameter('Invalid SRP_A value.')
export const invalidTimestamp = () => invalidParameter('TIMESTAMP format is invalid.')
export const clockSkew = () => notAuthorized('TIMESTAMP is too far from the server\'s clock.')
export const challengeExpired = () => notAuthorized('Invalid session for the user, session is expired.')

// Second factors.
/** A wrong TOTP at sign-in. */
export const totpMismatch = () => new CognitoError('CodeMismatchException', 'Invalid code received for user')
/** A wrong code from a text message or an e-mail at sign-in. */
export const messageCodeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid code or auth state for the user.')
/** A TOTP already accepted once in its 30-second window. */
export const totpReused = () => new CognitoError('ExpiredCodeException', 'Your software token has already been used once.')
/** VerifySoftwareToken with a code the new authenticator did not produce. */
export const totpSetupMismatch = () => new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch and fail enable Software Token MFA')
export const totpNotInPool = () => new CognitoError('SoftwareTokenMFANotFoundException', 'Software Token MFA has not been enabled by the userPool')
/** Turning on a factor the user has no authenticator, phone number or e-mail for. */
export const noDeliveryConfig = (method: string) => invalidParameter(`User does not have delivery config set to turn on ${method}`)
/** Required MFA for a user who has no factor and can set none up. */
export const noMfaMethod = () => new CognitoError('MFAMethodNotFoundException', 'No MFA mechanism registered in the account.')
export const mfaNotInPool = (method: string) => invalidParameter(`${method} is not enabled for the user pool.`)

// Tokens.
export const invalidRefreshToken = () => notAuthorized('Invalid Refresh Token')
export const refreshTokenRevoked = () => notAuthorized('Refresh Token has been revoked')
export const refreshTokenExpired = () => notAuthorized('Refresh Token has expired')
/** A refresh for a user deleted while the session stayed (Cognito answers this, not UserNotFound). */
export const refreshUserGone = () => notAuthorized('User does not exist.')
export const invalidAccessToken = () => notAuthorized('Invalid Access Token')
export const accessTokenExpired = () => notAuthorized('Access Token has expired')
export const accessTokenRevoked = () => notAuthorized('Access Token has been revoked')
export const accessTokenScope = () => notAuthorized('Access Token does not have required scopes')

// Codes.
export const codeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.')
export const codeExpired = () => new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.')
/** Too many wrong codes, or too many codes sent. */
export const attemptLimit = () => new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.')

// Lambda triggers: what Cognito answers when the function behind a trigger fails or misbehaves.
export const triggerUnavailable = (trigger: string) => new CognitoError('UnexpectedLambdaException', `${trigger} invocation failed: the offline sandbox runs no functions here.`)
/** The function did not answer: timed out, or its runtime died. */
export const triggerDidNotAnswer = (trigger: string, errorType: string) => new CognitoError('UnexpectedLambdaException', `${trigger} invocation failed due to error ${errorType}.`)
/** The function threw: its message reaches the client. */
export const triggerRefused = (trigger: string, message: string) => new CognitoError('UserLambdaValidationException', `${trigger} failed with error ${message}.`)
export const invalidTriggerResponse = (detail: string) => new CognitoError('InvalidLambdaResponseException', `Invalid lambda response received: ${detail}`)

function lowerFirst(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1)
}
