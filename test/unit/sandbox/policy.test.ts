/**
 * IAM policy evaluation: the policies Gen 2 synthesizes (storage access per path, the data API's
 * field grants, the identity pool roles' trust), and the rules of the IAM documentation's
 * evaluation logic they rely on.
 */
import { describe, expect, it } from 'vitest'
import { describeExplanation, evaluatePolicies, explainPolicies, isAllowedBy } from '../../../sandbox/iam/policy'
import type { PolicyDocument } from '../../../sandbox/iam/types'

const BUCKET = 'arn:aws:s3:::amplify-files-bucket'
const ME = 'us-east-1:11111111-1111-4111-8111-111111111111'
const OTHER = 'us-east-1:22222222-2222-4222-8222-222222222222'
const me = { 'cognito-identity.amazonaws.com:sub': ME }

/** What `defineStorage` synthesizes for the authenticated role with `allow.entity('identity')` on private/ and protected/. */
const authenticatedStorage: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: [`${BUCKET}/public/*`, `${BUCKET}/protected/*`, `${BUCKET}/private/\${cognito-identity.amazonaws.com:sub}/*`] },
    {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: BUCKET,
      Condition: { StringLike: { 's3:prefix': ['public/*', 'public/', 'protected/*', 'protected/', 'private/${cognito-identity.amazonaws.com:sub}/*', 'private/${cognito-identity.amazonaws.com:sub}/'] } },
    },
    { Effect: 'Allow', Action: 's3:PutObject', Resource: [`${BUCKET}/public/*`, `${BUCKET}/protected/\${cognito-identity.amazonaws.com:sub}/*`, `${BUCKET}/private/\${cognito-identity.amazonaws.com:sub}/*`] },
    { Effect: 'Allow', Action: 's3:DeleteObject', Resource: [`${BUCKET}/public/*`, `${BUCKET}/protected/\${cognito-identity.amazonaws.com:sub}/*`, `${BUCKET}/private/\${cognito-identity.amazonaws.com:sub}/*`] },
  ],
}

/** What `defineAuth` synthesizes as the authenticated role's trust policy. */
const authenticatedTrust: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow',
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      'StringEquals': { 'cognito-identity.amazonaws.com:aud': 'us-east-1:pool' },
      'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
    },
  }],
}

