/**
 * Every error the local S3 answers with: one constructor per error, one message each, with S3's
 * code, status and wording (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
 * and the extra elements S3 adds (`<Key>`, `<BucketName>`, `<UploadId>`...). Operations throw these
 * and nothing else; http.ts renders them as S3's XML error document.
 */
import type { VerifyFailure } from '../iam'

export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Extra elements of the error document, in order. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message)
    this.name = code
  }

  /** Why it was refused, in words, for the sandbox's request log (core/requests.ts); never sent. */
  reason?: string
}

// The request.
export const accessDenied = (message = 'Access Denied') => new S3Error('AccessDenied', message, 403)
/** What IAM refused, in the words S3 uses since 2024 for requests from its own account. */
export const notAuthorized = (userArn: string, action: string, resource: string, explicitDeny: boolean) =>
  accessDenied(`User: ${userArn} is not authorized to perform: ${action} on resource: "${resource}" ${explicitDeny ? 'with an explicit deny in a resource-based policy' : `because no identity-based policy allows the ${action} action`}`)
/** The signature or credentials were refused (iam/errors.ts words them as S3 does). */
export const signatureRefused = (failure: VerifyFailure) => new S3Error(failure.code, failure.message, failure.status)
export const methodNotAllowed = (method: string, resourceType: 'OBJECT' | 'BUCKET' | 'SERVICE') =>
  new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method.slice(0, 16), ResourceType: resourceType })
export const notImplemented = (what: string) => new S3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented: ${what} is not served by the offline sandbox.`, 501)
export const invalidArgument = (message: string, name: string, value: string) =>
  new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value.slice(0, 256) })
export const invalidRequest = (message: string) => new S3Error('InvalidRequest', message, 400)
export const malformedXml = () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400)
export const missingContentLength = () => new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411)
export const incompleteBody = () => new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400)
export const entityTooLarge = (proposed: number, max: number) =>
  new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: proposed, MaxSizeAllowed: max })
export const keyTooLong = (size: number, max: number) => new S3Error('KeyTooLongError', 'Your key is too long', 400, { Size: size, MaxSizeAllowed: max })
export const invalidDigest = () => new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.', 400)
export const badDigest = () => new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400)
export const checksumMismatch = (algorithm: string) => new S3Error('BadDigest', `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`, 400)
export const internalError = () => new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500)

// Buckets and objects.
export const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket.slice(0, 255) })
export const noSuchKey = (key: string) => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key })
export const invalidRange = (range: string, size: number) =>
  new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: range.slice(0, 128), ActualObjectSize: size })
export const preconditionFailed = (condition: string) => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition })
/** `If-None-Match: *` on a key that exists (uploadData's `preventOverwrite`). */
export const alreadyExists = () => preconditionFailed('If-None-Match')
export const badContinuationToken = () => invalidArgument('The continuation token provided is incorrect', 'continuation-token', '')
export const badMaxKeys = (value: string) => invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', value)
export const badCopySource = (source: string) => invalidArgument('Invalid copy source object key', 'x-amz-copy-source', source)
export const copyToItself = () => invalidRequest('This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.')
/** A `response-*` override that is no header value (control characters, characters past Latin-1). */
export const badResponseOverride = (param: string, value: string) => invalidArgument('Header value contains invalid characters', param, printable(value))
/** An object ACL on a bucket whose Object Ownership is BucketOwnerEnforced (S3's default since 2023, and Amplify's). */
export const aclNotSupported = () => new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400)
export const badMetadataDirective = (value: string) => invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', value)

// Multipart uploads.
export const noSuchUpload = (uploadId: string) =>
  new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: uploadId.slice(0, 256) })
export const badPartNumber = (value: string) => invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', value)
export const invalidPart = (uploadId: string, partNumber: number, etag: string) =>
  new S3Error('InvalidPart', 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', 400, { UploadId: uploadId, PartNumber: partNumber, ETag: etag.slice(0, 128) })
export const invalidPartOrder = () => new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', 400)
export const entityTooSmall = (partNumber: number, size: number, min: number) =>
  new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400, { ProposedSize: size, MinSizeAllowed: min, PartNumber: partNumber })
/** No part listed, or a list S3 could not read. */
export const noParts = () => malformedXml()

// CORS preflights.
export const corsNotEnabled = () => new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', 403, { Method: 'OPTIONS', ResourceType: 'BUCKET' })
export const corsNotAllowed = () =>
  new S3Error('AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.', 403, { Method: 'OPTIONS', ResourceType: 'OBJECT' })
/** The client's folder removal sends DeleteObjects to `/?delete` without the bucket (aws-amplify's path-style bug). */
export const deleteWithoutBucket = () =>
  invalidRequest('DeleteObjects was sent to the endpoint\'s root, without a bucket (aws-amplify drops the bucket from the path of a path-style DeleteObjects request): the offline sandbox serves several buckets and cannot tell which one is meant. Remove the files one by one.')

/** Text with every character outside printable ASCII percent-encoded: safe inside an XML error document. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7E]/gu, char => [...Buffer.from(char, 'utf8')].map(byte => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}
