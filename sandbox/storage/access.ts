/**
 * Which S3 operation a request is, and what IAM must allow for it: the action, the resource (the
 * object's ARN, the bucket's, or `*`) and the condition keys S3 sets (`s3:prefix`, `s3:delimiter`,
 * `s3:max-keys` for listings), as the S3 authorization reference lists them. Pure.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
import type { PolicyDocument, PolicyStatement } from '../iam'
import { evaluatePolicies } from '../iam/policy'

export type Operation
  = | 'ListBuckets'
    | 'HeadBucket'
    | 'GetBucketLocation'
    | 'ListObjectsV2'
    | 'DeleteObjects'
    | 'GetObject'
    | 'HeadObject'
    | 'PutObject'
    | 'CopyObject'
    | 'DeleteObject'
    | 'CreateMultipartUpload'
    | 'UploadPart'
    | 'CompleteMultipartUpload'
    | 'AbortMultipartUpload'
    | 'ListParts'

/** The IAM action each operation needs (CopyObject also needs s3:GetObject on its source). */
export const ACTIONS: Record<Operation, string> = {
  ListBuckets: 's3:ListAllMyBuckets',
  HeadBucket: 's3:ListBucket',
  GetBucketLocation: 's3:GetBucketLocation',
  ListObjectsV2: 's3:ListBucket',
  // Checked key by key: each deletion needs s3:DeleteObject on its object.
  DeleteObjects: 's3:DeleteObject',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CopyObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
}

export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`
export const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`

/** The resource an operation's action is checked on. */
export function resourceOf(operation: Operation, bucket: string | undefined, key: string | undefined): string {
  if (operation === 'ListBuckets' || bucket === undefined) return '*'
  if (key === undefined || ['HeadBucket', 'GetBucketLocation', 'ListObjectsV2', 'DeleteObjects'].includes(operation)) return bucketArn(bucket)
  return objectArn(bucket, key)
}

/** The condition keys a ListObjects request sets, from its query: only those it sends. */
export function listConditionKeys(query: URLSearchParams): Record<string, string> {
  const keys: Record<string, string> = {}
  for (const [param, key] of [['prefix', 's3:prefix'], ['delimiter', 's3:delimiter'], ['max-keys', 's3:max-keys']] as const) {
    const value = query.get(param)
    if (value !== null) keys[key] = value
  }
  return keys
}

/** Query parameters that name a sub-resource: an operation of its own (`?acl`, `?tagging`...). */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls',
  'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention',
  'select', 'session', 'tagging', 'torrent', 'uploadId', 'uploads', 'versioning', 'versions', 'website',
])

export type Routed = { operation: Operation } | { unsupported: string } | { methodNotAllowed: 'OBJECT' | 'BUCKET' | 'SERVICE' }

/**
 * The operation a request names, by method, target (service, bucket or object), sub-resource and
 * headers; what S3 has but the sandbox does not serve is `unsupported` (answered NotImplemented).
 */
export function routeOf(method: string, bucket: string | undefined, key: string | undefined, query: URLSearchParams, headers: Record<string, string | string[] | undefined>): Routed {
  const sub = [...query.keys()].find(name => SUBRESOURCES.has(name))
  if (bucket === undefined) {
    if (method === 'GET' && !sub) return { operation: 'ListBuckets' }
    return { methodNotAllowed: 'SERVICE' }
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (sub === 'location') return { operation: 'GetBucketLocation' }
        if (sub) return { unsupported: `GET ?${sub} on a bucket` }
        if (query.get('list-type') === '2') return { operation: 'ListObjectsV2' }
        return { unsupported: 'ListObjects (version 1; use ListObjectsV2, list-type=2)' }
      case 'HEAD':
        return sub ? { unsupported: `HEAD ?${sub} on a bucket` } : { operation: 'HeadBucket' }
      case 'POST':
        return sub === 'delete' ? { operation: 'DeleteObjects' } : { unsupported: `POST ${sub ? `?${sub}` : ''} on a bucket` }
      case 'PUT':
      case 'DELETE':
        return { unsupported: `${method} ${sub ? `?${sub}` : ''} on a bucket (buckets come from amplify/)` }
      default:
        return { methodNotAllowed: 'BUCKET' }
    }
  }
  const copy = headers['x-amz-copy-source'] !== undefined
  switch (method) {
    case 'GET':
      if (sub === 'uploadId') return { operation: 'ListParts' }
      if (sub) return { unsupported: `GET ?${sub} on an object` }
      return { operation: 'GetObject' }
    case 'HEAD':
      return sub ? { unsupported: `HEAD ?${sub} on an object` } : { operation: 'HeadObject' }
    case 'PUT':
      if (query.has('partNumber') && query.has('uploadId')) return copy ? { unsupported: 'UploadPartCopy' } : { operation: 'UploadPart' }
      if (sub) return { unsupported: `PUT ?${sub} on an object` }
      return { operation: copy ? 'CopyObject' : 'PutObject' }
    case 'POST':
      if (sub === 'uploads') return { operation: 'CreateMultipartUpload' }
      if (sub === 'uploadId') return { operation: 'CompleteMultipartUpload' }
      return { unsupported: `POST ${sub ? `?${sub}` : ''} on an object` }
    case 'DELETE':
      if (sub === 'uploadId') return { operation: 'AbortMultipartUpload' }
      if (sub) return { unsupported: `DELETE ?${sub} on an object` }
      return { operation: 'DeleteObject' }
    default:
      return { methodNotAllowed: 'OBJECT' }
  }
}

/** Stands for "some object of the bucket" in the policies `mayActOnSomeObject` rewrites. */
const SOME_OBJECT = 'arn:aws:s3:::some-object'

/**
 * Whether `policies` could allow `action` on some object of `bucket`, whatever its key: an Allow
 * statement whose actions match and one of whose resources could name an object there. Conditions,
 * policy variables and Deny statements are left out, so true means "maybe" (each key is still
 * authorized on its own) and only false is a verdict: DeleteObjects refuses such a caller before
 * it reads the body, so that a caller with no right there never reaches the XML reader.
 */
export function mayActOnSomeObject(policies: readonly PolicyDocument[], action: string, bucket: string): boolean {
  const reaching = policies
    .flatMap(policy => (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]))
    .filter(statement => statement?.Effect === 'Allow' && reachesObjectsOf(statement, bucket))
    .map(({ Action, NotAction }) => ({ Effect: 'Allow' as const, Action, NotAction, Resource: SOME_OBJECT }))
  return evaluatePolicies([{ Statement: reaching }], action, SOME_OBJECT) === 'allow'
}

/** Whether any of a statement's resources could match an object ARN of `bucket` (a NotResource always could). */
function reachesObjectsOf(statement: PolicyStatement, bucket: string): boolean {
  if (statement.Resource === undefined) return true
  const objects = objectArn(bucket, '')
  return (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).some((pattern) => {
    // The literal part before the first wildcard or policy variable: past it, anything may follow.
    const open = pattern.search(/[*?]|\$\{/)
    if (open < 0) return pattern.startsWith(objects) && pattern.length > objects.length
    const literal = pattern.slice(0, open)
    return literal.startsWith(objects) || objects.startsWith(literal)
  })
}
