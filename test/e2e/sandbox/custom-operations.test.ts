/**
 * Custom queries and mutations offline, written as the Gen 2 docs write them and called with the
 * real aws-amplify data client (`client.queries.x`, `client.mutations.y`): `a.handler.function`
 * (request-response, `.async()`, pipelines of functions, errors and timeouts) and
 * `a.handler.custom` (APPSYNC_JS without a data source, and on a model's table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient, type DataResult } from '../../support/amplify-users'
import { scratchProject } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Custom-ops-pass-1'

/** A custom operation's JSON result: the client hands a.json() values back as they came. */
const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) as Record<string, unknown> : value as Record<string, unknown>)

describe('custom queries and mutations', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: Sandbox
  let stop: () => Promise<void>
  const lines: string[] = []
  let client: AmplifyTestClient
  let sub: string

  const query = (name: string, args?: Record<string, unknown>) => client.custom('queries', name, args)
  const mutation = (name: string, args?: Record<string, unknown>) => client.custom('mutations', name, args)
  const errorsOf = (result: DataResult<unknown>) => result.errors?.map(({ errorType, message }) => ({ errorType, message }))

  beforeAll(async () => {
    project = await scratchProject('custom-operations')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, log: line => lines.push(line) }))
    client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never })
    const email = `custom-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    await client.signIn({ username: email, password: PASSWORD })
    sub = (await client.fetchAuthSession()).userSub!
  }, 180_000)
  afterAll(async () => {
    await client?.close()
    await stop?.()
    await project?.remove()
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
