/**
 * The sandbox's IAM as a whole: roles and policies read from an assembly, credentials issued and
 * recognised again after a restart, the admin's shared credentials file, and who a verified
 * request's principal is.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Sha256 } from '@aws-crypto/sha256-js'
import { fromIni } from '@aws-sdk/credential-provider-ini'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CloudAssembly } from '../../../sandbox/assembly'
import { createIam, type SandboxIam } from '../../../sandbox/iam'
import type { SandboxIds } from '../../../sandbox/core/ids'

const ids: SandboxIds = {
  region: 'us-east-1',
  accountId: '000000000000',
  userPoolId: 'us-east-1_Pool12345',
  clientId: 'client0000000000000000000a',
  apiId: 'api00000000000000000000000',
  identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000001',
  bucketSuffix: 'iamtest00001',
}
const API = `arn:aws:appsync:us-east-1:000000000000:apis/${ids.apiId}`

/** A role with an inline policy, one attached `AWS::IAM::Policy`, a customer managed policy attached both ways, and an AWS-managed one. */
const template = {
  Resources: {
    Api: { Type: 'AWS::AppSync::GraphQLApi', Properties: {} },
    AuthRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: 'cognito-identity.amazonaws.com' } }] },
        Policies: [{ PolicyName: 'inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'appsync:GraphQL', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Api', 'Arn'] }, '/types/Query/fields/getTodo']] } }] } }],
        ManagedPolicyArns: [{ Ref: 'Managed' }, 'arn:aws:iam::aws:policy/AdministratorAccess'],
      },
    },
    Named: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'todo-named-role', Path: '/service/', AssumeRolePolicyDocument: { Statement: [] } } },
    Attached: {
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyName: 'attached', Roles: [{ Ref: 'AuthRole' }, { Ref: 'Named' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'appsync:GraphQL', Resource: `${API}/types/Mutation/fields/createTodo` }] } },
    },
    Managed: {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: { PolicyDocument: { Statement: [{ Effect: 'Deny', Action: 'appsync:GraphQL', Resource: `${API}/types/Mutation/fields/deleteTodo` }, { Effect: 'Allow', Action: 'appsync:GraphQL', Resource: `${API}/types/Mutation/*` }] } },
    },
  },
}

let dir: string
let iam: SandboxIam | undefined

async function assemblyWith(resources: Record<string, unknown>): Promise<CloudAssembly> {
  const out = await mkdtemp(join(dir, 'assembly-'))
  await writeFile(join(out, 'root.template.json'), JSON.stringify({ Resources: resources }))
  return CloudAssembly.load(out, ids)
}

async function open(assembly?: CloudAssembly): Promise<SandboxIam> {
  await iam?.close()
  iam = await createIam({ dir: join(dir, 'iam'), adminCredentialsFile: join(dir, 'admin-credentials'), assembly, ids })
  return iam
}

