import { VelocityTemplate } from '@aws-amplify/amplify-appsync-simulator'
import { describe, expect, it } from 'vitest'
import type { LocalExecutionContext } from '../../../sandbox/appsync/simulator'
import { fromSimulator, patchValueMapping } from '../../../sandbox/appsync/value-mapping'

const patched = patchValueMapping()
// The simulator's classes, loosely typed: these tests call their Java-like methods.
/* eslint-disable @typescript-eslint/no-explicit-any */
const { map } = fromSimulator('./velocity/value-mapper/mapper') as { map: (value: unknown) => any }
const { JavaArray } = fromSimulator('./velocity/value-mapper/array') as { JavaArray: any }
const { JavaMap } = fromSimulator('./velocity/value-mapper/map') as { JavaMap: any }
const { JavaString } = fromSimulator('./velocity/value-mapper/string') as { JavaString: any }
const { JavaInteger } = fromSimulator('./velocity/value-mapper/integer') as { JavaInteger: any }
const { JavaDecimal } = fromSimulator('./velocity/value-mapper/decimal') as { JavaDecimal: any }
/* eslint-enable @typescript-eslint/no-explicit-any */

const request: LocalExecutionContext = { requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS', jwt: { sub: 'user-1' }, headers: {}, appsyncErrors: [] }
const simulator = { appSyncConfig: { defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS' } } }
const info = { fieldName: 'listTodos', parentType: { name: 'Query' }, fieldNodes: [], path: { key: 'listTodos' } }
const render = (template: string, values: object) => new VelocityTemplate({ content: template }, simulator as never).render(values as never, request as never, info as never)

describe('the simulator\'s template values, made in one pass', () => {
  it('converts JSON to the same Java-like values and back', () => {
    const json = { id: 'todo-1', count: 3, ratio: 1.5, done: false, none: null, tags: ['a', 'b'], one: ['only'], nested: { list: [{ x: 1 }] } }
    const value = map(json)
    expect(value).toBeInstanceOf(JavaMap)
    expect(value.get('id')).toBeInstanceOf(JavaString)
    expect(value.get('count')).toBeInstanceOf(JavaInteger)
    expect(value.get('ratio')).toBeInstanceOf(JavaDecimal)
    expect(value.get('done')).toBe(false)
    expect(value.get('none')).toBeNull()
    expect(value.toJSON()).toEqual(json)
  })

  it('makes lists that are arrays and JavaArrays, sharing its prototype, with its methods', () => {
    const list = map(['a', 'b'])
    expect(Array.isArray(list)).toBe(true)
    expect(list).toBeInstanceOf(JavaArray)
    expect(Object.getPrototypeOf(list)).toBe(JavaArray.prototype)
    list.add('c')
    expect(list.size().toJSON()).toBe(3)
    expect(list[2]).toBeInstanceOf(JavaString)
    expect(list.toJSON()).toEqual(['a', 'b', 'c'])
    expect(map(['only']).toJSON()).toEqual(['only'])
    expect(map([]).isEmpty()).toBe(true)
  })

  it('keeps a "__proto__" key as data, in and out, without touching any prototype', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object
    const back = map(json).toJSON() as Record<string, unknown>
    expect(Object.getOwnPropertyNames(back)).toEqual(['__proto__', 'ok'])
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it('builds $util the cheap way for this simulator, and templates still see all of it', () => {
    expect(patched.util).toBe(true)
    const { result } = render(`$util.toJson({
      "json": $util.toJson($ctx.args.input),
      "auth": $util.authType(),
      "uuid": "$util.autoId()",
      "ddb": $util.dynamodb.toDynamoDB("x"),
      "time": "$util.time.nowISO8601()",
      "list": $util.list.copyAndRemoveAll([1, 2, 3], [2]),
      "str": $util.str.toUpper("abc"),
      "size": $ctx.args.input.items.size()
    })`, { arguments: { input: { items: ['a', 'b'] } } })
    expect(result).toEqual({
      json: '{"items":["a","b"]}', auth: 'User Pool Authorization', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ddb: { S: 'x' }, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), list: [1, 3], str: 'ABC', size: 2,
    })
  })

  it('gives every render its own errors, so one request\'s errors never show in another\'s', () => {
    const first = render('$util.qr($util.appendError("first")) {}', { arguments: {} })
    const second = render('{}', { arguments: {} })
    expect(first.errors).toHaveLength(1)
    expect(second.errors).toHaveLength(0)
  })
})
