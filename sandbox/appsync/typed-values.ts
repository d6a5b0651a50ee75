/**
 * DynamoDB typed values as the local DynamoDB takes them. AppSync accepts a number written as a
 * JSON number (`{ "N": 5 }`, what APPSYNC_JS's `util.dynamodb` and the `@aws-appsync/utils/dynamodb`
 * helpers produce) and null as `{ "NULL": null }`; DynamoDB's wire format wants `{ "N": "5" }`
 * and `{ "NULL": true }`. Requests from VTL templates are already in that form and pass unchanged.
 */

type Section = { expressionValues?: Record<string, unknown> } | undefined

function wireValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const typed = value as Record<string, unknown>
  const [type] = Object.keys(typed)
  if (Object.keys(typed).length !== 1 || type === undefined) return value
  const inner = typed[type]
  switch (type) {
    case 'N':
      return typeof inner === 'number' ? { N: String(inner) } : value
    case 'NS':
      return Array.isArray(inner) ? { NS: inner.map(String) } : value
    case 'NULL':
      return { NULL: true }
    case 'L':
      return Array.isArray(inner) ? { L: inner.map(wireValue) } : value
    case 'M':
      return inner && typeof inner === 'object' ? { M: wireMap(inner as Record<string, unknown>) } : value
    default:
      return value
  }
}

function wireMap(values: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!values || typeof values !== 'object') return values
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, wireValue(value)]))
}

function wireSection<T extends Section>(section: T): T {
  return section?.expressionValues ? { ...section, expressionValues: wireMap(section.expressionValues) } : section
}

/** The request with every typed value it carries (keys, item, expression values) in wire form. */
export function toWireRequest<T extends Record<string, unknown>>(request: T): T {
  const out: Record<string, unknown> = { ...request }
  for (const field of ['key', 'attributeValues'] as const) {
    if (out[field]) out[field] = wireMap(out[field] as Record<string, unknown>)
  }
  for (const field of ['update', 'condition', 'query', 'filter'] as const) {
    if (out[field]) out[field] = wireSection(out[field] as Section)
  }
  return out as T
}
