/**
 * Which S3 operation each request aws-amplify sends is, and what IAM must allow for it
 * (sandbox/storage/access.ts), decided with the policies Gen 2 synthesizes for
 * `defineStorage({ access })` and its bucket policy: guest, authenticated, group and
 * `entity('identity')` rules, and read, write and delete, each kept apart as in the cloud.
 */
import { describe, expect, it } from 'vitest'
import { evaluatePolicies, statementsAbout } from '../../../sandbox/iam/policy'
import type { PolicyDocument } from '../../../sandbox/iam/types'
import { ACTIONS, listConditionKeys, resourceOf, routeOf } from '../../../sandbox/storage/access'

const BUCKET = 'files.abc123def456'
const ARN = `arn:aws:s3:::${BUCKET}`
const SUB = '${cognito-identity.amazonaws.com:sub}'
const ME = 'us-east-1:11111111-1111-4111-8111-111111111111'
const OTHER = 'us-east-1:22222222-2222-4222-8222-222222222222'

const route = (method: string, key: string | undefined, query: string, headers: Record<string, string> = {}) => routeOf(method, BUCKET, key, new URLSearchParams(query), headers)

describe('routing what aws-amplify/storage sends', () => {
  it.each([
    ['PUT', 'public/a.txt', 'x-id=PutObject', {}, 'PutObject'],
    ['PUT', 'public/b.txt', 'x-id=CopyObject', { 'x-amz-copy-source': `${BUCKET}/public/a.txt` }, 'CopyObject'],
    ['GET', 'public/a.txt', 'x-id=GetObject', {}, 'GetObject'],
    ['HEAD', 'public/a.txt', 'response-cache-control=no-store', {}, 'HeadObject'],
    ['DELETE', 'public/a.txt', 'x-id=DeleteObject', {}, 'DeleteObject'],
    ['POST', 'public/big.bin', 'uploads', {}, 'CreateMultipartUpload'],
    ['PUT', 'public/big.bin', 'partNumber=2&uploadId=u1', {}, 'UploadPart'],
    ['GET', 'public/big.bin', 'x-id=ListParts&uploadId=u1', {}, 'ListParts'],
    ['POST', 'public/big.bin', 'uploadId=u1', {}, 'CompleteMultipartUpload'],
    ['DELETE', 'public/big.bin', 'x-id=AbortMultipartUpload&uploadId=u1', {}, 'AbortMultipartUpload'],
    ['GET', undefined, 'list-type=2&prefix=public%2F&max-keys=1000&encoding-type=url', {}, 'ListObjectsV2'],
    ['POST', undefined, 'delete', {}, 'DeleteObjects'],
    ['HEAD', undefined, '', {}, 'HeadBucket'],
  ])('%s /<bucket>/%s?%s is %s', (method, key, query, headers, operation) => {
    expect(route(method, key, query, headers)).toEqual({ operation })
  })

  it('says what S3 has and the sandbox does not serve, and what no method does', () => {
    expect(route('GET', 'a.txt', 'tagging')).toEqual({ unsupported: 'GET ?tagging on an object' })
    expect(route('PUT', 'a.txt', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'b/c' })).toEqual({ unsupported: 'UploadPartCopy' })
    expect(route('GET', undefined, '')).toMatchObject({ unsupported: expect.stringContaining('ListObjects (version 1') })
    expect(route('PATCH', 'a.txt', '')).toEqual({ methodNotAllowed: 'OBJECT' })
    expect(routeOf('GET', undefined, undefined, new URLSearchParams(), {})).toEqual({ operation: 'ListBuckets' })
  })

  it('checks each operation\'s action on the object, or on the bucket for listings, with the prefix it lists', () => {
    expect(ACTIONS.UploadPart).toBe('s3:PutObject')
    expect(ACTIONS.ListParts).toBe('s3:ListMultipartUploadParts')
    expect(ACTIONS.AbortMultipartUpload).toBe('s3:AbortMultipartUpload')
    expect(resourceOf('GetObject', BUCKET, 'public/a.txt')).toBe(`${ARN}/public/a.txt`)
    expect(resourceOf('ListObjectsV2', BUCKET, undefined)).toBe(ARN)
    expect(resourceOf('ListBuckets', undefined, undefined)).toBe('*')
    expect(listConditionKeys(new URLSearchParams('list-type=2&prefix=public%2F&delimiter=%2F&max-keys=10'))).toEqual({ 's3:prefix': 'public/', 's3:delimiter': '/', 's3:max-keys': '10' })
    expect(listConditionKeys(new URLSearchParams('list-type=2'))).toEqual({})
  })
})

