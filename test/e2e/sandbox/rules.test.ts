/**
 * Every authorization rule kind of Amplify Gen 2 data, allowed and refused, realtime included,
 * through the whole offline sandbox and the real aws-amplify client: an API-key client, a guest
 * (identity pool, unauthenticated role), and two signed-up users, one of them in the Admin group.
 * Then what must be refused whoever sends it: forged, altered and expired SigV4 signatures,
 * credentials never issued, wrong and expired API keys, and forged `cognito:groups` claims.
 */
import { createHash, createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient, type CallOptions, type DataResult, type SubscriptionDelivery } from '../../support/amplify-users'
import { attackerKey, resign, tamper } from '../../support/forged-tokens'
import { scratchProject } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'
import { addUserToGroup } from '../../support/user-pool-admin'

const PASSWORD = 'Rules-pass-1'

const API_KEY: CallOptions = { authMode: 'apiKey' }
const IAM: CallOptions = { authMode: 'identityPool' }

interface User {
  client: AmplifyTestClient
  email: string
  userId: string
  idToken: string
}

/** Refused by a resolver (or a directive), in AppSync's words. */
const notAuthorized = (result: DataResult<unknown>) => {
  expect(result.errors?.[0]).toMatchObject({ errorType: 'Unauthorized', message: expect.stringMatching(/^Not Authorized to access \w+ on type \w+$/) })
}
/** Refused before any resolver ran (HTTP 401: a wrong key, a policy that does not allow the field); the client names it after the status. */
const unauthorized = (result: DataResult<unknown>) => {
  expect(result.errors?.[0]).toEqual({ message: 'Unauthorized' })
}
const title = (delivery: SubscriptionDelivery) => ('item' in delivery ? delivery.item.title : delivery.error)

