/**
 * The local AppSync API against a fresh synth of the project's real `amplify/`, driven by the real
 * aws-amplify data client (one worker thread per user). Tokens come from a stand-in issuer shaped
 * like Cognito's, so this file tests the data API on its own.
 */
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startDataApi } from '../../../sandbox/appsync'
import { bindPort } from '../../../sandbox/core/port'
import { CloudAssembly } from '../../../sandbox/assembly'
import { synthesizeCached } from '../../../sandbox/assembly/synth'
import { createIam, type SandboxIam } from '../../../sandbox/iam'
import { loadOrCreateCertificate, type SandboxCertificate } from '../../../sandbox/core/tls'
import type { DataApi } from '../../../sandbox/core/types'
import { createAmplifyClient, type AmplifyTestClient, type SubscriptionDelivery, type TestTokens } from '../../support/amplify-users'
import { createTestTokenIssuer, type TestTokenIssuer } from '../../support/token-issuer'
import { projectRoot, scratchProject } from '../../support/project'
import { testSynthCacheDir } from '../../support/started-sandbox'

const REGION = 'us-east-1'
const ALICE = { sub: 'a1111111-1111-4111-8111-111111111111', email: 'alice@example.com' }
const BOB = { sub: 'b2222222-2222-4222-8222-222222222222', email: 'bob@example.com' }

