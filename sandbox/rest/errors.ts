/**
 * Every answer the local API Gateway gives instead of the integration's: one constructor per
 * error, with API Gateway's gateway response type (what an `AWS::ApiGateway::GatewayResponse` of
 * the API may customize), status, message and `x-amzn-ErrorType`. The default body is
 * `{"message":"…"}`, except where API Gateway writes its own (the Lambda failures, IAM's refusal).
 */
import type { RequestCaller } from '../core/requests'
import type { VerifyFailure } from '../iam'

export class GatewayError extends Error {
  constructor(
    /** `MISSING_AUTHENTICATION_TOKEN`, `UNAUTHORIZED`...: customized by the API's gateway response of that type, else `DEFAULT_4XX` / `DEFAULT_5XX`. */
    readonly responseType: string,
    readonly status: number,
    message: string,
    readonly errorType?: string,
    /** The body when no gateway response customizes it; `{"message":"<message>"}` by default. */
    readonly body: string = JSON.stringify({ message }),
  ) {
    super(message)
    this.name = errorType ?? responseType
  }

  /** Why it was refused, in words, for the sandbox's request log (core/requests.ts); never sent. */
  reason?: string
  /** Who was refused, when the refusal came after the caller was established (an IAM deny). */
  caller?: RequestCaller
}

/** `error` with why it was refused, for the request log. */
export function because<E extends GatewayError>(error: E, reason: string, caller?: RequestCaller): E {
  error.reason = reason
  if (caller) error.caller = caller
  return error
}

/** No route for the path and method, or an IAM method called without a signature. */
export const missingAuthenticationToken = () =>
  new GatewayError('MISSING_AUTHENTICATION_TOKEN', 403, 'Missing Authentication Token', 'MissingAuthenticationTokenException')

/** A Cognito (or Lambda) authorizer refused the call, or there was no token to check. */
export const unauthorized = () => new GatewayError('UNAUTHORIZED', 401, 'Unauthorized', 'UnauthorizedException')

/** IAM refused `execute-api:Invoke` (API Gateway capitalizes this one's key). */
export const accessDenied = (userArn: string, resource: string, explicitDeny: boolean) => {
  const message = `User: ${userArn} is not authorized to perform: execute-api:Invoke on resource: ${resource}${explicitDeny ? ' with an explicit deny' : ''}`
  return new GatewayError('ACCESS_DENIED', 403, message, 'AccessDeniedException', JSON.stringify({ Message: message }))
}

/** The SigV4 signature or its credentials were refused (../iam/errors.ts words them); API Gateway answers 403 to all. */
export const signatureRefused = (failure: VerifyFailure) => {
  const type = { InvalidSignatureException: 'INVALID_SIGNATURE', ExpiredTokenException: 'EXPIRED_TOKEN', MissingAuthenticationTokenException: 'MISSING_AUTHENTICATION_TOKEN' }[failure.code] ?? 'DEFAULT_4XX'
  return new GatewayError(type, 403, failure.message, failure.code)
}

/** A stage the API does not have. */
export const forbidden = () => new GatewayError('DEFAULT_4XX', 403, 'Forbidden', 'ForbiddenException')

/** A method that requires an API key, called without `x-api-key`. */
export const invalidApiKey = () => new GatewayError('INVALID_API_KEY', 403, 'Forbidden', 'ForbiddenException')

/** A body over API Gateway's 10 MB. */
export const requestTooLarge = () => new GatewayError('REQUEST_TOO_LARGE', 413, 'Request Too Long')

/** The integration cannot run (not served offline, or its function is not in the backend). */
export const integrationMisconfigured = () =>
  new GatewayError('DEFAULT_5XX', 500, 'Internal server error', 'InternalServerErrorException', '{"message": "Internal server error"}')

/** The function failed (threw, crashed, timed out) or answered something that is not a proxy result. */
export const lambdaFailed = () =>
  new GatewayError('DEFAULT_5XX', 502, 'Internal server error', 'InternalServerErrorException', '{"message": "Internal server error"}')

/** The integration took longer than its timeout (29 s unless the method sets less). */
export const integrationTimedOut = () =>
  new GatewayError('INTEGRATION_TIMEOUT', 504, 'Endpoint request timed out', undefined, '{"message": "Endpoint request timed out"}')

/** A path whose first part names no REST API of the backend (the cloud's would not even resolve). */
export const noSuchApi = (apiId: string) =>
  new GatewayError('DEFAULT_4XX', 404, `No REST API ${apiId.slice(0, 64)} is served by the offline sandbox: the URL is http://<host>:<port>/<rest api id>/<stage>/<path> (see custom.API in amplify_outputs.json)`, 'NotFoundException')

/** The sandbox's own fault: API Gateway's 500. */
export const internalError = () => new GatewayError('DEFAULT_5XX', 500, 'Internal server error', 'InternalServerErrorException')