describe('authorization rules, API keys and IAM, offline', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let certificate: string
  let config: Record<string, unknown>
  const logs: string[] = []
  const clients: AmplifyTestClient[] = []
  let keyClient: AmplifyTestClient
  let guest: AmplifyTestClient
  let alice: User
  let bob: User

  const client = async (clientConfig = config) => {
    const created = await createAmplifyClient({ config: clientConfig, certificate })
    clients.push(created)
    return created
  }

  /** A new user of the local user pool: signed up, confirmed with the code it "sent", signed in. */
  const newUser = async (name: string): Promise<User> => {
    const user = await client()
    const email = `${name}-${Date.now()}@example.com`
    await user.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await user.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    expect(await user.signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: true })
    const { tokens } = await user.fetchAuthSession()
    return { client: user, email, userId: (await user.getCurrentUser()).userId, idToken: tokens!.idToken! }
  }

  const post = (body: unknown, headers: Record<string, string>) =>
    fetch(sandbox.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

  beforeAll(async () => {
    // One model per rule kind, users in no group but Admin.
    project = await scratchProject('rules')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, log: line => logs.push(line) }))
    certificate = await readFile(sandbox.certificatePath, 'utf8')
    config = amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as Record<string, unknown>
    ;[keyClient, guest, alice, bob] = await Promise.all([client(), client(), newUser('alice'), newUser('bob')])
    await addUserToGroup({ dataDir: sandbox.dataDir, outputsPath: sandbox.outputsPath, username: alice.email, group: 'Admin' })
    // The group is in the tokens from the next refresh on, as with Cognito.
    const { tokens } = await alice.client.fetchAuthSession({ forceRefresh: true })
    expect(decodeJwt(tokens!.accessToken)['cognito:groups']).toEqual(['Admin'])
    alice.idToken = tokens!.idToken!
  })

  afterAll(async () => {
    vi.useRealTimers()
    await Promise.all(clients.map(c => c.close()))
    await stop?.()
    await project?.remove()
  })

  it('writes a real API key to data.api_key', () => {
    const outputs = sandbox.outputs as { data: { api_key?: string, authorization_types: string[] } }
    expect(outputs.data.api_key).toMatch(/^da2-[a-z0-9]{26}$/)
    expect(outputs.data.authorization_types).toEqual(expect.arrayContaining(['API_KEY', 'AWS_IAM']))
  })

  it('allow.publicApiKey(): the API key reads, writes and listens; users and guests are refused', async () => {
    const events = await keyClient.subscribe('PublicPost', 'onCreate', API_KEY)
    const created = await keyClient.create('PublicPost', { title: 'hello world' }, API_KEY)
    expect(created.errors).toBeUndefined()
    const id = created.data!.id as string
    expect((await keyClient.get('PublicPost', { id }, API_KEY)).data).toMatchObject({ title: 'hello world' })
    expect((await keyClient.update('PublicPost', { id, title: 'edited' }, API_KEY)).data).toMatchObject({ title: 'edited' })
    await keyClient.waitForEvent(events, d => title(d) === 'hello world')

    // The type allows only the API key (and backend IAM roles): a user pool token is refused by its directive.
    notAuthorized(await alice.client.list('PublicPost'))
    notAuthorized(await alice.client.create('PublicPost', { title: 'by alice' }))
    await expect(alice.client.subscribe('PublicPost', 'onCreate')).rejects.toThrow(/Not Authorized to access onCreatePublicPost on type Subscription/)
    // Guests' role has no policy for it.
    unauthorized(await guest.list('PublicPost', IAM))
    // AppSync's "Permission denied", which the client renames (api-graphql's repackageAuthError).
    await expect(guest.subscribe('PublicPost', 'onCreate', IAM)).rejects.toThrow(/"message":"Unauthorized"/)

    expect((await keyClient.delete('PublicPost', { id }, API_KEY)).errors).toBeUndefined()
  })

  it('allow.publicApiKey().to([\'read\']): the API key reads and listens, only the owner writes', async () => {
    const events = await keyClient.subscribe('Notice', 'onCreate', API_KEY)
    notAuthorized(await keyClient.create('Notice', { title: 'by the key' }, API_KEY))
    const created = await alice.client.create('Notice', { title: 'from alice' })
    expect(created.errors).toBeUndefined()
    expect(created.data).toMatchObject({ owner: alice.userId })
    await keyClient.waitForEvent(events, d => title(d) === 'from alice')
    expect((await keyClient.get('Notice', { id: created.data!.id }, API_KEY)).data).toMatchObject({ title: 'from alice', owner: alice.userId })
    notAuthorized(await keyClient.update('Notice', { id: created.data!.id, title: 'defaced' }, API_KEY))
    notAuthorized(await bob.client.update('Notice', { id: created.data!.id, title: 'defaced' }))
    expect(keyClient.events(events).map(title)).toEqual(['from alice'])
  })

  it('allow.guest(): guests use it, realtime included; the API key, user-pool users and signed-in identities do not', async () => {
    const events = await guest.subscribe('GuestNote', 'onCreate', IAM)
    const created = await guest.create('GuestNote', { title: 'guest book' }, IAM)
    expect(created.errors).toBeUndefined()
    await guest.waitForEvent(events, d => title(d) === 'guest book')
    expect((await guest.list('GuestNote', IAM)).data!.map(n => n.title)).toContain('guest book')

    notAuthorized(await keyClient.list('GuestNote', API_KEY))
    notAuthorized(await bob.client.list('GuestNote'))
    // The authenticated role may call the field, but the rule is for the unauthenticated role only.
    notAuthorized(await bob.client.list('GuestNote', IAM))
    await expect(bob.client.subscribe('GuestNote', 'onCreate', IAM)).rejects.toThrow(/Not Authorized to access onCreate\w+ on type Subscription/)
  })

  // Bob: Alice is in Admin, whose own role the identity pool gives her (its role mapping takes the
  // token's preferred role), and that role has no policy for the data API.
  it('allow.authenticated(\'identityPool\'): signed-in identities use it; guests\' role may not', async () => {
    const events = await bob.client.subscribe('IdentityNote', 'onCreate', IAM)
    const created = await bob.client.create('IdentityNote', { title: 'members only' }, IAM)
    expect(created.errors).toBeUndefined()
    await bob.client.waitForEvent(events, d => title(d) === 'members only')
    expect((await bob.client.get('IdentityNote', { id: created.data!.id }, IAM)).data).toMatchObject({ title: 'members only' })

    unauthorized(await guest.list('IdentityNote', IAM))
    await expect(guest.subscribe('IdentityNote', 'onCreate', IAM)).rejects.toThrow(/"message":"Unauthorized"/)
    notAuthorized(await keyClient.list('IdentityNote', API_KEY))
    // The rule is the identity pool's: the same user with a user-pool token is not let in.
    notAuthorized(await bob.client.list('IdentityNote'))
  })

  it('allow.authenticated(): any signed-in user; the API key and guests are refused', async () => {
    const events = await bob.client.subscribe('MemberNote', 'onCreate')
    const created = await alice.client.create('MemberNote', { title: 'for members' })
    expect(created.errors).toBeUndefined()
    await bob.client.waitForEvent(events, d => title(d) === 'for members')
    expect((await bob.client.update('MemberNote', { id: created.data!.id, title: 'edited by bob' })).errors).toBeUndefined()

    notAuthorized(await keyClient.list('MemberNote', API_KEY))
    await expect(keyClient.subscribe('MemberNote', 'onCreate', API_KEY)).rejects.toThrow(/Not Authorized to access onCreate\w+ on type Subscription/)
    unauthorized(await guest.list('MemberNote', IAM))
  })

  it('allow.owner(): only the owner reads, changes and hears of their items', async () => {
    const [aliceEvents, bobEvents] = await Promise.all([alice.client.subscribe('Todo', 'onCreate'), bob.client.subscribe('Todo', 'onCreate')])
    const created = await alice.client.create('Todo', { content: 'alice\'s' })
    expect(created.data).toMatchObject({ owner: alice.userId })
    const barrier = await bob.client.create('Todo', { content: 'bob\'s' })
    await bob.client.waitForEvent(bobEvents, d => 'item' in d && d.item.content === 'bob\'s')
    await alice.client.waitForEvent(aliceEvents, d => 'item' in d && d.item.content === 'alice\'s')
    expect(bob.client.events(bobEvents).map(d => 'item' in d && d.item.id)).toEqual([barrier.data!.id])

    expect((await bob.client.get('Todo', { id: created.data!.id })).data).toBeNull()
    notAuthorized(await bob.client.update('Todo', { id: created.data!.id, content: 'bob was here' }))
    notAuthorized(await keyClient.list('Todo', API_KEY))
    unauthorized(await guest.list('Todo', IAM))
  })

  it('allow.ownersDefinedIn(\'editors\'): editors read back as AppSync returns them, and the docs\' sharing code shares', async () => {
    const bobEvents = await bob.client.subscribe('SharedDoc', 'onUpdate')
    const created = await alice.client.create('SharedDoc', { title: 'plan' })
    expect(created.errors).toBeUndefined()
    // Read back as the list of owners, not null (aws-amplify/amplify-js#14537).
    expect(created.data!.editors).toEqual([alice.userId])
    const { data: doc } = await alice.client.get('SharedDoc', { id: created.data!.id })
    expect(doc!.editors).toEqual([alice.userId])
    expect((await bob.client.get('SharedDoc', { id: doc!.id })).data).toBeNull()

    // https://docs.amplify.aws/react/build-a-backend/data/customize-authz/multi-user-data-access/
    const shared = await alice.client.update('SharedDoc', { id: doc!.id, editors: [...(doc!.editors as string[]), bob.userId] })
    expect(shared.errors).toBeUndefined()
    expect(shared.data!.editors).toEqual([alice.userId, bob.userId])
    await bob.client.waitForEvent(bobEvents, d => title(d) === 'plan')
    expect((await bob.client.update('SharedDoc', { id: doc!.id, title: 'plan, by bob' })).data).toMatchObject({ title: 'plan, by bob', editors: [alice.userId, bob.userId] })
    notAuthorized(await keyClient.get('SharedDoc', { id: doc!.id }, API_KEY))
  })

  it('allow.ownersDefinedIn(\'authors\').identityClaim(\'email\'): authors are matched on the id token\'s email', async () => {
    const asAlice: CallOptions = { authMode: 'userPool', authToken: alice.idToken }
    const asBob: CallOptions = { authMode: 'userPool', authToken: bob.idToken }
    const [aliceEvents, bobEvents] = await Promise.all([alice.client.subscribe('EmailDoc', 'onCreate', asAlice), bob.client.subscribe('EmailDoc', 'onCreate', asBob)])
    const created = await alice.client.create('EmailDoc', { title: 'by email', authors: [alice.email] }, asAlice)
    expect(created.errors).toBeUndefined()
    expect(created.data!.authors).toEqual([alice.email])
    await alice.client.waitForEvent(aliceEvents, d => title(d) === 'by email')

    expect((await bob.client.get('EmailDoc', { id: created.data!.id }, asBob)).data).toBeNull()
    notAuthorized(await bob.client.create('EmailDoc', { title: 'as alice', authors: [alice.email] }, asBob))
    // The access token has no email claim, so it names no author.
    notAuthorized(await alice.client.create('EmailDoc', { title: 'no claim', authors: [alice.email] }))
    const barrier = await bob.client.create('EmailDoc', { title: 'bob\'s', authors: [bob.email] }, asBob)
    expect(barrier.errors).toBeUndefined()
    await bob.client.waitForEvent(bobEvents, d => title(d) === 'bob\'s')
    expect(bob.client.events(bobEvents).map(title)).toEqual(['bob\'s'])
  })

  it('allow.groups([\'Admin\']): members only, realtime included', async () => {
    const events = await alice.client.subscribe('AdminNote', 'onCreate')
    const created = await alice.client.create('AdminNote', { title: 'admins' })
    expect(created.errors).toBeUndefined()
    await alice.client.waitForEvent(events, d => title(d) === 'admins')
    expect((await alice.client.list('AdminNote')).data!.map(n => n.title)).toContain('admins')

    notAuthorized(await bob.client.list('AdminNote'))
    notAuthorized(await bob.client.create('AdminNote', { title: 'not an admin' }))
    notAuthorized(await bob.client.delete('AdminNote', { id: created.data!.id }))
    await expect(bob.client.subscribe('AdminNote', 'onCreate')).rejects.toThrow(/Not Authorized to access onCreate\w+ on type Subscription/)
    notAuthorized(await keyClient.list('AdminNote', API_KEY))
  })

  it('allow.groupDefinedIn(\'group\'): members of the group an item names, realtime included', async () => {
    const events = await alice.client.subscribe('GroupNote', 'onCreate')
    const created = await alice.client.create('GroupNote', { title: 'for Admin', group: 'Admin' })
    expect(created.errors).toBeUndefined()
    // Alice is not in Editors: she may not write for them.
    notAuthorized(await alice.client.create('GroupNote', { title: 'for Editors', group: 'Editors' }))
    await alice.client.waitForEvent(events, d => title(d) === 'for Admin')
    expect((await alice.client.get('GroupNote', { id: created.data!.id })).data).toMatchObject({ group: 'Admin' })

    notAuthorized(await bob.client.create('GroupNote', { title: 'bob for Admin', group: 'Admin' }))
    expect((await bob.client.get('GroupNote', { id: created.data!.id })).data).toBeNull()
    await expect(bob.client.subscribe('GroupNote', 'onCreate')).rejects.toThrow(/Not Authorized to access onCreate\w+ on type Subscription/)
  })

  describe('refused whoever sends it', () => {
    const LIST = { query: 'query { listGuestNotes { items { id title } } }' }

    /** Signs a POST of `body` to the data API as the aws-amplify client does, with these credentials. */
    const sign = async (body: string, credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }, signingDate?: Date) => {
      const url = new URL(sandbox.graphqlUrl)
      const signer = new SignatureV4({ service: 'appsync', region: 'us-east-1', credentials, sha256: Sha256 })
      const signed = await signer.sign(new HttpRequest({
        method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname,
        headers: { 'host': url.host, 'content-type': 'application/json' }, body,
      }), signingDate ? { signingDate } : {})
      return signed.headers as Record<string, string>
    }

    it('a forged, altered or expired SigV4 signature, and credentials never issued (realtime included)', async () => {
      const { credentials } = await guest.fetchAuthSession()
      const body = JSON.stringify(LIST)
      const genuine = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: await sign(body, credentials!), body })
      expect(genuine.status).toBe(200)
      expect(await genuine.json()).toMatchObject({ data: { listGuestNotes: { items: expect.any(Array) } } })

      const cases: Array<[string, Record<string, string>, string, number, string]> = [
        ['forged', await sign(body, { ...credentials!, secretAccessKey: 'not-the-secret-key-0000000000000000000000' }), body, 403, 'InvalidSignatureException'],
        ['altered', await sign(body, credentials!), JSON.stringify({ query: 'query { listIdentityNotes { items { id } } }' }), 403, 'InvalidSignatureException'],
        ['expired', await sign(body, credentials!, new Date(Date.now() - 20 * 60_000)), body, 403, 'InvalidSignatureException'],
        ['never issued', await sign(body, { accessKeyId: 'ASIAOFFLINESANDBOXNOT', secretAccessKey: 'x'.repeat(40), sessionToken: 'never-issued' }), body, 403, 'UnrecognizedClientException'],
      ]
      for (const [name, headers, sentBody, status, errorType] of cases) {
        const response = await fetch(sandbox.graphqlUrl, { method: 'POST', headers, body: sentBody })
        expect(response.status, name).toBe(status)
        expect(response.headers.get('x-amzn-ErrorType'), name).toBe(errorType)
        expect(await response.json(), name).toMatchObject({ errors: [{ errorType }] })
      }
      // A genuine signature for a field the role's policy does not allow.
      const identityList = JSON.stringify({ query: 'query { listIdentityNotes { items { id } } }' })
      const denied = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: await sign(identityList, credentials!), body: identityList })
      expect(denied.status).toBe(401)
      expect(await denied.json()).toEqual({ errors: [{ errorType: 'UnauthorizedException', message: 'Permission denied' }] })

      // The realtime connection signs a POST of `{}` to <graphql url>/connect.
      const connectUrl = `${sandbox.graphqlUrl}/connect`
      const signConnect = async (secretAccessKey: string) => {
        const url = new URL(connectUrl)
        const { accessKeyId, sessionToken } = credentials!
        const signer = new SignatureV4({ service: 'appsync', region: 'us-east-1', credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: Sha256 })
        const signed = await signer.sign(new HttpRequest({
          method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname,
          headers: { 'host': url.host, 'accept': 'application/json, text/javascript', 'content-encoding': 'amz-1.0', 'content-type': 'application/json; charset=UTF-8' }, body: '{}',
        }))
        return signed.headers as Record<string, string>
      }
      expect(await connectRealtime(await signConnect(credentials!.secretAccessKey))).toMatchObject({ type: 'connection_ack' })
      expect(await connectRealtime(await signConnect('not-the-secret-key-0000000000000000000000'))).toMatchObject({
        type: 'connection_error', payload: { errors: [{ errorType: 'InvalidSignatureException', errorCode: 403 }] },
      })
    })

    it('a wrong API key, and the right one once expired (the sandbox says so once)', async () => {
      const apiKey = (sandbox.outputs as { data: { api_key: string } }).data.api_key
      const wrongKey = apiKey.slice(0, -1) + (apiKey.endsWith('a') ? 'b' : 'a')
      const query = { query: 'query { listPublicPosts { items { id } } }' }
      const wrong = await post(query, { 'x-api-key': wrongKey })
      expect(wrong.status).toBe(401)
      expect(await wrong.json()).toEqual({ errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] })
      const withWrongKey = await client({ ...config, API: { GraphQL: { ...(config.API as { GraphQL: object }).GraphQL, apiKey: wrongKey } } })
      unauthorized(await withWrongKey.list('PublicPost', API_KEY))
      expect(await connectRealtime({ 'host': new URL(sandbox.graphqlUrl).host, 'x-api-key': wrongKey })).toMatchObject({
        type: 'connection_error', payload: { errors: [{ errorType: 'UnauthorizedException', errorCode: 401 }] },
      })
      expect((await keyClient.list('PublicPost', API_KEY)).errors).toBeUndefined()

      // Eight days on (the key lives seven), for the sandbox only: the clients keep the real clock.
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        vi.setSystemTime(Date.now() + 8 * 24 * 3_600_000)
        const expired = await post(query, { 'x-api-key': apiKey })
        expect(expired.status).toBe(401)
        expect(await expired.json()).toEqual({ errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] })
        unauthorized(await keyClient.list('PublicPost', API_KEY))
        // Refused at the connection or at the start, whichever the client's socket needs next.
        await expect(keyClient.subscribe('PublicPost', 'onUpdate', API_KEY)).rejects.toThrow(/UnauthorizedException|You are not authorized to make this call/)
      }
      finally {
        vi.useRealTimers()
      }
      expect(logs.filter(line => line.startsWith('The API key expired on'))).toHaveLength(1)
    })

    it('a forged cognito:groups claim', async () => {
      const { tokens } = await bob.client.fetchAuthSession()
      const query = { query: 'query { listAdminNotes { items { id } } }' }
      for (const forged of [tamper(tokens!.accessToken, { 'cognito:groups': ['Admin'] }), await resign(tokens!.accessToken, attackerKey(), { 'cognito:groups': ['Admin'] })]) {
        const response = await post(query, { authorization: forged })
        expect(response.status).toBe(401)
        expect(await response.json()).toEqual({ errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] })
        expect(await connectRealtime({ host: new URL(sandbox.graphqlUrl).host, Authorization: forged })).toMatchObject({ type: 'connection_error' })
      }
      // Bob's genuine token, without the group, is let in and then refused by the rule.
      const genuine = await post(query, { authorization: tokens!.accessToken })
      expect(await genuine.json()).toMatchObject({ data: { listAdminNotes: null }, errors: [{ errorType: 'Unauthorized', message: 'Not Authorized to access listAdminNotes on type Query' }] })
    })
  })

  /** Opens a realtime connection with these auth headers and resolves with the server's answer to connection_init. */
  function connectRealtime(headers: Record<string, string>): Promise<{ type: string, payload?: unknown }> {
    const encoded = Buffer.from(JSON.stringify(headers)).toString('base64url')
    const socket = new WebSocket(`${sandbox.graphqlUrl.replace('http://', 'wss://')}/realtime`, ['graphql-ws', `header-${encoded}`], { ca: certificate })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to connection_init within 5 s')), 5_000)
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })))
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string, payload?: unknown }
        if (message.type !== 'connection_ack' && message.type !== 'connection_error') return
        clearTimeout(timer)
        socket.close()
        resolve(message)
      })
      socket.once('error', reject)
    })
  }
})

/** SHA-256 and HMAC-SHA256 on node:crypto, in the shape the signer takes. */
class Sha256 {
  private readonly hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret))
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data))
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
}