async function signed(credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }) {
  const signer = new SignatureV4({ service: 'appsync', region: ids.region, credentials, sha256: Sha256 })
  const request = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 20002, path: '/graphql', headers: { 'host': '127.0.0.1:20002', 'content-type': 'application/json' }, body: '{}' }))
  return { method: 'POST', path: '/graphql', query: '', headers: request.headers, body: '{}' }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-iam-'))
})
afterEach(async () => {
  await iam?.close()
  iam = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('the sandbox\'s roles', () => {
  it('reads each role with its inline, attached and customer managed policies, by the ARN and name its Ref gives', async () => {
    const { roles } = await open(await assemblyWith(template.Resources))
    const auth = roles.get('arn:aws:iam::000000000000:role/root-AuthRole')
    expect(auth).toMatchObject({ name: 'root-AuthRole', roleId: 'AROAAuthRole', trustPolicy: template.Resources.AuthRole.Properties.AssumeRolePolicyDocument })
    // Inline + attached + managed; AdministratorAccess (AWS-managed) grants nothing here.
    expect(auth?.policies).toHaveLength(3)
    expect(roles.get('arn:aws:iam::000000000000:role/service/todo-named-role')).toMatchObject({ name: 'todo-named-role' })
    expect(roles.get('arn:aws:iam::000000000000:role/service/todo-named-role')?.policies).toHaveLength(1)
  })

  it('authorizes a caller by its role\'s policies, an explicit Deny winning', async () => {
    const sandboxIam = await open(await assemblyWith(template.Resources))
    const credentials = await sandboxIam.issue({ roleArn: 'arn:aws:iam::000000000000:role/root-AuthRole', sessionName: 'CognitoIdentityCredentials' })
    const principal = sandboxIam.principalFor(credentials)
    expect(principal.userArn).toBe('arn:aws:sts::000000000000:assumed-role/root-AuthRole/CognitoIdentityCredentials')
    expect(sandboxIam.isAllowed(principal, 'appsync:GraphQL', `${API}/types/Query/fields/getTodo`)).toBe(true)
    expect(sandboxIam.isAllowed(principal, 'appsync:GraphQL', `${API}/types/Mutation/fields/createTodo`)).toBe(true)
    expect(sandboxIam.isAllowed(principal, 'appsync:GraphQL', `${API}/types/Mutation/fields/deleteTodo`)).toBe(false)
    expect(sandboxIam.isAllowed(principal, 'appsync:GraphQL', `${API}/types/Query/fields/listTodos`)).toBe(false)
    expect(sandboxIam.isAllowed(principal, 'iam:CreateUser', '*')).toBe(false)

    // A reload that drops the inline policy takes the right away from credentials already out.
    const { Policies: _dropped, ...withoutInline } = template.Resources.AuthRole.Properties
    sandboxIam.reload(await assemblyWith({ ...template.Resources, AuthRole: { Type: 'AWS::IAM::Role', Properties: withoutInline } }))
    expect(sandboxIam.isAllowed(principal, 'appsync:GraphQL', `${API}/types/Query/fields/getTodo`)).toBe(false)
  })
})

describe('credentials the sandbox issues', () => {
  it('look like STS\'s, last an hour, and verify, also after a restart', async () => {
    const first = await open()
    const credentials = await first.issue({
      roleArn: 'arn:aws:iam::000000000000:role/guest',
      sessionName: 'CognitoIdentityCredentials',
      identity: { identityPoolId: ids.identityPoolId, identityId: 'us-east-1:11111111-1111-4111-8111-111111111111', authType: 'unauthenticated' },
    })
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/)
    expect(credentials.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/)
    expect(credentials.sessionToken.length).toBeGreaterThan(100)
    expect(credentials.expiresAt - Date.now()).toBeGreaterThan(3_590_000)
    expect(credentials.expiresAt - Date.now()).toBeLessThanOrEqual(3_600_000)

    const restarted = await open()
    const verified = await restarted.verify(await signed(credentials), 'appsync')
    expect(verified).toMatchObject({
      ok: true,
      principal: {
        accessKeyId: credentials.accessKeyId,
        admin: false,
        userArn: 'arn:aws:sts::000000000000:assumed-role/guest/CognitoIdentityCredentials',
        identity: { identityId: 'us-east-1:11111111-1111-4111-8111-111111111111', authType: 'unauthenticated' },
      },
    })
  })

  it('answer ExpiredToken once expired, and are forgotten an hour later', async () => {
    const sandboxIam = await open()
    const expired = await sandboxIam.issue({ roleArn: 'arn:aws:iam::000000000000:role/guest', sessionName: 's', expiresAt: Date.now() - 1000 })
    const long = await sandboxIam.issue({ roleArn: 'arn:aws:iam::000000000000:role/guest', sessionName: 's', expiresAt: Date.now() - 2 * 3_600_000 })
    expect(await sandboxIam.verify(await signed(expired), 'appsync')).toMatchObject({ ok: false, code: 'ExpiredTokenException' })
    const restarted = await open()
    expect(await restarted.verify(await signed(expired), 'appsync')).toMatchObject({ ok: false, code: 'ExpiredTokenException' })
    expect(await restarted.verify(await signed(long), 'appsync')).toMatchObject({ ok: false, code: 'UnrecognizedClientException' })
    expect(await readFile(join(dir, 'iam', 'credentials.json'), 'utf8')).not.toContain(long.accessKeyId)
  })
})

describe('the admin credentials', () => {
  it('live in an AWS shared credentials file the SDK reads, kept across restarts', async () => {
    const { admin } = await open()
    expect(admin).toMatchObject({ file: join(dir, 'admin-credentials'), profile: 'amplify-sandbox', accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/) })
    expect((await stat(admin.file)).mode & 0o777).toBe(0o600)
    const read = await fromIni({ filepath: admin.file, configFilepath: join(dir, 'no-config'), profile: admin.profile })()
    expect(read).toMatchObject({ accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey })
    expect((await open()).admin.accessKeyId).toBe(admin.accessKeyId)
  })

  it('sign as a principal allowed everything; another secret for the admin key is refused', async () => {
    const sandboxIam = await open(await assemblyWith(template.Resources))
    const verified = await sandboxIam.verify(await signed(sandboxIam.admin), 'appsync')
    if (!verified.ok) throw new Error(verified.message)
    expect(verified.principal).toMatchObject({ admin: true, userArn: 'arn:aws:sts::000000000000:assumed-role/amplify-sandbox-admin/sandbox-admin' })
    expect(sandboxIam.isAllowed(verified.principal, 'cognito-idp:AdminAddUserToGroup', `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${ids.userPoolId}`)).toBe(true)
    expect(await sandboxIam.verify(await signed({ ...sandboxIam.admin, secretAccessKey: 'x'.repeat(40) }), 'appsync')).toMatchObject({ ok: false, code: 'InvalidSignatureException' })
  })
})
