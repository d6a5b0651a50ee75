/**
 * AppSync's enhanced subscription filters as the sandbox builds and applies them: which events a
 * subscriber receives depends on nothing else.
 */
import { describe, expect, it } from 'vitest'
import { filterFields, matchesSubscriptionFilter, parseSubscriptionFilter, toSubscriptionFilter, type SubscriptionFilter } from '../../../sandbox/appsync/filters'

const condition = (fieldName: string, operator: string, value: unknown) => ({ fieldName, operator, value })

describe('toSubscriptionFilter', () => {
  it('turns field conditions into one AND group', () => {
    expect(toSubscriptionFilter({ owner: { eq: 'ada' }, priority: { gt: 2, le: 5 } })).toEqual({
      filterGroup: [{ filters: [condition('owner', 'eq', 'ada'), condition('priority', 'gt', 2), condition('priority', 'le', 5)] }],
    })
  })

  it('expands or inside and into disjunctive normal form', () => {
    const filter = toSubscriptionFilter({ owner: { eq: 'ada' }, or: [{ done: { eq: true } }, { priority: { ge: 3 } }] })
    expect(filter.filterGroup).toEqual([
      { filters: [condition('owner', 'eq', 'ada'), condition('done', 'eq', true)] },
      { filters: [condition('owner', 'eq', 'ada'), condition('priority', 'ge', 3)] },
    ])
  })

  it('distributes and over nested or lists', () => {
    const filter = toSubscriptionFilter({ and: [{ or: [{ a: { eq: 1 } }, { b: { eq: 2 } }] }, { or: [{ c: { eq: 3 } }, { d: { eq: 4 } }] }] })
    expect(filter.filterGroup.map(group => group.filters.map(f => f.fieldName).join(''))).toEqual(['ac', 'ad', 'bc', 'bd'])
  })

  it('leaves out excluded fields (the owner field the resolver filters itself) and skips null conditions', () => {
    expect(toSubscriptionFilter({ owner: { eq: 'ada' }, content: { beginsWith: 'x' }, done: null }, ['owner'])).toEqual({
      filterGroup: [{ filters: [condition('content', 'beginsWith', 'x')] }],
    })
  })

  it('lets everything through for an empty filter or one made only of excluded fields', () => {
    expect(toSubscriptionFilter({})).toEqual({ filterGroup: [] })
    expect(toSubscriptionFilter(null)).toEqual({ filterGroup: [] })
    expect(toSubscriptionFilter({ owner: { eq: 'ada' } }, ['owner'])).toEqual({ filterGroup: [] })
  })

  it('unwraps the simulator\'s Java-like wrappers', () => {
    const wrapped = { toJSON: () => ({ owner: { toJSON: () => ({ eq: 'ada' }) } }) }
    expect(toSubscriptionFilter(wrapped)).toEqual({ filterGroup: [{ filters: [condition('owner', 'eq', 'ada')] }] })
  })

  it('refuses not, which AppSync cannot express, rather than widen the filter', () => {
    expect(() => toSubscriptionFilter({ not: { done: { eq: true } } })).toThrow(/"not" is not supported/)
  })

  it('refuses unknown operators, an empty or, and non-list and/or', () => {
    expect(() => toSubscriptionFilter({ done: { like: '%x' } })).toThrow(/Unsupported subscription filter operator like/)
    expect(() => toSubscriptionFilter({ or: [] })).toThrow(/at least one/)
    expect(() => toSubscriptionFilter({ and: { a: { eq: 1 } } })).toThrow(/take a list/)
    expect(() => toSubscriptionFilter({ done: true })).toThrow(/Invalid condition for done/)
  })

  it('keeps AppSync\'s limits: 10 groups, 5 conditions per group', () => {
    const alternatives = (n: number) => Array.from({ length: n }, (_, i) => ({ n: { eq: i } }))
    expect(toSubscriptionFilter({ or: alternatives(10) }).filterGroup).toHaveLength(10)
    expect(() => toSubscriptionFilter({ or: alternatives(11) })).toThrow(/at most 10 groups/)
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, { eq: i }]))
    expect(toSubscriptionFilter(fields(5)).filterGroup[0]!.filters).toHaveLength(5)
    expect(() => toSubscriptionFilter(fields(6))).toThrow(/at most 5 filters/)
    // An expansion that explodes is stopped before it is built.
    const pairs = Array.from({ length: 7 }, (_, i) => ({ or: [{ [`a${i}`]: { eq: 1 } }, { [`b${i}`]: { eq: 2 } }] }))
    expect(() => toSubscriptionFilter({ and: pairs })).toThrow(/too many groups/)
  })
})

