/**
 * AppSync's enhanced subscription filters, which the simulator lacks:
 * `$util.transform.toSubscriptionFilter` turns a model filter (`{ owner: { eq: "x" }, or: [...] }`)
 * into `{ filterGroup: [{ filters: [{ fieldName, operator, value }] }] }`, and an event reaches a
 * subscriber only if some group has all its filters true.
 * https://docs.aws.amazon.com/appsync/latest/devguide/aws-appsync-real-time-enhanced-filtering.html
 */

const FILTER_OPERATORS = [
  'eq',
  'ne',
  'le',
  'lt',
  'ge',
  'gt',
  'contains',
  'notContains',
  'beginsWith',
  'in',
  'notIn',
  'between',
  'attributeExists',
  'containsAny',
] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

export interface FilterCondition {
  fieldName: string
  operator: FilterOperator
  value: unknown
}

export interface SubscriptionFilter {
  /** OR of groups; each group is an AND of its filters. */
  filterGroup: Array<{ filters: FilterCondition[] }>
}

/** AppSync's own limits: beyond them `setSubscriptionFilter` fails rather than filter less. */
const MAX_GROUPS = 10
const MAX_FILTERS_PER_GROUP = 5

const isOperator = (key: string): key is FilterOperator => (FILTER_OPERATORS as readonly string[]).includes(key)

/** Unwraps the simulator's Java-like map/list wrappers into plain values. */
function toPlain(value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return toPlain((value as { toJSON: () => unknown }).toJSON())
  }
  if (Array.isArray(value)) return value.map(toPlain)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]))
  return value
}

/**
 * `$util.transform.toSubscriptionFilter(filter[, excludedFields])`: `and`/`or` are expanded into
 * disjunctive normal form, so every group stays a plain AND of conditions.
 */
export function toSubscriptionFilter(input: unknown, excludedFields: unknown = []): SubscriptionFilter {
  const excluded = new Set((toPlain(excludedFields) as unknown[] | null | undefined)?.map(String) ?? [])
  // A filter without conditions (`{}`) lets everything through, written as no groups at all.
  const groups = disjunction(toPlain(input), excluded).filter(filters => filters.length > 0)
  return validate({ filterGroup: groups.map(filters => ({ filters })) })
}

/** Checks a filter given to `$extensions.setSubscriptionFilter` (built by hand or by the util). */
export function parseSubscriptionFilter(value: unknown): SubscriptionFilter {
  const plain = toPlain(value)
  const groups = (plain as { filterGroup?: unknown } | null)?.filterGroup
  if (!Array.isArray(groups)) throw new Error('A subscription filter needs a filterGroup list')
  return validate({
    filterGroup: groups.map((group) => {
      const filters = (group as { filters?: unknown } | null)?.filters
      if (!Array.isArray(filters)) throw new Error('Each filterGroup entry needs a filters list')
      return {
        filters: filters.map((filter) => {
          const { fieldName, operator, value: operand } = (filter ?? {}) as Partial<FilterCondition>
          if (typeof fieldName !== 'string' || typeof operator !== 'string' || !isOperator(operator)) {
            throw new Error(`Invalid subscription filter ${JSON.stringify(filter)}`)
          }
          return { fieldName, operator, value: operand }
        }),
      }
    }),
  })
}

/** Whether an event (the subscription's resolved selection) passes the filter. */
export function matchesSubscriptionFilter(filter: SubscriptionFilter, item: Record<string, unknown>): boolean {
  if (filter.filterGroup.length === 0) return true
  return filter.filterGroup.some(group => group.filters.every(condition => matches(condition, fieldValue(item, condition.fieldName))))
}

/** Top-level fields a filter reads (the subscription must select them for the filter to see them). */
export function filterFields(filter: SubscriptionFilter): string[] {
  return [...new Set(filter.filterGroup.flatMap(group => group.filters.map(f => f.fieldName.split('.')[0]!)))]
}