describe('local data API', () => {
  let work: string
  let project: Awaited<ReturnType<typeof scratchProject>>
  let oneModel: string
  let twoModels: string
  let certificate: SandboxCertificate
  let issuer: TestTokenIssuer
  let iam: SandboxIam
  let api: DataApi
  let aliceTokens: TestTokens
  let alice: AmplifyTestClient
  let bob: AmplifyTestClient

  /** The assembly in `dir`, evaluated with this API's ids. */
  const ids = () => ({ region: REGION, accountId: '000000000000', apiId: 'dataapitest000000000000000', userPoolId: issuer.userPoolId, clientId: issuer.clientId, identityPoolId: `${REGION}:00000000-0000-4000-8000-0000000000da`, bucketSuffix: 'dataapitest1' })
  const load = (dir: string) => CloudAssembly.load(dir, ids())
  const start = async (assemblyDir: string) => startDataApi({ assembly: await load(assemblyDir), dir: join(work, 'data'), port: await bindPort('127.0.0.1', 0, 'data'), tls: certificate, verifyToken: issuer.verifyToken, iam })

  /** `amplify_outputs.json` as the sandbox would write it for this API and assembly. */
  const outputs = async (assemblyDir: string) => ({
    version: '1.4',
    auth: { aws_region: REGION, user_pool_id: issuer.userPoolId, user_pool_client_id: issuer.clientId },
    data: {
      url: api.url,
      aws_region: REGION,
      default_authorization_type: 'AMAZON_COGNITO_USER_POOLS',
      authorization_types: ['AWS_IAM'],
      model_introspection: await (await load(assemblyDir)).modelIntrospection(),
    },
  })

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'data-api-'))
    // The second assembly adds a model and gives Todo an index (its table must be rebuilt, items kept).
    project = await scratchProject()
    await project.edit('amplify/data/resource.ts', (text) => {
      // Todo is the schema's first model: its first rule list is Todo's.
      const edited = text
        .replace('const schema = a.schema({\n', 'const schema = a.schema({\n  Note: a.model({ title: a.string().required(), category: a.string() }).authorization(allow => [allow.owner()]),\n')
        .replace('    .authorization(allow => [allow.owner()]),\n', '    .secondaryIndexes(index => [index(\'content\')])\n    .authorization(allow => [allow.owner()]),\n')
      if (!edited.includes('Note: a.model') || !edited.includes('secondaryIndexes')) throw new Error('amplify/data/resource.ts no longer has the shape this test edits')
      return edited
    })
    // From the synth cache the test sandboxes share (the app's backend is usually there already);
    // the second keeps the first leased, so no sandbox sharing the cache prunes it meanwhile.
    const synth = async () => {
      const one = await synthesizeCached(projectRoot, testSynthCacheDir, { reuse: true })
      const two = await synthesizeCached(project.dir, testSynthCacheDir, { reuse: true, keep: [one.dir] })
      return [one.dir, two.dir] as const
    }
    ;[[oneModel, twoModels], certificate, issuer] = await Promise.all([
      synth(),
      loadOrCreateCertificate(join(work, 'tls')),
      createTestTokenIssuer(REGION),
    ])
    iam = await createIam({ dir: join(work, 'iam'), adminCredentialsFile: join(work, 'admin-credentials'), assembly: await load(oneModel), ids: ids() })
    api = await start(oneModel)
    aliceTokens = await issuer.tokensFor(ALICE)
    const config = await outputs(oneModel)
    ;[alice, bob] = await Promise.all([
      createAmplifyClient({ config, certificate: certificate.cert, tokens: aliceTokens }),
      createAmplifyClient({ config, certificate: certificate.cert, tokens: await issuer.tokensFor(BOB) }),
    ])
  })

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()])
    await api?.close()
    await iam?.close()
    await project?.remove()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('creates, reads, updates and deletes a Todo, stamped with owner and times', async () => {
    const created = await alice.create('Todo', { content: 'buy milk' })
    expect(created.errors).toBeUndefined()
    const todo = created.data!
    expect(todo).toMatchObject({ content: 'buy milk', done: null, owner: ALICE.sub })
    expect(Date.parse(String(todo.createdAt))).toBeGreaterThan(Date.now() - 60_000)
    expect(todo.updatedAt).toBe(todo.createdAt)

    expect((await alice.get('Todo', { id: todo.id })).data).toEqual(todo)

    const updated = await alice.update('Todo', { id: todo.id, done: true })
    expect(updated.errors).toBeUndefined()
    expect(updated.data).toMatchObject({ id: todo.id, content: 'buy milk', done: true, createdAt: todo.createdAt })
    expect(Date.parse(String(updated.data!.updatedAt))).toBeGreaterThanOrEqual(Date.parse(String(todo.createdAt)))

    const deleted = await alice.delete('Todo', { id: todo.id })
    expect(deleted.data).toMatchObject({ id: todo.id, done: true })
    expect((await alice.get('Todo', { id: todo.id })).data).toBeNull()
  })

  it('refuses a Todo without content', async () => {
    const result = await alice.create('Todo', { done: false })
    expect(result.data).toBeNull()
    expect(result.errors?.[0]?.message).toMatch(/content/)
    // The API itself enforces it, whatever the client checks.
    const response = await post(JSON.stringify({ query: 'mutation { createTodo(input: { done: true }) { id } }' }), { authorization: aliceTokens.accessToken })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { data: unknown, errors: Array<{ message: string }> }
    expect(body.data).toBeNull()
    expect(body.errors[0]!.message).toMatch(/content/)
    expect((await alice.list('Todo')).data!.filter(t => t.done === true && !t.content)).toEqual([])
  })

  it('never lets one user read, change or delete another user\'s items', async () => {
    const { data: secret } = await alice.create('Todo', { content: 'alice only' })

    const got = await bob.get('Todo', { id: secret!.id })
    expect(got.data).toBeNull()
    // AppSync's shape and wording for `$util.unauthorized()`.
    expect(got.errors).toEqual([
      expect.objectContaining({ errorType: 'Unauthorized', message: 'Not Authorized to access getTodo on type Query', path: ['getTodo'] }),
    ])
    expect((await bob.list('Todo')).data!.map(t => t.id)).not.toContain(secret!.id)

    const update = await bob.update('Todo', { id: secret!.id, content: 'bob was here' })
    expect(update.data).toBeNull()
    expect(update.errors?.[0]).toMatchObject({ errorType: 'Unauthorized', message: 'Not Authorized to access updateTodo on type Mutation' })
    const remove = await bob.delete('Todo', { id: secret!.id })
    expect(remove.data).toBeNull()
    expect(remove.errors?.[0]).toMatchObject({ errorType: 'Unauthorized', message: 'Not Authorized to access deleteTodo on type Mutation' })

    expect((await alice.get('Todo', { id: secret!.id })).data).toMatchObject({ content: 'alice only', owner: ALICE.sub })
  })

  it('delivers each user\'s create, update and delete events to that user only', async () => {
    const operations = ['onCreate', 'onUpdate', 'onDelete'] as const
    const subscribe = (client: AmplifyTestClient) => Promise.all(operations.map(op => client.subscribe('Todo', op)))
    const [aliceSubs, bobSubs] = await Promise.all([subscribe(alice), subscribe(bob)])

    // Interleaved so that each user's last own event follows the other user's events: once it has
    // arrived, any event that leaked to the wrong subscriber would have arrived before it.
    const a1 = (await alice.create('Todo', { content: 'a1' })).data!
    const b1 = (await bob.create('Todo', { content: 'b1' })).data!
    const a2 = (await alice.create('Todo', { content: 'a2' })).data!
    const b2 = (await bob.create('Todo', { content: 'b2' })).data!
    for (const [client, item] of [[alice, a1], [bob, b1], [alice, a2], [bob, b2]] as const) {
      expect((await client.update('Todo', { id: item.id, done: true })).errors).toBeUndefined()
    }
    for (const [client, item] of [[alice, a1], [bob, b1], [alice, a2], [bob, b2]] as const) {
      expect((await client.delete('Todo', { id: item.id })).errors).toBeUndefined()
    }

    const content = (delivery: SubscriptionDelivery) => ('item' in delivery ? delivery.item.content : delivery.error)
    for (const [client, subs, last, own] of [
      [alice, aliceSubs, 'a2', ALICE.sub],
      [bob, bobSubs, 'b2', BOB.sub],
    ] as const) {
      for (const [i, sub] of subs.entries()) {
        await client.waitForEvent(sub, d => content(d) === last)
        const events = client.events(sub)
        expect(events.map(content), operations[i]).toEqual(own === ALICE.sub ? ['a1', 'a2'] : ['b1', 'b2'])
        expect(events.every(d => 'item' in d && d.item.owner === own)).toBe(true)
        if (operations[i] !== 'onCreate') expect(events.every(d => 'item' in d && d.item.done === true)).toBe(true)
      }
    }
    await Promise.all([...aliceSubs.map(s => alice.unsubscribe(s)), ...bobSubs.map(s => bob.unsubscribe(s))])
  })

  it('refuses requests without a valid user pool token, as AppSync does', async () => {
    const query = JSON.stringify({ query: '{ listTodos { items { id } } }' })
    const unauthorized = (message: string) => ({ errors: [{ errorType: 'UnauthorizedException', message }] })
    const [header, payload, signature] = aliceTokens.accessToken.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    const asBob = Buffer.from(JSON.stringify({ ...claims, sub: BOB.sub, username: BOB.sub })).toString('base64url')
    const otherIssuer = await createTestTokenIssuer(REGION)
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no token', {}, 'Valid authorization header not provided.'],
      ['garbage', { authorization: 'not-a-jwt' }, 'Unable to parse JWT token.'],
      ['tampered claims', { authorization: `${header}.${asBob}.${signature}` }, 'You are not authorized to make this call.'],
      ['foreign signature', { authorization: (await otherIssuer.tokensFor(ALICE)).accessToken }, 'You are not authorized to make this call.'],
      ['expired', { authorization: (await issuer.tokensFor(ALICE, { expiresIn: -60 })).accessToken }, 'Token has expired.'],
    ]
    for (const [name, headers, message] of cases) {
      const response = await post(query, headers)
      expect(response.status, name).toBe(401)
      expect(await response.json(), name).toEqual(unauthorized(message))
    }
    // A SigV4 header goes to the sandbox's IAM, which answers as AWS does for one without a signature.
    const unsigned = await post(query, { authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/appsync/aws4_request' })
    expect(unsigned.status).toBe(400)
    expect(await unsigned.json()).toMatchObject({ errors: [{ errorType: 'IncompleteSignatureException' }] })
    // This API has no API-key authorization: a key is no credential here.
    const keyed = await post(query, { 'x-api-key': 'da2-abcdefghijklmnopqrstuvwxyz' })
    expect(keyed.status).toBe(401)
    expect(await keyed.json()).toEqual(unauthorized('Valid authorization header not provided.'))

    // The real client names the refusal after AppSync's x-amzn-ErrorType header.
    const expired = await createAmplifyClient({ config: await outputs(oneModel), certificate: certificate.cert, tokens: await issuer.tokensFor(ALICE, { expiresIn: -60 }) })
    try {
      const listed = await expired.list('Todo')
      expect(listed.data).toEqual([])
      expect(listed.errors?.[0]?.message).toBe('Unauthorized')
    }
    finally {
      await expired.close()
    }
  })

  it('refuses realtime connections and subscriptions without a valid token', async () => {
    const realtimeUrl = api.url.replace('http://', 'wss://') + '/realtime'
    const open = (authorization: string) => {
      const header = Buffer.from(JSON.stringify({ host: new URL(api.url).host, Authorization: authorization })).toString('base64url')
      const socket = new WebSocket(realtimeUrl, ['graphql-ws', `header-${header}`], { ca: certificate.cert })
      const messages: Array<{ type: string, id?: string, payload?: { errors?: Array<Record<string, unknown>> } }> = []
      /** The message of that type (and subscription id, or none), received or to come. */
      const next = (type: string, id?: string) =>
        new Promise<(typeof messages)[number]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${type} within 5 s: ${JSON.stringify(messages)}`)), 5_000)
          const check = () => {
            const found = messages.find(m => m.type === type && m.id === id)
            if (!found) return
            clearTimeout(timer)
            resolve(found)
          }
          socket.on('message', (data) => {
            messages.push(JSON.parse(String(data)) as (typeof messages)[number])
            check()
          })
          check()
        })
      return { socket, next, opened: new Promise(resolve => socket.once('open', resolve)) }
    }

    const forged = open(`${aliceTokens.accessToken.slice(0, -4)}AAAA`)
    await forged.opened
    const refusal = forged.next('connection_error')
    forged.socket.send(JSON.stringify({ type: 'connection_init' }))
    expect((await refusal).payload?.errors?.[0]).toMatchObject({ errorType: 'UnauthorizedException', errorCode: 401 })

    const genuine = open(aliceTokens.accessToken)
    await genuine.opened
    const ack = genuine.next('connection_ack')
    genuine.socket.send(JSON.stringify({ type: 'connection_init' }))
    await ack
    const failed = genuine.next('error', 'sub-1')
    genuine.socket.send(
      JSON.stringify({
        id: 'sub-1',
        type: 'start',
        payload: {
          data: JSON.stringify({ query: 'subscription { onCreateTodo { id } }' }),
          extensions: { authorization: { Authorization: (await issuer.tokensFor(ALICE, { expiresIn: -60 })).accessToken } },
        },
      }),
    )
    expect(await failed).toMatchObject({ id: 'sub-1', payload: { errors: [{ errorType: 'UnauthorizedException', message: 'Token has expired.' }] } })
    // Asking for another owner's events is refused by the resolver, in AppSync's words.
    const foreign = genuine.next('error', 'sub-2')
    genuine.socket.send(
      JSON.stringify({
        id: 'sub-2',
        type: 'start',
        payload: {
          data: JSON.stringify({ query: `subscription { onCreateTodo(owner: "${BOB.sub}") { id } }` }),
          extensions: { authorization: { Authorization: aliceTokens.accessToken } },
        },
      }),
    )
    expect((await foreign).payload?.errors?.[0]).toMatchObject({ errorType: 'Unauthorized', message: 'Not Authorized to access onCreateTodo on type Subscription' })
    // Malformed messages get an error back; the connection (and the server) carry on.
    const malformed = genuine.next('error')
    genuine.socket.send('{not json')
    expect((await malformed).payload?.errors?.[0]).toMatchObject({ errorType: 'MalformedMessage' })
    genuine.socket.close()
  })

  it('speaks plain HTTP and TLS (with the sandbox certificate) on the one port it binds', async () => {
    const { hostname, port } = new URL(api.url)
    expect(hostname).toBe('127.0.0.1')
    const body = JSON.stringify({ query: '{ listTodos { items { id } } }' })
    const overTls = (ca?: string) =>
      new Promise<{ status: number, body: string }>((resolve, reject) => {
        const req = request({ host: hostname, port, path: '/graphql', method: 'POST', ca, headers: { 'authorization': aliceTokens.accessToken, 'content-type': 'application/json' } }, (res) => {
          let text = ''
          res.on('data', (chunk: Buffer) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        })
        req.on('error', reject)
        req.end(body)
      })
    const secure = await overTls(certificate.cert)
    expect(secure.status).toBe(200)
    expect(JSON.parse(secure.body)).toMatchObject({ data: { listTodos: { items: expect.any(Array) } } })
    // Nothing is trusted by accident: without the certificate, TLS verification fails.
    await expect(overTls()).rejects.toThrow(/self-signed|self signed/)
    const plain = await post(body, { authorization: aliceTokens.accessToken })
    expect(await plain.json()).toEqual(JSON.parse(secure.body))
  })

  it('answers malformed HTTP requests with AppSync errors and keeps serving', async () => {
    const auth = { authorization: aliceTokens.accessToken }
    const malformed = { errorType: 'MalformedHttpRequestException', message: 'Unable to parse GraphQL query.' }
    for (const body of ['{not json', '[]', '{}', '{"query": 42}', '{"query": "query {"}']) {
      const response = await post(body, auth)
      expect(response.status, body).toBe(400)
      expect(await response.json(), body).toEqual({ errors: [malformed] })
    }
    const empty = await post('', auth)
    expect(empty.status).toBe(400)
    expect(await empty.json()).toEqual({ errors: [{ errorType: 'MalformedHttpRequestException', message: 'Request body is empty.' }] })
    const huge = await post(JSON.stringify({ query: `{ listTodos { items { id } } } #${'x'.repeat(2 * 1024 * 1024)}` }), auth)
    expect(huge.status).toBe(413)
    const invalid = await post(JSON.stringify({ query: '{ nope }' }), auth)
    expect(invalid.status).toBe(200)
    expect(((await invalid.json()) as { data: unknown, errors: unknown[] }).data).toBeNull()

    expect((await alice.list('Todo')).errors).toBeUndefined()
  })

  it('filters and paginates with limit and nextToken', async () => {
    const prefix = `page-${Date.now()}-`
    for (let i = 0; i < 25; i++) {
      const { errors } = await alice.create('Todo', { content: `${prefix}${String(i).padStart(2, '0')}`, done: i % 3 === 0 })
      expect(errors).toBeUndefined()
    }
    const listAll = async (client: AmplifyTestClient, filter: Record<string, unknown>, limit: number) => {
      const pages: Array<Array<Record<string, unknown>>> = []
      let nextToken: string | null | undefined
      do {
        const page = await client.list('Todo', { filter, limit, nextToken })
        expect(page.errors).toBeUndefined()
        expect(page.data!.length).toBeLessThanOrEqual(limit)
        pages.push(page.data!)
        nextToken = page.nextToken
      } while (nextToken)
      return pages
    }
    const mine = { content: { beginsWith: prefix } }

    const pages = await listAll(alice, mine, 10)
    const contents = pages.flat().map(t => t.content)
    expect(contents).toHaveLength(25)
    expect(new Set(contents).size).toBe(25)
    expect(pages.length).toBeGreaterThanOrEqual(3)

    const done = (await listAll(alice, { and: [mine, { done: { eq: true } }] }, 4)).flat()
    expect(done.map(t => t.content).sort()).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24].map(i => `${prefix}${String(i).padStart(2, '0')}`))

    expect((await listAll(bob, mine, 10)).flat()).toEqual([])

    const forged = await alice.list('Todo', { limit: 5, nextToken: 'not-a-token' })
    expect(forged.errors?.[0]).toMatchObject({ errorType: 'DynamoDB:ValidationException', message: 'Invalid nextToken', path: ['listTodos'] })
  })

  it('serves a second model after reload, keeping stored Todos and indexing them', async () => {
    const before = (await alice.list('Todo', { limit: 1000 })).data!.map(t => t.id).sort()
    expect(before.length).toBeGreaterThan(0)

    // A broken assembly is refused and the running API keeps serving.
    const broken = join(work, 'broken')
    await cp(oneModel, broken, { recursive: true })
    const schema = (await readdir(broken)).find(f => f.endsWith('.graphql'))!
    await writeFile(join(broken, schema), 'type Query { broken: Todo }')
    await expect(api.reload(await load(broken))).rejects.toThrow()
    expect((await alice.list('Todo', { limit: 1000 })).data!.map(t => t.id).sort()).toEqual(before)

    await api.reload(await load(twoModels))
    const config = await outputs(twoModels)
    await Promise.all([alice.configure(config, { tokens: aliceTokens }), bob.configure(config, { tokens: await issuer.tokensFor(BOB) })])

    const note = await alice.create('Note', { title: 'first note', category: 'ideas' })
    expect(note.errors).toBeUndefined()
    expect(note.data).toMatchObject({ title: 'first note', category: 'ideas', owner: ALICE.sub })
    expect((await alice.list('Note')).data!.map(n => n.title)).toEqual(['first note'])
    expect((await bob.list('Note')).data).toEqual([])

    expect((await alice.list('Todo', { limit: 1000 })).data!.map(t => t.id).sort()).toEqual(before)
    // Items stored before the index existed are in it: the table was rebuilt with them.
    const [someTodo] = (await alice.list('Todo', { limit: 1 })).data!
    const byContent = await post(
      JSON.stringify({ query: 'query ($content: String!) { listTodoByContent(content: $content) { items { id } } }', variables: { content: someTodo!.content } }),
      { authorization: aliceTokens.accessToken },
    )
    expect(await byContent.json()).toMatchObject({ data: { listTodoByContent: { items: expect.arrayContaining([{ id: someTodo!.id }]) } } })
  })

  it('keeps every item across close and a start on the same folder', async () => {
    const todos = (await alice.list('Todo', { limit: 1000 })).data!.map(t => t.id).sort()
    const notes = (await alice.list('Note')).data!.map(n => n.id)
    await api.close()

    api = await start(twoModels)
    await alice.configure(await outputs(twoModels), { tokens: aliceTokens })
    expect((await alice.list('Todo', { limit: 1000 })).data!.map(t => t.id).sort()).toEqual(todos)
    expect((await alice.list('Note')).data!.map(n => n.id)).toEqual(notes)
  })
})