describe('parseSubscriptionFilter', () => {
  it('accepts a hand-built filter and refuses malformed ones', () => {
    const filter = { filterGroup: [{ filters: [condition('owner', 'eq', 'ada')] }] }
    expect(parseSubscriptionFilter(filter)).toEqual(filter)
    expect(() => parseSubscriptionFilter({})).toThrow(/filterGroup/)
    expect(() => parseSubscriptionFilter({ filterGroup: [{}] })).toThrow(/filters list/)
    expect(() => parseSubscriptionFilter({ filterGroup: [{ filters: [] }] })).toThrow(/may not be empty/)
    expect(() => parseSubscriptionFilter({ filterGroup: [{ filters: [condition('owner', 'like', 'x')] }] })).toThrow(/Invalid subscription filter/)
  })
})

describe('matchesSubscriptionFilter', () => {
  const item = { owner: 'ada', priority: 3, done: false, content: 'buy milk', tags: ['home', 'shop'], note: null, meta: { list: 'groceries' } }
  const matches = (operator: string, value: unknown, fieldName = 'priority') =>
    matchesSubscriptionFilter({ filterGroup: [{ filters: [condition(fieldName, operator, value)] }] } as SubscriptionFilter, item)

  it.each([
    ['eq', 3, true], ['eq', '3', false], ['ne', 4, true], ['ne', 3, false],
    ['lt', 4, true], ['lt', 3, false], ['le', 3, true], ['gt', 2, true], ['gt', 3, false], ['ge', 3, true],
    ['between', [1, 3], true], ['between', [4, 9], false], ['between', [1], false],
    ['in', [1, 3], true], ['in', [1, 2], false], ['notIn', [1, 2], true], ['notIn', [3], false],
  ])('compares numbers: %s %j is %s', (operator, value, expected) => {
    expect(matches(operator, value)).toBe(expected)
  })

  it('compares strings, and never a string with a number', () => {
    expect(matches('lt', 'b', 'owner')).toBe(true)
    expect(matches('gt', 'b', 'owner')).toBe(false)
    expect(matches('lt', 5, 'owner')).toBe(false)
    expect(matches('beginsWith', 'buy', 'content')).toBe(true)
    expect(matches('beginsWith', 'milk', 'content')).toBe(false)
  })

  it('checks containment in strings and lists', () => {
    expect(matches('contains', 'milk', 'content')).toBe(true)
    expect(matches('notContains', 'milk', 'content')).toBe(false)
    expect(matches('contains', 'shop', 'tags')).toBe(true)
    expect(matches('contains', 'work', 'tags')).toBe(false)
    expect(matches('containsAny', ['work', 'home'], 'tags')).toBe(true)
    expect(matches('containsAny', ['work'], 'tags')).toBe(false)
  })

  it('checks existence (null reads as absent) and nested fields', () => {
    expect(matches('attributeExists', true, 'owner')).toBe(true)
    expect(matches('attributeExists', false, 'note')).toBe(true)
    expect(matches('attributeExists', true, 'missing')).toBe(false)
    expect(matches('eq', 'groceries', 'meta.list')).toBe(true)
    expect(matches('eq', 'x', 'owner.deeper')).toBe(false)
  })

  it('passes an event when some group has all its conditions true', () => {
    const filter = toSubscriptionFilter({ or: [{ owner: { eq: 'bob' } }, { owner: { eq: 'ada' }, done: { eq: false } }] })
    expect(matchesSubscriptionFilter(filter, item)).toBe(true)
    expect(matchesSubscriptionFilter(filter, { ...item, done: true })).toBe(false)
    expect(matchesSubscriptionFilter({ filterGroup: [] }, item)).toBe(true)
    expect(filterFields(filter)).toEqual(['owner', 'done'])
  })
})