function validate(filter: SubscriptionFilter): SubscriptionFilter {
  if (filter.filterGroup.length > MAX_GROUPS) throw new Error(`A subscription filter may have at most ${MAX_GROUPS} groups`)
  for (const group of filter.filterGroup) {
    if (group.filters.length === 0) throw new Error('A subscription filter group may not be empty')
    if (group.filters.length > MAX_FILTERS_PER_GROUP) throw new Error(`A subscription filter group may have at most ${MAX_FILTERS_PER_GROUP} filters`)
  }
  return filter
}

/** A model filter as OR of ANDs (never empty: `[[]]` is the filter without conditions). */
function disjunction(node: unknown, excluded: Set<string>): FilterCondition[][] {
  if (node === null || node === undefined) return [[]]
  if (typeof node !== 'object' || Array.isArray(node)) throw new Error(`Invalid subscription filter input ${JSON.stringify(node)}`)
  let result: FilterCondition[][] = [[]]
  const and = (groups: FilterCondition[][]) => {
    result = result.flatMap(left => groups.map(right => [...left, ...right]))
    if (result.length > MAX_GROUPS * 10) throw new Error('The subscription filter expands to too many groups')
  }
  for (const [key, value] of Object.entries(node)) {
    if (value === null || value === undefined) continue
    if (key === 'and') {
      for (const child of asList(value)) and(disjunction(child, excluded))
    }
    else if (key === 'or') {
      const alternatives = asList(value)
      if (alternatives.length === 0) throw new Error('"or" needs at least one filter')
      and(alternatives.flatMap(child => disjunction(child, excluded)))
    }
    else if (key === 'not') {
      // AppSync's subscription filters have no negation; refusing beats silently widening the filter.
      throw new Error('"not" is not supported in subscription filters')
    }
    else if (!excluded.has(key)) {
      if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`Invalid condition for ${key}: ${JSON.stringify(value)}`)
      const conditions = Object.entries(value)
        .filter(([, operand]) => operand !== undefined)
        .map(([operator, operand]): FilterCondition => {
          if (!isOperator(operator)) throw new Error(`Unsupported subscription filter operator ${operator} on ${key}`)
          return { fieldName: key, operator, value: operand }
        })
      and([conditions])
    }
  }
  return result
}

function asList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`"and"/"or" take a list, got ${JSON.stringify(value)}`)
  return value
}

function fieldValue(item: Record<string, unknown>, path: string): unknown {
  let current: unknown = item
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

function matches({ operator, value: operand }: FilterCondition, actual: unknown): boolean {
  switch (operator) {
    case 'eq':
      return equal(actual, operand)
    case 'ne':
      return !equal(actual, operand)
    case 'lt':
      return compare(actual, operand, c => c < 0)
    case 'le':
      return compare(actual, operand, c => c <= 0)
    case 'gt':
      return compare(actual, operand, c => c > 0)
    case 'ge':
      return compare(actual, operand, c => c >= 0)
    case 'between':
      return Array.isArray(operand) && operand.length === 2 && compare(actual, operand[0], c => c >= 0) && compare(actual, operand[1], c => c <= 0)
    case 'contains':
      return contains(actual, operand)
    case 'notContains':
      return !contains(actual, operand)
    case 'beginsWith':
      return typeof actual === 'string' && typeof operand === 'string' && actual.startsWith(operand)
    case 'in':
      return Array.isArray(operand) && operand.some(candidate => equal(actual, candidate))
    case 'notIn':
      return Array.isArray(operand) && !operand.some(candidate => equal(actual, candidate))
    case 'attributeExists':
      return (actual !== undefined && actual !== null) === Boolean(operand)
    case 'containsAny':
      return Array.isArray(actual) && Array.isArray(operand) && operand.some(candidate => actual.some(element => equal(element, candidate)))
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

function compare(a: unknown, b: unknown, test: (comparison: number) => boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return test(a - b)
  if (typeof a === 'string' && typeof b === 'string') return test(a < b ? -1 : a > b ? 1 : 0)
  return false
}

function contains(actual: unknown, operand: unknown): boolean {
  if (typeof actual === 'string') return typeof operand === 'string' && actual.includes(operand)
  if (Array.isArray(actual)) return actual.some(element => equal(element, operand))
  return false
}
