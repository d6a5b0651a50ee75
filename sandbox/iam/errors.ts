/**
 * Every way a signed request is refused: one constructor per error, one message each, in the wording
 * of the AWS JSON services (Cognito, AppSync, Lambda). S3 names the same failures differently, so each
 * constructor takes the service and answers with S3's code and message when it is S3.
 */
import type { VerifyFailure } from './types'

function fail(code: string, message: string, status = 403): VerifyFailure {
  return { ok: false, code, message, status }
}

const isS3 = (service: string) => service === 's3'

export const missingAuthentication = (service: string) => isS3(service)
  ? fail('AccessDenied', 'Access Denied')
  : fail('MissingAuthenticationTokenException', 'Missing Authentication Token')

export const twoAuthMechanisms = (service: string) => isS3(service)
  ? fail('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', 400)
  : fail('IncompleteSignatureException', 'Only one auth mechanism allowed: a signed Authorization header or a presigned query string, not both', 400)

/** Anything wrong with the shape of the Authorization header or the presigned query parameters. */
const malformedSignature = (service: string, presigned: boolean, why: string) => isS3(service)
  ? fail(presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed', why, 400)
  : fail('IncompleteSignatureException', why, 400)

export const unsupportedAlgorithm = (service: string, presigned: boolean, algorithm: string) =>
  malformedSignature(service, presigned, `Unsupported AWS 'algorithm': '${algorithm.slice(0, 64)}' (the offline sandbox verifies AWS4-HMAC-SHA256 only)`)

export const missingParameters = (service: string, presigned: boolean, names: string[], authorization: string) =>
  malformedSignature(service, presigned, presigned
    ? `Query-string authentication version 4 requires the ${names.join(', ')} parameter${names.length > 1 ? 's' : ''}.`
    : `${names.map(name => `Authorization header requires '${name}' parameter.`).join(' ')} Authorization=${authorization.slice(0, 256)}`)

export const missingDate = (service: string, authorization: string) =>
  malformedSignature(service, false, `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.slice(0, 256)}`)

export const badDate = (service: string, presigned: boolean, date: string) =>
  malformedSignature(service, presigned, `Date must be in ISO-8601 'basic format'. Got '${date.slice(0, 64)}'. See http://en.wikipedia.org/wiki/ISO_8601`)

export const badCredential = (service: string, presigned: boolean, credential: string) =>
  malformedSignature(service, presigned, `Credential should be <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, not '${credential.slice(0, 128)}'.`)

export const scopeDateMismatch = (service: string, presigned: boolean, scopeDate: string, longDate: string) =>
  malformedSignature(service, presigned, `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate.slice(0, 16)}' != '${longDate.slice(0, 8)}', from '${longDate}'.`)

export const wrongRegion = (service: string, presigned: boolean, region: string, expected: string) => isS3(service)
  ? malformedSignature(service, presigned, `The authorization header is malformed; the region '${region.slice(0, 32)}' is wrong; expecting '${expected}'`)
  : fail('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region.slice(0, 32)}'. The offline sandbox's region is '${expected}'.`)

export const wrongService = (service: string, presigned: boolean, scoped: string) =>
  isS3(service)
    ? malformedSignature(service, presigned, `The authorization header is malformed; the service '${scoped.slice(0, 32)}' is wrong; expecting 's3'`)
    : fail('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`)

export const wrongTerminator = (service: string, presigned: boolean, terminator: string) =>
  malformedSignature(service, presigned, `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator.slice(0, 32)}'.`)

export const hostNotSigned = (service: string, presigned: boolean) => isS3(service)
  ? malformedSignature(service, presigned, 'The host header must be signed.')
  : fail('InvalidSignatureException', '\'Host\' or \':authority\' must be a \'SignedHeader\' in the AWS Authorization.')

export const contentShaMissing = () => fail('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400)

export const badContentSha = () => fail('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.', 400)

export const contentShaMismatch = (service: string) => isS3(service)
  ? fail('XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.', 400)
  : signatureMismatch(service)

export const badExpires = (service: string, why: string) => malformedSignature(service, true, why)

/** An `aws-chunked` body (S3 streaming uploads) whose framing is broken. */
export const malformedChunkedBody = (why: string) => fail('InvalidRequest', `The aws-chunked request body is malformed: ${why}`, 400)

/** The decoded body is not as long as `x-amz-decoded-content-length` (or Content-Length) said. */
export const incompleteBody = (declared: number, received: number) =>
  fail('IncompleteBody', `You did not provide the number of bytes specified by the Content-Length HTTP header (declared ${declared}, received ${received}).`, 400)

/** `x-amz-content-sha256` names a way of signing the body that the offline sandbox does not read (SigV4a streaming). */
export const unsupportedPayloadMode = (declared: string) =>
  fail('NotImplemented', `x-amz-content-sha256 '${declared.slice(0, 64)}' is not supported by the offline sandbox (use a SHA-256, UNSIGNED-PAYLOAD or a SigV4 streaming mode).`, 501)

/** The request's date is more than AWS's 15 minutes away from the sandbox's clock. */
export const skewed = (service: string, longDate: string, now: Date, tooOld: boolean) => {
  if (isS3(service)) return fail('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
  const bound = basicDate(new Date(now.getTime() + (tooOld ? -1 : 1) * 15 * 60_000))
  return fail('InvalidSignatureException', tooOld
    ? `Signature expired: ${longDate} is now earlier than ${bound} (${basicDate(now)} - 15 min.)`
    : `Signature not yet current: ${longDate} is still later than ${bound} (${basicDate(now)} + 15 min.)`)
}

export const presignedExpired = (service: string) => isS3(service)
  ? fail('AccessDenied', 'Request has expired')
  : fail('InvalidSignatureException', 'Signature expired: the presigned request is past its X-Amz-Expires.')

export const presignedNotYetValid = (service: string) => isS3(service)
  ? fail('AccessDenied', 'Request is not valid yet')
  : fail('InvalidSignatureException', 'Signature not yet current: the presigned request\'s X-Amz-Date is in the future.')

/** An access key the sandbox never issued (or forgot with --reset). */
export const unknownAccessKey = (service: string) => isS3(service)
  ? fail('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
  : fail('UnrecognizedClientException', 'The security token included in the request is invalid.')

/** A session token missing, unexpected, or not the one issued with the key. */
export const invalidSessionToken = (service: string) => isS3(service)
  ? fail('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400)
  : fail('UnrecognizedClientException', 'The security token included in the request is invalid.')

export const expiredToken = (service: string) => isS3(service)
  ? fail('ExpiredToken', 'The provided token has expired.', 400)
  : fail('ExpiredTokenException', 'The security token included in the request is expired')

export function signatureMismatch(service: string): VerifyFailure {
  return isS3(service)
    ? fail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.')
    : fail('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.')
}

/** `20150830T123600Z`, SigV4's date format. */
export function basicDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}