/** What Gen 2 synthesizes (evaluated) for the guest, authenticated and Admin group roles of the definition in the brief. */
const list = (prefixes: string[]) => ({ Effect: 'Allow' as const, Action: 's3:ListBucket', Resource: ARN, Condition: { StringLike: { 's3:prefix': prefixes.flatMap(p => [`${p}*`, p]) } } })
const objects = (action: string, paths: string[]) => ({ Effect: 'Allow' as const, Action: action, Resource: paths.map(p => `${ARN}/${p}*`) })
const guest: PolicyDocument = { Statement: [objects('s3:GetObject', ['public/']), list(['public/'])] }
const authenticated: PolicyDocument = { Statement: [
  objects('s3:GetObject', ['public/', 'protected/', `private/${SUB}/`]),
  list(['public/', 'protected/', `private/${SUB}/`]),
  objects('s3:PutObject', ['public/', `protected/${SUB}/`, `private/${SUB}/`]),
  objects('s3:DeleteObject', ['public/', `protected/${SUB}/`, `private/${SUB}/`]),
] }
const admin: PolicyDocument = { Statement: [objects('s3:GetObject', ['admin/']), list(['admin/']), objects('s3:PutObject', ['admin/']), objects('s3:DeleteObject', ['admin/'])] }
const bucketPolicy: PolicyDocument = { Statement: [
  { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [ARN, `${ARN}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:role/AutoDeleteObjectsRole' }, Action: ['s3:List*', 's3:DeleteObject*'], Resource: [ARN, `${ARN}/*`] },
] }

/** The decision for a caller acting as `role`, over TLS unless said otherwise. */
const decide = (role: PolicyDocument, action: string, path: string, context: Record<string, string> = {}) => {
  const resource = action === 's3:ListBucket' ? ARN : `${ARN}/${path}`
  const policies = [role, ...statementsAbout([bucketPolicy], ['arn:aws:iam::000000000000:role/authRole', 'arn:aws:sts::000000000000:assumed-role/authRole/CognitoIdentityCredentials'])]
  return evaluatePolicies(policies, action, resource, { 'aws:SecureTransport': 'true', 'cognito-identity.amazonaws.com:sub': ME, ...context })
}

describe('Gen 2\'s storage policies', () => {
  it('let guests read and list public/ only', () => {
    expect(decide(guest, 's3:GetObject', 'public/a.png')).toBe('allow')
    expect(decide(guest, 's3:ListBucket', '', { 's3:prefix': 'public/' })).toBe('allow')
    expect(decide(guest, 's3:PutObject', 'public/a.png')).toBe('implicit-deny')
    expect(decide(guest, 's3:DeleteObject', 'public/a.png')).toBe('implicit-deny')
    expect(decide(guest, 's3:GetObject', 'protected/x/a.png')).toBe('implicit-deny')
  })

  it('keep read, write and delete apart for signed-in users, and each user\'s {entity_id} paths their own', () => {
    expect(decide(authenticated, 's3:PutObject', `protected/${ME}/a.png`)).toBe('allow')
    expect(decide(authenticated, 's3:GetObject', `protected/${OTHER}/a.png`)).toBe('allow')
    expect(decide(authenticated, 's3:PutObject', `protected/${OTHER}/a.png`)).toBe('implicit-deny')
    expect(decide(authenticated, 's3:DeleteObject', `protected/${OTHER}/a.png`)).toBe('implicit-deny')
    expect(decide(authenticated, 's3:GetObject', `private/${OTHER}/a.png`)).toBe('implicit-deny')
    expect(decide(authenticated, 's3:ListBucket', '', { 's3:prefix': `private/${OTHER}/` })).toBe('implicit-deny')
    expect(decide(authenticated, 's3:ListBucket', '', { 's3:prefix': `private/${ME}/` })).toBe('allow')
    // A listing without a prefix (and so the 404 of a missing key) is not theirs.
    expect(decide(authenticated, 's3:ListBucket', '')).toBe('implicit-deny')
    expect(decide(authenticated, 's3:GetObject', 'admin/report.pdf')).toBe('implicit-deny')
  })

  it('give the Admin group\'s role admin/ and nothing the authenticated role has', () => {
    expect(decide(admin, 's3:DeleteObject', 'admin/report.pdf')).toBe('allow')
    expect(decide(admin, 's3:GetObject', 'public/a.png')).toBe('implicit-deny')
  })

  it('refuse anything not over TLS, explicitly, whoever asks (the bucket policy)', () => {
    const everything: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
    expect(decide(everything, 's3:GetObject', 'public/a.png', { 'aws:SecureTransport': 'false' })).toBe('explicit-deny')
    expect(decide(everything, 's3:GetObject', 'public/a.png')).toBe('allow')
    // The statement for another principal (CDK's auto-delete role) grants the caller nothing.
    expect(decide(guest, 's3:DeleteObject', 'public/a.png')).toBe('implicit-deny')
  })
})