describe('IAM policies Gen 2 synthesizes', () => {
  it('lets an identity read and write its own private files, and no one else\'s', () => {
    expect(isAllowedBy([authenticatedStorage], 's3:PutObject', `${BUCKET}/private/${ME}/notes.txt`, me)).toBe(true)
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/private/${ME}/a/b/c.txt`, me)).toBe(true)
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/private/${OTHER}/notes.txt`, me)).toBe(false)
    expect(isAllowedBy([authenticatedStorage], 's3:PutObject', `${BUCKET}/protected/${OTHER}/x`, me)).toBe(false)
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/protected/${OTHER}/x`, me)).toBe(true)
    // Without an identity (the variable has no value) the private statements match nothing.
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/private/${ME}/notes.txt`)).toBe(false)
  })

  it('lists only the prefixes the role may see (StringLike on s3:prefix)', () => {
    expect(isAllowedBy([authenticatedStorage], 's3:ListBucket', BUCKET, { ...me, 's3:prefix': 'public/' })).toBe(true)
    expect(isAllowedBy([authenticatedStorage], 's3:ListBucket', BUCKET, { ...me, 's3:prefix': `private/${ME}/photos/` })).toBe(true)
    expect(isAllowedBy([authenticatedStorage], 's3:ListBucket', BUCKET, { ...me, 's3:prefix': `private/${OTHER}/` })).toBe(false)
    expect(isAllowedBy([authenticatedStorage], 's3:ListBucket', BUCKET, { ...me, 's3:prefix': 'admin/' })).toBe(false)
    expect(isAllowedBy([authenticatedStorage], 's3:ListBucket', BUCKET, me)).toBe(false)
  })

  it('substitutes a variable\'s value literally: a wildcard in it widens nothing', () => {
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/private/${ME}/x`, { 'cognito-identity.amazonaws.com:sub': 'us-east-1:*' })).toBe(false)
    expect(isAllowedBy([authenticatedStorage], 's3:GetObject', `${BUCKET}/private/us-east-1:*/x`, { 'cognito-identity.amazonaws.com:sub': 'us-east-1:*' })).toBe(true)
  })

  it('grants the data API\'s fields by ARN, with wildcards over a type\'s fields', () => {
    const api = 'arn:aws:appsync:us-east-1:000000000000:apis/abc'
    const guest: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'appsync:GraphQL', Resource: [`${api}/types/SharedList/*`, `${api}/types/Query/fields/getSharedList`] }] }
    expect(isAllowedBy([guest], 'appsync:GraphQL', `${api}/types/Query/fields/getSharedList`)).toBe(true)
    expect(isAllowedBy([guest], 'appsync:GraphQL', `${api}/types/SharedList/fields/title`)).toBe(true)
    expect(isAllowedBy([guest], 'appsync:GraphQL', `${api}/types/Query/fields/listSharedLists`)).toBe(false)
    expect(isAllowedBy([guest], 'AppSync:graphql', `${api}/types/Query/fields/getSharedList`)).toBe(true)
    expect(isAllowedBy([guest], 'appsync:GraphQL', `${api.toUpperCase()}/types/Query/fields/getSharedList`)).toBe(false)
  })

  it('lets the identity pool hand the authenticated role to signed-in identities only (ForAnyValue on amr)', () => {
    const trust = (amr: string[], aud = 'us-east-1:pool') =>
      isAllowedBy([authenticatedTrust], 'sts:AssumeRoleWithWebIdentity', 'arn:aws:iam::000000000000:role/auth', { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': amr })
    expect(trust(['authenticated', 'cognito-idp.us-east-1.amazonaws.com/us-east-1_x'])).toBe(true)
    expect(trust(['unauthenticated'])).toBe(false)
    expect(trust(['authenticated'], 'us-east-1:another-pool')).toBe(false)
    expect(trust([])).toBe(false)
  })
})

describe('IAM evaluation rules', () => {
  const allowAll: PolicyDocument = { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }

  it('denies by default, allows on any Allow, and lets an explicit Deny win over any Allow', () => {
    const denyDeletes: PolicyDocument = { Statement: [{ Effect: 'Deny', Action: 's3:Delete*', Resource: `${BUCKET}/*` }] }
    expect(evaluatePolicies([], 's3:GetObject', `${BUCKET}/a`)).toBe('implicit-deny')
    expect(evaluatePolicies([allowAll], 's3:GetObject', `${BUCKET}/a`)).toBe('allow')
    expect(evaluatePolicies([allowAll, denyDeletes], 's3:DeleteObject', `${BUCKET}/a`)).toBe('explicit-deny')
    expect(evaluatePolicies([denyDeletes, allowAll], 's3:GetObject', `${BUCKET}/a`)).toBe('allow')
  })

  it('matches actions case-insensitively with * and ?, and resources case-sensitively', () => {
    const policy: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 'dynamodb:?etItem'], Resource: ['arn:aws:s3:::b/Docs/*', 'arn:aws:dynamodb:*:*:table/T'] }] }
    expect(isAllowedBy([policy], 'S3:GETOBJECTTAGGING', 'arn:aws:s3:::b/Docs/x')).toBe(true)
    expect(isAllowedBy([policy], 's3:GetObject', 'arn:aws:s3:::b/docs/x')).toBe(false)
    expect(isAllowedBy([policy], 'dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/T')).toBe(true)
    expect(isAllowedBy([policy], 'dynamodb:SetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/T')).toBe(true)
    expect(isAllowedBy([policy], 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/T')).toBe(false)
    expect(isAllowedBy([policy], 'dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/T/index/I')).toBe(false)
  })

  it('reads NotAction and NotResource as "everything but"', () => {
    const policy: PolicyDocument = { Statement: [{ Effect: 'Allow', NotAction: 'iam:*', NotResource: `${BUCKET}/secret/*` }] }
    expect(isAllowedBy([policy], 's3:GetObject', `${BUCKET}/public/a`)).toBe(true)
    expect(isAllowedBy([policy], 'iam:CreateUser', '*')).toBe(false)
    expect(isAllowedBy([policy], 's3:GetObject', `${BUCKET}/secret/a`)).toBe(false)
  })

  it('resolves ${aws:userid}, a default for a missing variable, and the ${*} escape', () => {
    const policy: PolicyDocument = {
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/home/\${aws:userid}/*` },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET}/drop/\${aws:username, 'anonymous'}/*` },
        { Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${BUCKET}/literal-\${*}-star` },
      ],
    }
    const context = { 'aws:userid': 'AROAEXAMPLE:CognitoIdentityCredentials' }
    expect(isAllowedBy([policy], 's3:GetObject', `${BUCKET}/home/AROAEXAMPLE:CognitoIdentityCredentials/a`, context)).toBe(true)
    expect(isAllowedBy([policy], 's3:GetObject', `${BUCKET}/home/AROAOTHER:x/a`, context)).toBe(false)
    expect(isAllowedBy([policy], 's3:PutObject', `${BUCKET}/drop/anonymous/a`, context)).toBe(true)
    expect(isAllowedBy([policy], 's3:DeleteObject', `${BUCKET}/literal-*-star`)).toBe(true)
    expect(isAllowedBy([policy], 's3:DeleteObject', `${BUCKET}/literal-x-star`)).toBe(false)
  })

  it('evaluates the string condition operators and their negations, with a missing key', () => {
    const when = (operator: string, value: string | string[], context: Record<string, string | string[]>) =>
      isAllowedBy([{ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { [operator]: { 'aws:PrincipalTag/team': value } } } }], 'x:Y', 'r', context)
    expect(when('StringEquals', ['a', 'b'], { 'aws:principaltag/team': 'b' })).toBe(true)
    expect(when('StringEquals', 'a', { 'aws:PrincipalTag/team': 'A' })).toBe(false)
    expect(when('StringEqualsIgnoreCase', 'a', { 'aws:PrincipalTag/team': 'A' })).toBe(true)
    expect(when('StringNotEquals', 'a', { 'aws:PrincipalTag/team': 'b' })).toBe(true)
    expect(when('StringNotEquals', 'a', { 'aws:PrincipalTag/team': 'a' })).toBe(false)
    expect(when('StringLike', 'dev-*', { 'aws:PrincipalTag/team': 'dev-web' })).toBe(true)
    expect(when('StringNotLike', 'dev-*', { 'aws:PrincipalTag/team': 'dev-web' })).toBe(false)
    // A missing key fails positive operators and passes negated ones, unless ...IfExists.
    expect(when('StringEquals', 'a', {})).toBe(false)
    expect(when('StringNotEquals', 'a', {})).toBe(true)
    expect(when('StringEqualsIfExists', 'a', {})).toBe(true)
    expect(when('StringEqualsIfExists', 'a', { 'aws:PrincipalTag/team': 'b' })).toBe(false)
  })

  it('evaluates ForAnyValue: and ForAllValues: over multi-valued keys', () => {
    const when = (operator: string, value: string[], groups?: string[]) =>
      isAllowedBy([{ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { [operator]: { 'cognito:groups': value } } } }], 'x:Y', 'r', groups ? { 'cognito:groups': groups } : {})
    expect(when('ForAnyValue:StringEquals', ['Admin'], ['Editors', 'Admin'])).toBe(true)
    expect(when('ForAnyValue:StringEquals', ['Admin'], ['Editors'])).toBe(false)
    expect(when('ForAnyValue:StringEquals', ['Admin'])).toBe(false)
    expect(when('ForAllValues:StringEquals', ['Admin', 'Editors'], ['Editors', 'Admin'])).toBe(true)
    expect(when('ForAllValues:StringEquals', ['Admin'], ['Editors', 'Admin'])).toBe(false)
    // The documented trap: ForAllValues holds when the request has no values at all.
    expect(when('ForAllValues:StringEquals', ['Admin'])).toBe(true)
    expect(when('ForAnyValue:StringNotEquals', ['Admin'], ['Admin', 'Editors'])).toBe(true)
    expect(when('ForAllValues:StringLike', ['Ed*', 'Ad*'], ['Editors', 'Admin'])).toBe(true)
  })

  it('evaluates Null, Bool, Numeric, Date, Arn and IpAddress conditions', () => {
    const allowIf = (condition: Record<string, Record<string, string | string[] | boolean>>, context: Record<string, string | string[]>) =>
      isAllowedBy([{ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: condition } }], 'x:Y', 'r', context)
    expect(allowIf({ Null: { 's3:x-amz-server-side-encryption': 'true' } }, {})).toBe(true)
    expect(allowIf({ Null: { 's3:x-amz-server-side-encryption': 'true' } }, { 's3:x-amz-server-side-encryption': 'AES256' })).toBe(false)
    expect(allowIf({ Null: { 's3:x-amz-server-side-encryption': 'false' } }, { 's3:x-amz-server-side-encryption': 'AES256' })).toBe(true)
    expect(allowIf({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' })).toBe(true)
    expect(allowIf({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'false' })).toBe(false)
    expect(allowIf({ NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' })).toBe(true)
    expect(allowIf({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '11' })).toBe(false)
    expect(allowIf({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2026-12-01T00:00:00Z' })).toBe(true)
    expect(allowIf({ DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2026-12-01T00:00:00Z' })).toBe(false)
    expect(allowIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:*:000000000000:function:todo-*' } }, { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:000000000000:function:todo-api' })).toBe(true)
    expect(allowIf({ ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:*:000000000000:function:todo-*' } }, { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:111111111111:function:todo-api' })).toBe(false)
    expect(allowIf({ IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } }, { 'aws:SourceIp': '127.0.0.1' })).toBe(true)
    expect(allowIf({ NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1/128'] } }, { 'aws:SourceIp': '::1' })).toBe(false)
  })

  it('ANDs operators and keys, ORs the values of one key', () => {
    const policy: PolicyDocument = {
      Statement: {
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'k:a': ['1', '2'], 'k:b': '3' }, StringLike: { 'k:c': 'x*' } },
      },
    }
    expect(isAllowedBy([policy], 'x:Y', 'r', { 'k:a': '2', 'k:b': '3', 'k:c': 'xyz' })).toBe(true)
    expect(isAllowedBy([policy], 'x:Y', 'r', { 'k:a': '2', 'k:b': '4', 'k:c': 'xyz' })).toBe(false)
    expect(isAllowedBy([policy], 'x:Y', 'r', { 'k:a': '2', 'k:b': '3', 'k:c': 'yz' })).toBe(false)
  })

  it('never lets a condition it does not understand grant access, and lets it deny', () => {
    const unknown = { SomeFutureOperator: { 'k:a': '1' } }
    expect(isAllowedBy([{ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: unknown } }], 'x:Y', 'r', { 'k:a': '1' })).toBe(false)
    expect(evaluatePolicies([allowAll, { Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: unknown } }], 'x:Y', 'r')).toBe('explicit-deny')
  })
})

describe('explaining a refusal in words', () => {
  const role = 'amplify-app-authenticatedRole'
  const say = (policies: PolicyDocument[], action: string, resource: string, context = {}, rolePolicies = policies.length) =>
    describeExplanation(explainPolicies(policies, action, resource, context), { role, rolePolicies, resourcePolicy: 'the bucket policy of files', action, resource })

  it('names the role, the action and the resource, and where the role may do it instead (its own folder, filled in; the bucket\'s ARN said once)', () => {
    const key = `${BUCKET}/private/${OTHER}/notes.txt`
    expect(explainPolicies([authenticatedStorage], 's3:PutObject', key, me)).toMatchObject({ decision: 'implicit-deny', allowedOn: [`${BUCKET}/public/*`, `${BUCKET}/protected/${ME}/*`, `${BUCKET}/private/${ME}/*`] })
    expect(say([authenticatedStorage], 's3:PutObject', key, me))
      .toBe(`no policy of role ${role} allows s3:PutObject on ${key}; it allows s3:PutObject only on …/public/*, …/protected/${ME}/*, …/private/${ME}/*`)
  })

  it('says an API\'s fields by type and field, its ARN once', () => {
    const api = 'arn:aws:appsync:us-east-1:000000000000:apis/abc'
    const guest: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'appsync:GraphQL', Resource: [`${api}/types/SharedList/*`, `${api}/types/Query/fields/getSharedList`] }] }
    expect(say([guest], 'appsync:GraphQL', `${api}/types/Query/fields/listTodos`))
      .toBe(`no policy of role ${role} allows appsync:GraphQL on ${api}/types/Query/fields/listTodos; it allows appsync:GraphQL only on …/SharedList/*, …/Query/fields/getSharedList`)
  })

  it('says so when no statement allows the action at all', () => {
    expect(say([authenticatedStorage], 's3:PutBucketPolicy', BUCKET, me)).toBe(`no policy of role ${role} allows s3:PutBucketPolicy on ${BUCKET}; it allows s3:PutBucketPolicy nowhere`)
  })

  it('names an Allow that matched but whose condition did not hold', () => {
    expect(say([authenticatedStorage], 's3:ListBucket', BUCKET, { ...me, 's3:prefix': 'admin/' })).toMatch(/^no policy of role .* allows s3:ListBucket on arn:aws:s3:::amplify-files-bucket; a statement allowing it applies only when \{"StringLike":\{"s3:prefix":\["public\/\*"/)
  })

  it('names the explicit Deny, its policy and its condition: the role\'s own or the bucket\'s', () => {
    const tlsOnly: PolicyDocument = { Statement: [{ Sid: 'EnforceTLS', Effect: 'Deny', Action: 's3:*', Resource: `${BUCKET}/*`, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] }
    const key = `${BUCKET}/public/a.txt`
    expect(explainPolicies([authenticatedStorage, tlsOnly], 's3:PutObject', key, { 'aws:SecureTransport': 'false' })).toMatchObject({ decision: 'explicit-deny', deny: { policy: 1 } })
    expect(say([authenticatedStorage, tlsOnly], 's3:PutObject', key, { 'aws:SecureTransport': 'false' }, 1))
      .toBe(`an explicit Deny in the bucket policy of files (statement EnforceTLS) matches s3:PutObject on ${key}, as its condition {"Bool":{"aws:SecureTransport":"false"}} holds`)
    expect(say([tlsOnly], 's3:GetObject', key, { 'aws:SecureTransport': 'false' })).toMatch(new RegExp(`^an explicit Deny in a policy of role ${role} \\(statement EnforceTLS\\)`))
    // Over TLS the Deny does not apply, and the evaluation agrees with evaluatePolicies.
    expect(explainPolicies([authenticatedStorage, tlsOnly], 's3:PutObject', key, { 'aws:SecureTransport': 'true' }).decision).toBe(evaluatePolicies([authenticatedStorage, tlsOnly], 's3:PutObject', key, { 'aws:SecureTransport': 'true' }))
  })
})
