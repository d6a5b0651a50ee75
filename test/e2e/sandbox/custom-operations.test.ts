/**
 * Custom queries and mutations offline, written as the Gen 2 docs write them and called with the
 * real aws-amplify data client (`client.queries.x`, `client.mutations.y`): `a.handler.function`
 * (request-response, `.async()`, pipelines of functions, errors and timeouts) and
 * `a.handler.custom` (APPSYNC_JS without a data source, and on a model's table).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient, type DataResult } from '../../support/amplify-users'
import { scratchProject } from '../../support/project'
import { latestCode } from '../../support/started-sandbox'

const PASSWORD = 'Custom-ops-pass-1'

const fn = (name: string, handler: string, options = '') => ({
  [`amplify/functions/${name}/resource.ts`]: `
import { defineFunction } from '@aws-amplify/backend'
export const ${camel(name)} = defineFunction({ name: '${name}'${options} })
`,
  [`amplify/functions/${name}/handler.ts`]: handler,
})

function camel(name: string): string {
  return name.replace(/-(.)/g, (_, letter: string) => letter.toUpperCase())
}

const FILES: Record<string, string> = {
  'amplify/backend.ts': `
import { defineBackend } from '@aws-amplify/backend'
import { auth } from './auth/resource'
import { data } from './data/resource'
defineBackend({ auth, data })
`,
  'amplify/auth/resource.ts': `
import { defineAuth } from '@aws-amplify/backend'
export const auth = defineAuth({ loginWith: { email: true } })
`,
  'amplify/data/resource.ts': `
import { a, defineData, type ClientSchema } from '@aws-amplify/backend'
import { echoEvent } from '../functions/echo-event/resource'
import { failing } from '../functions/failing/resource'
import { slowWorker } from '../functions/slow-worker/resource'
import { double } from '../functions/double/resource'
import { addOne } from '../functions/add-one/resource'
import { dataReader } from '../functions/data-reader/resource'

const schema = a.schema({
  Todo: a.model({ content: a.string(), done: a.boolean(), likes: a.integer() }).authorization(allow => [allow.owner()]),
  Stamp: a.customType({ id: a.string(), at: a.string(), epoch: a.float() }),

  echoEvent: a.query()
    .arguments({ greeting: a.string(), count: a.integer() })
    .returns(a.json())
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.function(echoEvent)),
  fail: a.query()
    .arguments({ mode: a.string().required() })
    .returns(a.string())
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.function(failing)),
  enqueue: a.mutation()
    .arguments({ job: a.string().required() })
    .returns(a.ref('EventInvocationResponse'))
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.function(slowWorker).async()),
  compute: a.query()
    .arguments({ n: a.integer().required() })
    .returns(a.integer())
    .authorization(allow => [allow.authenticated()])
    .handler([a.handler.function(double), a.handler.function(addOne)]),

  now: a.query()
    .returns(a.ref('Stamp'))
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.custom({ entry: './now.js' })),
  addTodo: a.mutation()
    .arguments({ content: a.string() })
    .returns(a.ref('Todo'))
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.custom({ dataSource: a.ref('Todo'), entry: './add-todo.js' })),
  likeTodo: a.mutation()
    .arguments({ id: a.id().required() })
    .returns(a.ref('Todo'))
    .authorization(allow => [allow.authenticated()])
    .handler([
      a.handler.custom({ dataSource: a.ref('Todo'), entry: './increment-likes.js' }),
      a.handler.custom({ dataSource: a.ref('Todo'), entry: './get-todo.js' }),
    ]),
  readAsFunction: a.query()
    .returns(a.json())
    .authorization(allow => [allow.authenticated()])
    .handler(a.handler.function(dataReader)),
}).authorization(allow => [allow.resource(dataReader)])

export type Schema = ClientSchema<typeof schema>
export const data = defineData({ schema, authorizationModes: { defaultAuthorizationMode: 'userPool' } })
`,
  // As the docs' a.handler.custom examples: plain ESM with the APPSYNC_JS imports.
  'amplify/data/now.js': `
import { util } from '@aws-appsync/utils'

export function request(ctx) {
  const id = util.autoId()
  console.log('stamping', id)
  return { payload: { id, at: util.time.nowISO8601(), epoch: util.time.nowEpochMilliSeconds() } }
}

export function response(ctx) {
  return ctx.result
}
`,
  'amplify/data/add-todo.js': `
import { util } from '@aws-appsync/utils'
import * as ddb from '@aws-appsync/utils/dynamodb'

export function request(ctx) {
  if (util.isNullOrBlank(ctx.args.content)) util.error('A todo needs some content', 'ValidationError', null, { field: 'content' })
  const now = util.time.nowISO8601()
  const item = {
    __typename: 'Todo',
    content: ctx.args.content,
    done: false,
    owner: ctx.identity.sub + '::' + ctx.identity.username,
    createdAt: now,
    updatedAt: now,
  }
  return ddb.put({ key: { id: util.autoId() }, item, condition: { id: { attributeExists: false } } })
}

export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type)
  return ctx.result
}
`,
  // The docs' pipeline of JavaScript handlers: update with an operation, then read with the previous step's result.
  'amplify/data/increment-likes.js': `
import { util } from '@aws-appsync/utils'
import * as ddb from '@aws-appsync/utils/dynamodb'

export function request(ctx) {
  return ddb.update({ key: { id: ctx.args.id }, update: { likes: ddb.operations.increment(1) }, condition: { id: { attributeExists: true } } })
}

export function response(ctx) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type)
  return ctx.result
}
`,
  'amplify/data/get-todo.js': `
import { get } from '@aws-appsync/utils/dynamodb'

export function request(ctx) {
  return get({ key: { id: ctx.prev.result.id } })
}

export const response = ctx => ctx.result
`,
  ...fn('echo-event', `
import type { Schema } from '../../data/resource'
export const handler: Schema['echoEvent']['functionHandler'] = async (event) => event
`),
  ...fn('failing', `
import type { Schema } from '../../data/resource'
export const handler: Schema['fail']['functionHandler'] = async (event) => {
  if (event.arguments.mode === 'slow') await new Promise(resolve => setTimeout(resolve, 5000))
  throw new Error('Refused: ' + event.arguments.mode)
}
`, ', timeoutSeconds: 1'),
  ...fn('slow-worker', `
import type { Schema } from '../../data/resource'
export const handler: Schema['enqueue']['functionHandler'] = async (event) => {
  await new Promise(resolve => setTimeout(resolve, 1500))
  console.log('finished job', event.arguments.job)
}
`),
  // The docs' pattern for a function that calls the data API itself (as an IAM caller).
  ...fn('data-reader', `
import type { Schema } from '../../data/resource'
import { Amplify } from 'aws-amplify'
import { generateClient } from 'aws-amplify/data'
import { getAmplifyDataClientConfig } from '@aws-amplify/backend/function/runtime'
import { env } from '$amplify/env/data-reader'

const { resourceConfig, libraryOptions } = await getAmplifyDataClientConfig(env)
Amplify.configure(resourceConfig, libraryOptions)
const client = generateClient<Schema>()

export const handler: Schema['readAsFunction']['functionHandler'] = async () => {
  const todos = await client.models.Todo.list()
  const echoed = await client.queries.echoEvent({ greeting: 'from a function' })
  const errors = [...(todos.errors ?? []), ...(echoed.errors ?? [])]
  if (errors.length) throw new Error(errors.map(error => error.message).join('; '))
  return { todos: todos.data.map(todo => todo.content), echoed: echoed.data }
}
`),
  ...fn('double', `
import type { Schema } from '../../data/resource'
export const handler: Schema['compute']['functionHandler'] = async event => event.arguments.n * 2
`),
  ...fn('add-one', `
import type { Schema } from '../../data/resource'
export const handler: Schema['compute']['functionHandler'] = async (event) => {
  const previous = (event.prev as { result: number }).result
  return previous + 1
}
`),
}

/** A custom operation's JSON result: the client hands a.json() values back as they came. */
const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) as Record<string, unknown> : value as Record<string, unknown>)

