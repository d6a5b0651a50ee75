/**
 * The offline APPSYNC_JS evaluator: resolver code as Gen 2 synthesizes it (ESM importing
 * `@aws-appsync/utils`), run in isolation, with AppSync's outcomes (results, util.error, early
 * returns, `Code` errors) and DynamoDB requests the local table accepts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getDataLoader } from '@aws-amplify/amplify-appsync-simulator/lib/data-loader'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResolverCode, type HandlerName, type HandlerOutcome } from '../../../sandbox/appsync/javascript/evaluate'
import { LocalSimulator } from '../../../sandbox/appsync/simulator'
import { ensureTables, startLocalDynamo, type LocalDynamo } from '../../../sandbox/appsync/dynamodb'
import { toWireRequest } from '../../../sandbox/appsync/typed-values'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Runs `handler` of `code` with a ctx made of `ctx` (arguments and stash default to {}). */
function run(code: string | ResolverCode, ctx: Record<string, unknown> = {}, handler: HandlerName = 'request'): HandlerOutcome {
  const compiled = typeof code === 'string' ? ResolverCode.compile(code) : code
  return compiled.run({ handler, ctx: { arguments: {}, stash: {}, ...ctx }, authType: 'User Pool Authorization' })
}

/** The value a handler returned; fails the test with the outcome otherwise. */
function value(outcome: HandlerOutcome): unknown {
  if (outcome.kind !== 'return') throw new Error(`Expected a return, got ${JSON.stringify(outcome)}`)
  return outcome.value
}

const requestOf = (body: string, imports = 'import { util, runtime } from \'@aws-appsync/utils\'\nimport * as ddb from \'@aws-appsync/utils/dynamodb\'') =>
  `${imports}\nexport function request(ctx) {\n${body}\n}\nexport function response(ctx) { return ctx.result }\n`

