/**
 * The whole offline sandbox, as the app meets it: `startSandbox` on the project's real `amplify/`,
 * `amplify_outputs.json` through `amplifyConfigFromOutputs`, and two users who sign up, confirm
 * with the code the sandbox "sent", sign in with SRP and use the data client, each in their own
 * worker thread (the aws-amplify client is a per-process singleton). The user pool and the data API
 * each have their own file; this one proves they work together.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient, type SubscriptionDelivery } from '../../support/amplify-users'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const password = 'Sandbox-pass-1'

describe('offline sandbox, end to end', () => {
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let certificate: string
  const users: AmplifyTestClient[] = []

  /** A new user, signed up, confirmed with the code from the sandbox's mailbox, and signed in. */
  const newUser = async (name: string) => {
    const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as never) as never, certificate })
    users.push(client)
    const email = `${name}-${Date.now()}@Example.com`
    await client.signUp({ username: email, password, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    // Sign-in names are case-insensitive, as in Gen 2's pools.
    const signIn = await client.signIn({ username: email.toLowerCase(), password })
    expect(signIn).toMatchObject({ isSignedIn: true })
    return { client, email, ...(await client.getCurrentUser()) }
  }

  beforeAll(async () => {
    ;({ sandbox, stop } = await startTestSandbox())
    certificate = await readFile(sandbox.certificatePath, 'utf8')
  })
  afterAll(async () => {
    await Promise.all(users.map(u => u.close()))
    await stop?.()
  })

  it('keeps two users apart: reads, writes and realtime events', async () => {
    const alice = await newUser('alice2')
    const bob = await newUser('bob')
    const subscribe = async (user: typeof alice) => ({
      onCreate: await user.client.subscribe('Todo', 'onCreate'),
      onUpdate: await user.client.subscribe('Todo', 'onUpdate'),
      onDelete: await user.client.subscribe('Todo', 'onDelete'),
    })
    const aliceSubs = await subscribe(alice)
    const bobSubs = await subscribe(bob)
    const content = (d: SubscriptionDelivery) => ('item' in d ? d.item.content : d.error)

    const created = await alice.client.create('Todo', { content: 'alice only' })
    expect(created.errors).toBeUndefined()
    const id = created.data!.id as string
    expect(created.data).toMatchObject({ content: 'alice only', owner: alice.userId })
    expect(created.data!.createdAt).toEqual(created.data!.updatedAt)

    // Bob can neither see nor touch it.
    expect((await bob.client.get('Todo', { id })).data).toBeNull()
    expect((await bob.client.list('Todo')).data).toEqual([])
    expect((await bob.client.update('Todo', { id, done: true })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    expect((await bob.client.delete('Todo', { id })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })

    const updated = await alice.client.update('Todo', { id, done: true })
    expect(updated.data).toMatchObject({ done: true })
    await alice.client.delete('Todo', { id })
    // Bob's own item is the barrier: once his events arrive, alice's would have arrived before them.
    const bobs = await bob.client.create('Todo', { content: 'bob only' })
    await bob.client.update('Todo', { id: bobs.data!.id, done: true })
    await bob.client.delete('Todo', { id: bobs.data!.id })

    for (const [subs, client, mine] of [[aliceSubs, alice.client, 'alice only'], [bobSubs, bob.client, 'bob only']] as const) {
      for (const sub of Object.values(subs)) {
        await client.waitForEvent(sub, d => content(d) === mine)
        expect(client.events(sub).map(content)).toEqual([mine])
      }
    }
    expect((await alice.client.get('Todo', { id })).data).toBeNull()
  })

  it('refuses the data API without a valid user-pool token', async () => {
    const query = JSON.stringify({ query: '{ listTodos { items { id } } }' })
    const anonymous = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ errors: [{ errorType: 'UnauthorizedException' }] })

    const carol = await newUser('carol')
    const { tokens } = await carol.client.fetchAuthSession()
    const [header, payload, signature] = tokens!.accessToken.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'), signature].join('.')
    const tampered = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': forged }, body: query })
    expect(tampered.status).toBe(401)

    // As in the cloud, signing out revokes the session at Cognito, but AppSync does not check
    // revocation: the access token works there until it expires (aws/aws-appsync-community#298).
    await carol.client.signOut()
    const getUser = await fetch(sandbox.userPoolEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.GetUser' },
      body: JSON.stringify({ AccessToken: tokens!.accessToken }),
    })
    expect(await getUser.json()).toMatchObject({ __type: 'NotAuthorizedException', message: 'Access Token has been revoked' })
    const revoked = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': tokens!.accessToken }, body: query })
    expect(revoked.status).toBe(200)
  })
})