describe('custom queries and mutations', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let work: string
  let sandbox: Sandbox
  const lines: string[] = []
  let client: AmplifyTestClient
  let sub: string

  const query = (name: string, args?: Record<string, unknown>) => client.custom('queries', name, args)
  const mutation = (name: string, args?: Record<string, unknown>) => client.custom('mutations', name, args)
  const errorsOf = (result: DataResult<unknown>) => result.errors?.map(({ errorType, message }) => ({ errorType, message }))

  beforeAll(async () => {
    project = await scratchProject()
    for (const [file, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(project.dir, file)), { recursive: true })
      await writeFile(join(project.dir, file), text)
    }
    work = await mkdtemp(join(tmpdir(), 'custom-operations-test-'))
    sandbox = await startSandbox({ projectDir: project.dir, dataDir: join(work, 'data'), outputsPath: join(work, 'amplify_outputs.json'), ports: { auth: 0, data: 0, storage: 0, rest: 0 }, watch: false, log: line => lines.push(line) })
    client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never })
    const email = `custom-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    await client.signIn({ username: email, password: PASSWORD })
    sub = (await client.fetchAuthSession()).userSub!
  }, 180_000)
  afterAll(async () => {
    await client?.close()
    await sandbox?.close()
    await project?.remove()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('lists no data field as not served', () => {
    expect(lines.filter(line => line.startsWith('Not served offline: Data:'))).toEqual([])
  })

  it('a.handler.function gets the event AppSync builds: arguments, the caller\'s identity, the request', async () => {
    const result = await query('echoEvent', { greeting: 'hello', count: 3 })
    expect(result.errors).toBeUndefined()
    const event = json(result.data)
    expect(Object.keys(event).sort()).toEqual(['arguments', 'fieldName', 'identity', 'prev', 'request', 'source', 'typeName'])
    expect(event).toMatchObject({ typeName: 'Query', fieldName: 'echoEvent', arguments: { greeting: 'hello', count: 3 }, source: null, prev: { result: {} } })
    const identity = event.identity as Record<string, unknown>
    expect(Object.keys(identity).sort()).toEqual(['claims', 'defaultAuthStrategy', 'groups', 'issuer', 'sourceIp', 'sub', 'username'])
    expect(identity).toMatchObject({ sub, username: sub, defaultAuthStrategy: 'ALLOW', groups: null, sourceIp: ['127.0.0.1'] })
    expect(identity.issuer).toMatch(/^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9-]+_\w+$/)
    expect(identity.claims).toMatchObject({ sub, token_use: expect.stringMatching(/^(id|access)$/) })
    const request = event.request as { headers: Record<string, string>, domainName: unknown }
    expect(request.domainName).toBeNull()
    expect(request.headers.authorization).toEqual(expect.any(String))
  })

  it('a handler that throws, or runs out of time, fails the field with Lambda:Unhandled, and the sandbox serves on', async () => {
    const thrown = await query('fail', { mode: 'throw' })
    expect(thrown.data).toBeNull()
    expect(errorsOf(thrown)).toEqual([{ errorType: 'Lambda:Unhandled', message: 'Refused: throw' }])
    const slow = await query('fail', { mode: 'slow' })
    expect(errorsOf(slow)).toEqual([{ errorType: 'Lambda:Unhandled', message: expect.stringMatching(/Task timed out after 1\.00 seconds$/) }])
    expect(json((await query('echoEvent', { greeting: 'still here' })).data)).toMatchObject({ arguments: { greeting: 'still here' } })
  })

  it('.async() answers at once with success, and the function runs on its own', async () => {
    const job = `job-${Date.now()}`
    const started = performance.now()
    const result = await mutation('enqueue', { job })
    expect(performance.now() - started).toBeLessThan(1500)
    expect(result).toMatchObject({ data: { success: true } })
    expect(result.errors).toBeUndefined()
    await expect.poll(() => lines.some(line => line === `[slow-worker] finished job ${job}`), { timeout: 10_000 }).toBe(true)
  })

  it('a pipeline of functions runs them in order, each given the result before it', async () => {
    expect(await query('compute', { n: 5 })).toMatchObject({ data: 11 })
    expect(await query('compute', { n: -1 })).toMatchObject({ data: -1 })
  })

  it('a.handler.custom without a data source runs its JavaScript: util.autoId, util.time, console.log', async () => {
    const before = Date.now()
    const { data, errors } = await query('now')
    expect(errors).toBeUndefined()
    const stamp = data as { id: string, at: string, epoch: number }
    expect(stamp.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(Date.parse(stamp.at)).toBeGreaterThanOrEqual(before - 1000)
    expect(Math.abs(stamp.epoch - Date.parse(stamp.at))).toBeLessThan(1000)
    expect(lines).toContain(`[Query.now] INFO stamping ${stamp.id}`)
    expect(((await query('now')).data as { id: string }).id).not.toBe(stamp.id)
  })

  it('a.handler.custom on a model\'s table puts an item that the model API reads back', async () => {
    const { data, errors } = await mutation('addTodo', { content: 'Written by JavaScript' })
    expect(errors).toBeUndefined()
    const todo = data as { id: string, content: string }
    expect(todo).toMatchObject({ content: 'Written by JavaScript', done: false })
    // Owner-only: readable through the model API only if the resolver wrote the caller as its owner.
    expect((await client.get('Todo', { id: todo.id })).data).toMatchObject({ id: todo.id, content: 'Written by JavaScript', done: false })
  })

  it('a function with allow.resource calls the data API with the docs\' client setup, as an IAM caller', async () => {
    const content = `seen by a function ${Date.now()}`
    expect((await client.create('Todo', { content })).errors).toBeUndefined()
    const result = await query('readAsFunction')
    expect(result.errors).toBeUndefined()
    const { todos, echoed } = json(result.data) as { todos: string[], echoed: unknown }
    // Every user's todos: the function's role is allowed all of the API.
    expect(todos).toContain(content)
    const identity = json(echoed).identity as Record<string, unknown>
    expect(Object.keys(identity).sort()).toEqual(['accountId', 'cognitoIdentityAuthProvider', 'cognitoIdentityAuthType', 'cognitoIdentityId', 'cognitoIdentityPoolId', 'sourceIp', 'userArn', 'username'])
    expect(identity).toMatchObject({
      accountId: expect.stringMatching(/^\d{12}$/),
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      sourceIp: ['127.0.0.1'],
      userArn: expect.stringMatching(/^arn:aws:sts::\d{12}:assumed-role\/.+\/.+$/),
      username: expect.stringMatching(/^\w+:.+$/),
    })
  })

  it('a pipeline of a.handler.custom steps runs in order, each given the result before it', async () => {
    const { id } = (await mutation('addTodo', { content: 'Liked' })).data as { id: string }
    expect(await mutation('likeTodo', { id })).toMatchObject({ data: { id, likes: 1, content: 'Liked' } })
    expect(await mutation('likeTodo', { id })).toMatchObject({ data: { id, likes: 2 } })
    const missing = await mutation('likeTodo', { id: 'no-such-todo' })
    expect(missing.data).toBeNull()
    expect(errorsOf(missing)).toEqual([{ errorType: 'DynamoDB:ConditionalCheckFailedException', message: expect.stringContaining('conditional request failed') }])
  })

  it('util.error fails the field with its message and type', async () => {
    const result = await mutation('addTodo', { content: '  ' })
    expect(result.data).toBeNull()
    expect(result.errors).toEqual([expect.objectContaining({ errorType: 'ValidationError', message: 'A todo needs some content', errorInfo: { field: 'content' } })])
  })
})