describe('APPSYNC_JS handlers', () => {
  it('runs the ES module Gen 2 synthesizes: ctx in, the return value out, the stash carried on', () => {
    const code = ResolverCode.compile(`
import { util } from '@aws-appsync/utils'
export const request = (ctx) => {
  ctx.stash.seen = ctx.args.name
  return { payload: { hello: ctx.arguments.name, previous: ctx.prev.result, who: ctx.identity.sub, type: util.authType() } }
}
export function response(ctx) { return { ...ctx.result, field: ctx.info.fieldName } }
`)
    const request = run(code, { arguments: { name: 'Ada' }, prev: { result: { n: 1 } }, identity: { sub: 'u-1' } })
    expect(value(request)).toEqual({ payload: { hello: 'Ada', previous: { n: 1 }, who: 'u-1', type: 'User Pool Authorization' } })
    expect(request.stash).toEqual({ seen: 'Ada' })
    expect(value(run(code, { result: { a: 1 }, info: { fieldName: 'greet' } }, 'response'))).toEqual({ a: 1, field: 'greet' })
  })

  it('ends a handler with util.error, keeps going after util.appendError, refuses with util.unauthorized', () => {
    expect(run(requestOf('util.error(\'Too many\', \'LimitExceeded\', { max: 3 }, { hint: \'wait\' })'))).toMatchObject({
      kind: 'error',
      error: { message: 'Too many', type: 'LimitExceeded', data: { max: 3 }, errorInfo: { hint: 'wait' } },
    })
    const appended = run(requestOf('util.appendError(\'Partial\', \'Warning\'); return { ok: true }'))
    expect(appended).toMatchObject({ kind: 'return', value: { ok: true }, errors: [{ message: 'Partial', type: 'Warning', data: null, errorInfo: null }] })
    expect(run(requestOf('util.unauthorized()')).kind).toBe('unauthorized')
  })

  it('collects console output, as AppSync sends it to the API\'s logs', () => {
    expect(run(requestOf('console.log(\'got\', ctx.args, 3); console.error(\'bad\'); return {}'), { arguments: { id: 'a' } }).logs).toEqual(['INFO got {"id":"a"} 3', 'ERROR bad'])
  })

  it('returns early with runtime.earlyReturn, to the next step or to the end', () => {
    expect(run(requestOf('runtime.earlyReturn({ cached: 1 }); return { never: true }'))).toMatchObject({ kind: 'early', value: { cached: 1 }, skipTo: 'NEXT' })
    expect(run(requestOf('runtime.earlyReturn(null, { skipTo: \'END\' })'))).toMatchObject({ kind: 'early', value: null, skipTo: 'END' })
  })

  it('reports an exception as AppSync does, at the line and column of the code as written', () => {
    const outcome = run('export function request(ctx) {\n  const missing = ctx.args.nothing\n  return missing.field\n}\nexport const response = ctx => ctx.result\n')
    expect(outcome).toMatchObject({ kind: 'failure', message: expect.stringMatching(/^code\.js:3:\d+: TypeError: Cannot read properties of undefined \(reading 'field'\)$/) })
    // Strict, as the ES module it is.
    expect(run('export function request() { undeclared = 1; return {} }\nexport const response = () => null')).toMatchObject({ kind: 'failure', message: expect.stringMatching(/^code\.js:1:\d+: ReferenceError: undeclared is not defined$/) })
    expect(run('export async function request() { return {} }\nexport const response = () => null')).toMatchObject({ kind: 'failure', message: expect.stringContaining('cannot be async') })
    expect(run('export function request( {')).toMatchObject({ kind: 'failure', message: expect.stringMatching(/^The code contains one or more errors: code\.js:1:/) })
    expect(run('export const response = () => null')).toMatchObject({ kind: 'failure', message: 'TypeError: The code exports no request function' })
  })

  it('keeps the code away from the process: no process, modules, Function constructor or eval, and a time limit', () => {
    const escape = (body: string) => run(`export function request(ctx) { ${body} }\nexport const response = () => null`)
    expect(value(escape('return [typeof process, typeof setTimeout, typeof fetch, typeof Buffer, typeof globalThis.process, typeof globalThis.require]'))).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined'])
    // The classic node:vm escape: a host object's constructor chain leads to the host's Function.
    for (const attempt of [
      'return this.constructor.constructor("return process")().pid',
      'return globalThis.constructor.constructor("return process")().pid',
      'return ctx.constructor.constructor("return process")().pid',
      'return eval("1 + 1")',
      'return new Function("return 1")()',
    ]) {
      // (Were the escape to work, the handler would return the sandbox's pid.)
      expect(escape(attempt), attempt).toMatchObject({ kind: 'failure', message: expect.stringMatching(/EvalError: Code generation from strings disallowed|TypeError: Cannot read properties of undefined/) })
    }
    // Imports resolve to the two modules AppSync has, nothing else.
    for (const source of ['import fs from \'fs\'', 'import { readFileSync } from \'node:fs\'']) {
      expect(run(`${source}\nexport const request = () => ({})\nexport const response = () => null`), source)
        .toMatchObject({ kind: 'failure', message: expect.stringMatching(/Cannot find module '(node:)?fs'/) })
    }

    const looping = ResolverCode.compile('export function request() { for (;;) {} }\nexport const response = () => null', { timeoutMs: 20 })
    const started = performance.now()
    expect(looping.run({ handler: 'request', ctx: { arguments: {} }, authType: null })).toMatchObject({ kind: 'failure', message: 'Execution timed out after 20 ms' })
    expect(performance.now() - started).toBeLessThan(2000)
    // The code lives on for the next call.
    expect(looping.run({ handler: 'response', ctx: { arguments: {} }, authType: null })).toMatchObject({ kind: 'return' })
  })

  it('makes ids and times with util.autoId, util.autoUlid and util.time', () => {
    const before = Date.now()
    const out = value(run(requestOf(`return {
      ids: [util.autoId(), util.autoId(), util.autoId()],
      ulid: util.autoUlid(),
      iso: util.time.nowISO8601(),
      seconds: util.time.nowEpochSeconds(),
      millis: util.time.nowEpochMilliSeconds(),
      parsed: util.time.parseISO8601ToEpochMilliSeconds('2024-01-02T03:04:05.678Z'),
      back: util.time.epochMilliSecondsToISO8601(0),
    }`))) as { ids: string[], ulid: string, iso: string, seconds: number, millis: number, parsed: number, back: string }
    for (const id of out.ids) expect(id).toMatch(UUID_V4)
    expect(new Set(out.ids).size).toBe(3)
    // Another call draws other ids (each call is seeded afresh).
    expect((value(run(requestOf('return util.autoId()'))))).not.toBe(out.ids[0])
    expect(out.ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(Date.parse(out.iso)).toBeGreaterThanOrEqual(before - 1)
    expect(out.millis).toBeGreaterThanOrEqual(before)
    expect(out.seconds).toBe(Math.floor(out.millis / 1000))
    expect(out.parsed).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    expect(out.back).toBe('1970-01-01T00:00:00.000Z')
    expect(run(requestOf('return util.time.nowFormatted(\'yyyy\')'))).toMatchObject({ kind: 'failure', message: expect.stringContaining('util.time.nowFormatted is not supported by the offline sandbox') })
  })

  it('has util\'s value helpers: null checks, defaults, strings, typed DynamoDB values', () => {
    expect(value(run(requestOf(`return [
      util.isNull(null), util.isNull(0), util.isNullOrEmpty(''), util.isNullOrEmpty([]), util.isNullOrEmpty({}), util.isNullOrEmpty('x'),
      util.isNullOrBlank('  '), util.defaultIfNull(null, 'd'), util.defaultIfNull(0, 'd'), util.defaultIfNullOrEmpty('', 'e'),
      util.str.toUpper('ab'), util.str.toLower('AB'), util.str.toReplace('a-b-c', '-', '+'), util.base64Decode(util.base64Encode('héllo ✓')),
    ]`)))).toEqual([true, false, true, true, true, false, true, 'd', 0, 'e', 'AB', 'ab', 'a+b+c', 'héllo ✓'])
    expect(value(run(requestOf('return util.dynamodb.toMapValues({ s: \'x\', n: 5, b: true, z: null, l: [1, \'y\'], m: { k: 2 }, gone: undefined })')))).toEqual({
      s: { S: 'x' }, n: { N: 5 }, b: { BOOL: true }, z: { NULL: null }, l: { L: [{ N: 1 }, { S: 'y' }] }, m: { M: { k: { N: 2 } } },
    })
    expect(JSON.parse(value(run(requestOf('return util.dynamodb.toMapValuesJson({ id: \'1\' })'))) as string)).toEqual({ id: { S: '1' } })
    expect(value(run(requestOf('return [util.dynamodb.toDynamoDB(\'a\'), util.dynamodb.toStringSet([\'a\']), util.dynamodb.toNumberSet([1])]')))).toEqual([{ S: 'a' }, { SS: ['a'] }, { NS: [1] }])
  })

  it('builds AppSync\'s DynamoDB requests with @aws-appsync/utils/dynamodb', () => {
    expect(value(run(requestOf('return ddb.get({ key: { id: \'1\' }, consistentRead: true })')))).toEqual({ operation: 'GetItem', key: { id: { S: '1' } }, consistentRead: true })
    expect(value(run(requestOf('return ddb.put({ key: { id: \'1\' }, item: { title: \'T\', n: 2 }, condition: { id: { attributeExists: false } } })')))).toEqual({
      operation: 'PutItem',
      key: { id: { S: '1' } },
      attributeValues: { title: { S: 'T' }, n: { N: 2 } },
      condition: { expression: 'attribute_not_exists(#id)', expressionNames: { '#id': 'id' } },
    })
    expect(value(run(requestOf('return ddb.remove({ key: { id: \'1\' }, condition: { owner: { eq: \'me\' } } })')))).toEqual({
      operation: 'DeleteItem',
      key: { id: { S: '1' } },
      condition: { expression: '#owner = :owner_eq', expressionNames: { '#owner': 'owner' }, expressionValues: { ':owner_eq': { S: 'me' } } },
    })
    expect(value(run(requestOf('return ddb.query({ query: { pk: { eq: \'a\' }, sk: { beginsWith: \'b\' } }, filter: { n: { between: [1, 5] }, or: [{ x: { eq: 1 } }, { x: { eq: 2 } }] }, index: \'byPk\', limit: 10 })')))).toEqual({
      operation: 'Query',
      query: { expression: '#pk = :pk_eq AND begins_with(#sk, :sk_beginsWith)', expressionNames: { '#pk': 'pk', '#sk': 'sk' }, expressionValues: { ':pk_eq': { S: 'a' }, ':sk_beginsWith': { S: 'b' } } },
      filter: {
        expression: '(#n BETWEEN :n_between AND :n_between_1) AND ((#x = :x_eq) OR (#x = :x_eq_1))',
        expressionNames: { '#n': 'n', '#x': 'x' },
        expressionValues: { ':n_between': { N: 1 }, ':n_between_1': { N: 5 }, ':x_eq': { N: 1 }, ':x_eq_1': { N: 2 } },
      },
      index: 'byPk',
      limit: 10,
    })
    expect(value(run(requestOf('return ddb.scan({ filter: { not: { done: { eq: true } } }, limit: 2, nextToken: ctx.args.next })', undefined), { arguments: { next: 'abc' } }))).toEqual({
      operation: 'Scan',
      filter: { expression: 'NOT (#done = :done_eq)', expressionNames: { '#done': 'done' }, expressionValues: { ':done_eq': { BOOL: true } } },
      limit: 2,
      nextToken: 'abc',
    })
    expect(value(run(requestOf('return ddb.update({ key: { id: \'1\' }, update: { title: \'New\', views: ddb.operations.increment(), tags: ddb.operations.append([\'x\']), draft: ddb.operations.remove(), meta: { by: \'me\' } } })')))).toEqual({
      operation: 'UpdateItem',
      key: { id: { S: '1' } },
      update: {
        expression: 'SET #title = :title, #tags = list_append(if_not_exists(#tags, :tags_empty), :tags), #meta.#by = :by REMOVE #draft ADD #views :views',
        expressionNames: { '#title': 'title', '#views': 'views', '#tags': 'tags', '#draft': 'draft', '#meta': 'meta', '#by': 'by' },
        expressionValues: { ':title': { S: 'New' }, ':views': { N: 1 }, ':tags_empty': { L: [] }, ':tags': { L: [{ S: 'x' }] }, ':by': { S: 'me' } },
      },
    })
    expect(run(requestOf('return ddb.query({ query: { pk: { contains: \'a\' } } })'))).toMatchObject({ kind: 'failure', message: expect.stringContaining('contains cannot be used in a key condition') })
  })
})

describe('DynamoDB requests from APPSYNC_JS on the local table', () => {
  let dir: string
  let dynamo: LocalDynamo
  let loader: { load(request: unknown): Promise<unknown> }
  const code = ResolverCode.compile(`
import { util } from '@aws-appsync/utils'
import * as ddb from '@aws-appsync/utils/dynamodb'
export function request(ctx) {
  const { op, id } = ctx.args
  if (op === 'put') return ddb.put({ key: { pk: 'list', id }, item: { title: 'First', views: 1, tags: ['a'], gone: null, meta: { by: 'me' } } })
  if (op === 'update') return ddb.update({ key: { pk: 'list', id }, update: { views: ddb.operations.increment(2), tags: ddb.operations.append(['b']), title: ddb.operations.remove(), meta: { at: 5 } }, condition: { views: { ge: 1 } } })
  if (op === 'query') return ddb.query({ query: { pk: { eq: 'list' }, id: { beginsWith: 'i' } }, filter: { views: { gt: 2 } } })
  if (op === 'scan') return ddb.scan({ filter: { tags: { contains: 'b' } } })
  if (op === 'get') return ddb.get({ key: { pk: 'list', id } })
  return ddb.remove({ key: { pk: 'list', id }, condition: { views: { eq: 3 } } })
}
export const response = ctx => ctx.result
`)
  const call = (args: Record<string, unknown>) => loader.load(value(run(code, { arguments: args })))

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'js-resolvers-'))
    dynamo = await startLocalDynamo(join(dir, 'dynamodb'), 'us-east-1')
    await ensureTables(dynamo.client, [{
      TableName: 'Items',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }],
    }], () => {})
    // The sandbox's own DynamoDB data loader, as the simulator registers it.
    void new LocalSimulator()
    const Loader = getDataLoader('AMAZON_DYNAMODB' as never) as unknown as new (config: unknown) => typeof loader
    loader = new Loader({ name: 'Items', type: 'AMAZON_DYNAMODB', config: { endpoint: dynamo.endpoint, region: 'us-east-1', tableName: 'Items' }, client: dynamo.client })
  })
  afterAll(async () => {
    await dynamo?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('puts, updates with operations, queries, scans and deletes items', async () => {
    expect(await call({ op: 'put', id: 'i1' })).toEqual({ pk: 'list', id: 'i1', title: 'First', views: 1, tags: ['a'], gone: null, meta: { by: 'me' } })
    expect(await call({ op: 'update', id: 'i1' })).toEqual({ pk: 'list', id: 'i1', views: 3, tags: ['a', 'b'], gone: null, meta: { by: 'me', at: 5 } })
    expect(await call({ op: 'query' })).toMatchObject({ items: [{ id: 'i1', views: 3 }] })
    expect(await call({ op: 'scan' })).toMatchObject({ items: [{ id: 'i1' }] })
    expect(await call({ op: 'remove', id: 'i1' })).toMatchObject({ id: 'i1', views: 3 })
    expect(await call({ op: 'get', id: 'i1' })).toBeNull()
  })

  it('fails a request whose condition does not hold with DynamoDB\'s error', async () => {
    await call({ op: 'put', id: 'i2' })
    await expect(call({ op: 'remove', id: 'i2' })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', extensions: { errorType: 'DynamoDB:ConditionalCheckFailedException' } })
  })
})

describe('toWireRequest', () => {
  it('writes numbers as strings and null as true, wherever a request carries typed values', () => {
    expect(toWireRequest({
      operation: 'UpdateItem',
      key: { id: { N: 1 } },
      update: { expression: 'SET #a = :a', expressionValues: { ':a': { L: [{ N: 2 }, { M: { b: { NULL: null } } }, { NS: [3, 4] }] } } },
      condition: { expression: '#c = :c', expressionValues: { ':c': { N: '5' } } },
    })).toEqual({
      operation: 'UpdateItem',
      key: { id: { N: '1' } },
      update: { expression: 'SET #a = :a', expressionValues: { ':a': { L: [{ N: '2' }, { M: { b: { NULL: true } } }, { NS: ['3', '4'] }] } } },
      condition: { expression: '#c = :c', expressionValues: { ':c': { N: '5' } } },
    })
  })
})
