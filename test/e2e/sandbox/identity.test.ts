/**
 * The local identity pool and the sandbox's IAM, driven by the real aws-amplify client (one worker
 * thread per browser-like user) through `amplifyConfigFromOutputs`, as the app configures it: guests
 * and signed-in users get identity ids and temporary credentials, those credentials sign requests
 * the sandbox verifies, and the admin's credentials file works with the real AWS SDK. A recording
 * proxy in front of the identity endpoint shows which operations the client really sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Sha256 } from '@aws-crypto/sha256-js'
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity'
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider'
import { fromIni } from '@aws-sdk/credential-provider-ini'
import { HttpRequest, HttpResponse } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { CloudAssembly } from '../../../sandbox/assembly'
import { synthKey } from '../../../sandbox/assembly/synth'
import type { SignedRequest } from '../../../sandbox/iam/types'
import type { SandboxIds } from '../../../sandbox/core/ids'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { projectRoot, scratchProject } from '../../support/project'
import { latestCode, startTestSandbox, testSynthCacheDir } from '../../support/started-sandbox'

const PASSWORD = 'Identity-pass-1'
const IDENTITY_ID = /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Call {
  operation: string
  body: Record<string, unknown>
}

describe('local identity pool with the real aws-amplify client', () => {
  let work: string
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let authPort: number
  let proxy: Server
  let proxyUrl: string
  /** Every call the clients made to the identity pool, in order. */
  const calls: Call[] = []
  const clients: AmplifyTestClient[] = []
  let ids: SandboxIds

  /** The app's sandbox on data in `work`, on the auth port of the last start (the clients' configuration names it). */
  const start = async () => {
    ;({ sandbox, stop } = await startTestSandbox({ dataDir: join(work, 'data'), ports: authPort ? { auth: authPort } : {} }))
    authPort = Number(new URL(sandbox.userPoolEndpoint).port)
  }
  const restart = async () => {
    await stop()
    await start()
  }

  /** A browser-like user: the app's Amplify config, its identity pool calls going through the recorder. */
  const newClient = async () => {
    const outputs = structuredClone(sandbox.outputs) as { custom: { offlineSandbox: { identityPoolEndpoint: string } } }
    outputs.custom.offlineSandbox.identityPoolEndpoint = proxyUrl
    const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(outputs as AmplifyOutputs) as never })
    clients.push(client)
    return client
  }

  /** What the client sent from now on. */
  const recording = () => {
    const from = calls.length
    return () => calls.slice(from)
  }

  const signUp = async (client: AmplifyTestClient, name: string) => {
    const email = `${name}-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    return email
  }
  const signIn = async (client: AmplifyTestClient, email: string) => {
    expect(await client.signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: true })
  }

  /** A GraphQL request signed with `credentials` the way the data client signs AWS_IAM calls. */
  const signedRequest = async (credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }): Promise<SignedRequest> => {
    const body = '{"query":"query { getSharedList(id: \\"x\\") { id } }"}'
    const signer = new SignatureV4({ service: 'appsync', region: ids.region, credentials, sha256: Sha256 })
    const signed = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 20002, path: '/graphql', headers: { 'host': '127.0.0.1:20002', 'content-type': 'application/json' }, body }))
    return { method: 'POST', path: '/graphql', query: '', headers: signed.headers, body }
  }

  /** The roles the synthesized resolvers compare `$ctx.identity.userArn` with (`$ctx.stash.authRole` / `unauthRole`). */
  const resolverRoles = async () => {
    const assembly = await CloudAssembly.load(join(testSynthCacheDir, await synthKey(projectRoot)), ids)
    const resolver = assembly.resourcesOfType('AWS::AppSync::Resolver').find(r => r.logicalId === 'GetSharedListResolver')!
    const template = String(assembly.property(resolver.stack, resolver.logicalId, 'RequestMappingTemplate'))
    return { authRole: /"authRole", "([^"]+)"/.exec(template)?.[1], unauthRole: /"unauthRole", "([^"]+)"/.exec(template)?.[1], apiArn: `arn:aws:appsync:${ids.region}:${ids.accountId}:apis/${ids.apiId}` }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'identity-test-'))
    await start()
    ids = JSON.parse(await readFile(join(work, 'data', 'sandbox.json'), 'utf8')) as SandboxIds
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks)
      if (req.method === 'POST') calls.push({ operation: String(req.headers['x-amz-target']).replace('AWSCognitoIdentityService.', ''), body: JSON.parse(body.toString() || '{}') })
      const answer = await fetch(`${sandbox.identityPoolEndpoint}${req.url}`, { method: req.method, headers: forwardable(req.headers), body: req.method === 'POST' ? body : undefined })
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      res.end(Buffer.from(await answer.arrayBuffer()))
    })
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await Promise.all(clients.map(c => c.close()))
    proxy?.close()
    await stop?.()
    await rm(work, { recursive: true, force: true })
  })

  it('writes the identity pool into amplify_outputs.json and points the client at the local endpoint', async () => {
    expect(sandbox.outputs).toMatchObject({
      auth: { identity_pool_id: ids.identityPoolId, unauthenticated_identities_enabled: true },
      data: { authorization_types: ['AWS_IAM'] },
      custom: { offlineSandbox: { identityPoolEndpoint: sandbox.userPoolEndpoint } },
    })
    expect(amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs).Auth?.Cognito).toMatchObject({
      identityPoolId: ids.identityPoolId,
      identityPoolEndpoint: sandbox.identityPoolEndpoint,
      allowGuestAccess: true,
    })
  })

  it('gives a guest an identity id and credentials that expire in an hour, acting as the guest role', async () => {
    const sent = recording()
    const guest = await newClient()
    const session = await guest.fetchAuthSession()
    expect(session.identityId).toMatch(IDENTITY_ID)
    expect(session.credentials).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/), secretAccessKey: expect.stringMatching(/^.{40}$/), sessionToken: expect.any(String) })
    const lifetime = new Date(session.credentials!.expiration!).getTime() - Date.now()
    expect(lifetime).toBeGreaterThan(58 * 60_000)
    expect(lifetime).toBeLessThanOrEqual(60 * 60_000)
    expect(sent()).toEqual([
      { operation: 'GetId', body: { IdentityPoolId: ids.identityPoolId, Logins: {} } },
      { operation: 'GetCredentialsForIdentity', body: { IdentityId: session.identityId } },
    ])

    const verified = await sandbox.iam.verify(await signedRequest(session.credentials!), 'appsync')
    if (!verified.ok) throw new Error(verified.message)
    const { unauthRole, apiArn } = await resolverRoles()
    expect(verified.principal).toMatchObject({
      userArn: unauthRole,
      admin: false,
      identity: { identityPoolId: ids.identityPoolId, identityId: session.identityId, authType: 'unauthenticated' },
    })
    // What the definition lets guests do: get a shared list by id, nothing of the todos.
    expect(sandbox.iam.isAllowed(verified.principal, 'appsync:GraphQL', `${apiArn}/types/Query/fields/getSharedList`)).toBe(true)
    expect(sandbox.iam.isAllowed(verified.principal, 'appsync:GraphQL', `${apiArn}/types/Query/fields/listTodos`)).toBe(false)
  })

  it('gives a second guest another identity id, and a guest who holds one the same again (also after a restart)', async () => {
    const [first, second] = [await newClient(), await newClient()]
    const one = (await first.fetchAuthSession()).identityId
    const two = (await second.fetchAuthSession()).identityId
    expect(one).toMatch(IDENTITY_ID)
    expect(two).toMatch(IDENTITY_ID)
    expect(two).not.toBe(one)

    const sent = recording()
    const again = await first.fetchAuthSession({ forceRefresh: true })
    expect(again.identityId).toBe(one)
    await restart()
    const afterRestart = await first.fetchAuthSession({ forceRefresh: true })
    expect(afterRestart.identityId).toBe(one)
    expect(sent().map(call => call.operation)).toEqual(['GetCredentialsForIdentity', 'GetCredentialsForIdentity'])
    // Credentials issued before the restart still verify after it.
    expect(await sandbox.iam.verify(await signedRequest(again.credentials!), 'appsync')).toMatchObject({ ok: true })
  })

  it('keeps a signed-in user\'s identity id across sign-ins, devices and restarts, with the authenticated role', async () => {
    const device = await newClient()
    const email = await signUp(device, 'ida')
    await signIn(device, email)
    const sent = recording()
    const session = await device.fetchAuthSession()
    const identityId = session.identityId!
    expect(identityId).toMatch(IDENTITY_ID)
    const provider = `cognito-idp.us-east-1.amazonaws.com/${ids.userPoolId}`
    expect(sent()).toEqual([
      { operation: 'GetId', body: { IdentityPoolId: ids.identityPoolId, Logins: { [provider]: session.tokens!.idToken } } },
      { operation: 'GetCredentialsForIdentity', body: { IdentityId: identityId, Logins: { [provider]: session.tokens!.idToken } } },
    ])
    const verified = await sandbox.iam.verify(await signedRequest(session.credentials!), 'appsync')
    if (!verified.ok) throw new Error(verified.message)
    const { authRole } = await resolverRoles()
    expect(verified.principal).toMatchObject({
      userArn: authRole,
      identity: { identityId, authType: 'authenticated', authProvider: `"${provider}","${provider}:CognitoSignIn:${session.userSub}"` },
    })

    await device.signOut()
    await signIn(device, email)
    expect((await device.fetchAuthSession()).identityId).toBe(identityId)
    const otherDevice = await newClient()
    await signIn(otherDevice, email)
    expect((await otherDevice.fetchAuthSession()).identityId).toBe(identityId)
    await restart()
    await device.signOut()
    await signIn(device, email)
    expect((await device.fetchAuthSession({ forceRefresh: true })).identityId).toBe(identityId)
  })

  it('turns a guest\'s identity into theirs when they sign up, and merges it into theirs when they sign in', async () => {
    const browser = await newClient()
    const guestId = (await browser.fetchAuthSession()).identityId!
    const email = await signUp(browser, 'gus')
    await signIn(browser, email)
    const sent = recording()
    // The first signed-in session keeps the browser's guest identity: it is now the user's.
    expect((await browser.fetchAuthSession()).identityId).toBe(guestId)
    expect(sent()).toMatchObject([{ operation: 'GetCredentialsForIdentity', body: { IdentityId: guestId, Logins: expect.any(Object) } }])

    const elsewhere = await newClient()
    const otherGuestId = (await elsewhere.fetchAuthSession()).identityId!
    await signIn(elsewhere, email)
    expect((await elsewhere.fetchAuthSession()).identityId).toBe(guestId)
    // The other browser's guest identity was merged in and is now disabled, as Cognito disables it:
    // refused with or without the user's login, and still after a restart.
    const sdk = new CognitoIdentityClient({ region: 'us-east-1', endpoint: sandbox.identityPoolEndpoint, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } })
    const forbidden = { name: 'NotAuthorizedException', message: `Access to Identity '${otherGuestId}' is forbidden.`, $metadata: { httpStatusCode: 400 } }
    await expect(sdk.send(new GetCredentialsForIdentityCommand({ IdentityId: otherGuestId }))).rejects.toMatchObject(forbidden)
    const provider = `cognito-idp.us-east-1.amazonaws.com/${ids.userPoolId}`
    const idToken = (await elsewhere.fetchAuthSession()).tokens!.idToken!
    await expect(sdk.send(new GetCredentialsForIdentityCommand({ IdentityId: otherGuestId, Logins: { [provider]: idToken } }))).rejects.toMatchObject(forbidden)
    await restart()
    await expect(sdk.send(new GetCredentialsForIdentityCommand({ IdentityId: otherGuestId }))).rejects.toMatchObject(forbidden)
    // An id the pool never handed out is unknown, not forbidden.
    const neverIssued = 'us-east-1:00000000-0000-4000-8000-000000000000'
    await expect(sdk.send(new GetCredentialsForIdentityCommand({ IdentityId: neverIssued })))
      .rejects.toMatchObject({ name: 'ResourceNotFoundException', message: `Identity '${neverIssued}' not found.` })
    // And the user's identity cannot be used without their login.
    await expect(sdk.send(new GetCredentialsForIdentityCommand({ IdentityId: guestId })))
      .rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Logins don\'t match. Please include at least one valid login for this identity or identity pool.' })
  })

  it('answers the AWS SDK\'s Cognito Identity client with Cognito\'s errors', async () => {
    const sdk = new CognitoIdentityClient({ region: 'us-east-1', endpoint: sandbox.identityPoolEndpoint, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } })
    const provider = `cognito-idp.us-east-1.amazonaws.com/${ids.userPoolId}`
    await expect(sdk.send(new GetIdCommand({ IdentityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' })))
      .rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'IdentityPool \'us-east-1:00000000-0000-0000-0000-000000000000\' not found.' })
    await expect(sdk.send(new GetIdCommand({ IdentityPoolId: 'not an id' }))).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(sdk.send(new GetIdCommand({ IdentityPoolId: ids.identityPoolId, Logins: { [provider]: 'not.a.token' } })))
      .rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid login token. Not a valid OpenId Connect identity token.' })
    await expect(sdk.send(new GetIdCommand({ IdentityPoolId: ids.identityPoolId, Logins: { 'accounts.google.com': 'x' } })))
      .rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Token is not from a supported provider of this identity pool.' })
    const { IdentityId } = await sdk.send(new GetIdCommand({ IdentityPoolId: ids.identityPoolId }))
    const { Credentials } = await sdk.send(new GetCredentialsForIdentityCommand({ IdentityId }))
    expect(Credentials?.Expiration).toBeInstanceOf(Date)
  })

  it('refuses expired credentials, credentials it never issued, and unsigned requests', async () => {
    const { unauthRole } = await resolverRoles()
    const roleArn = [...sandbox.iam.roles.values()].find(role => unauthRole?.includes(`/${role.name}/`))!.arn
    const expired = await sandbox.iam.issue({ roleArn, sessionName: 'CognitoIdentityCredentials', expiresAt: Date.now() - 1000 })
    expect(await sandbox.iam.verify(await signedRequest(expired), 'appsync')).toMatchObject({ ok: false, code: 'ExpiredTokenException' })
    const neverIssued = { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), sessionToken: 'token' }
    expect(await sandbox.iam.verify(await signedRequest(neverIssued), 'appsync')).toMatchObject({ ok: false, code: 'UnrecognizedClientException' })
    const { authorization: _, ...unsigned } = (await signedRequest(expired)).headers
    expect(await sandbox.iam.verify({ method: 'POST', path: '/graphql', query: '', headers: unsigned, body: '{}' }, 'appsync')).toMatchObject({ ok: false, code: 'MissingAuthenticationTokenException' })
  })

  it('verifies what the real AWS SDK signs with the admin credentials file, and keeps those out of amplify_outputs.json', async () => {
    // Where the SDK's request would go on the wire, answered with an empty ListUsers result.
    let captured: HttpRequest | undefined
    const requestHandler = {
      handle: async (request: HttpRequest) => {
        captured = request
        return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{}')]) }) }
      },
    }
    const credentials = fromIni({ filepath: sandbox.adminCredentialsPath, configFilepath: join(work, 'no-config'), profile: 'amplify-sandbox' })
    const admin = new CognitoIdentityProviderClient({ region: ids.region, endpoint: sandbox.userPoolEndpoint, credentials, requestHandler })
    await admin.send(new ListUsersCommand({ UserPoolId: ids.userPoolId }))
    const request: SignedRequest = { method: captured!.method, path: captured!.path, query: '', headers: captured!.headers, body: String(captured!.body) }

    const verified = await sandbox.iam.verify(request, 'cognito-idp')
    if (!verified.ok) throw new Error(verified.message)
    expect(verified.principal.admin).toBe(true)
    expect(sandbox.iam.isAllowed(verified.principal, 'cognito-idp:AdminAddUserToGroup', `arn:aws:cognito-idp:${ids.region}:${ids.accountId}:userpool/${ids.userPoolId}`)).toBe(true)

    const { authorization: _, ...unsigned } = request.headers
    expect(await sandbox.iam.verify({ ...request, headers: unsigned }, 'cognito-idp')).toMatchObject({ ok: false, code: 'MissingAuthenticationTokenException' })
    expect(await sandbox.iam.verify({ ...request, body: String(request.body).replace('}', ',"Limit":60}') }, 'cognito-idp')).toMatchObject({ ok: false, code: 'InvalidSignatureException' })
    const forged = new CognitoIdentityProviderClient({ region: ids.region, endpoint: sandbox.userPoolEndpoint, credentials: { accessKeyId: sandbox.iam.admin.accessKeyId, secretAccessKey: 'y'.repeat(40) }, requestHandler })
    await forged.send(new ListUsersCommand({ UserPoolId: ids.userPoolId }))
    expect(await sandbox.iam.verify({ ...request, headers: captured!.headers }, 'cognito-idp')).toMatchObject({ ok: false, code: 'InvalidSignatureException' })

    const outputsFile = await readFile(sandbox.outputsPath, 'utf8')
    expect(outputsFile).not.toContain(sandbox.iam.admin.accessKeyId)
    expect(outputsFile).not.toContain(sandbox.iam.admin.secretAccessKey)
    expect(outputsFile).not.toContain('admin-credentials')
  })
})

describe('a backend with storage, a function and no guests', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: Sandbox | undefined
  let stop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    project = await scratchProject('no-guests')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir }))
  })
  afterAll(async () => {
    await stop?.()
    await project?.remove()
  })

  it('starts and writes outputs with the storage it serves, without the parts it does not serve', async () => {
    const written = JSON.parse(await readFile(sandbox!.outputsPath, 'utf8')) as Record<string, unknown>
    expect(written).toMatchObject({ storage: { bucket_name: expect.stringMatching(/^files\.[a-z0-9]{12}$/) } })
    expect(written).toMatchObject({ auth: { identity_pool_id: expect.stringMatching(/^us-east-1:/), unauthenticated_identities_enabled: false }, data: { url: expect.any(String) } })
    expect(JSON.stringify(written)).not.toContain('offline-sandbox-unavailable')
  })

  it('refuses guests when the definition turns them off', async () => {
    const sdk = new CognitoIdentityClient({ region: 'us-east-1', endpoint: sandbox!.identityPoolEndpoint, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } })
    const identityPoolId = (sandbox!.outputs.auth as { identity_pool_id: string }).identity_pool_id
    await expect(sdk.send(new GetIdCommand({ IdentityPoolId: identityPoolId })))
      .rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Unauthenticated access is not supported for this identity pool.' })
  })
})

/** Request headers the proxy can pass on (fetch sets its own length and connection). */
function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const skip = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => !skip.has(name) && typeof value === 'string')) as Record<string, string>
}
