/**
 * What the data API writes to the sandbox's request log: the caller as it authenticated (a user
 * by their token's claims, the API key by its prefix, an IAM role and its identity), the
 * operation's root fields with their models, and the outcome. A refusal's reason comes from the
 * model's rules (./explain.ts), or from IAM for a field the caller's role may not call.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql'
import { ANONYMOUS, apiKeyCaller, claimsCaller, principalCaller, shortReason, type RequestCaller, type RequestDecision } from '../core/requests'
import type { Caller } from './auth'
import { explainRefusal, type AuthRules, type DataCaller, type ModelOperation, type Refusal } from './explain'
import type { GraphQLResponse } from './execute'
import { graphql } from './graphql'

const { Kind, getNamedType, getOperationAST } = graphql

/** A root field of an operation: what it is called in the response, and the model it acts on. */
export interface RootField {
  /** `Mutation.updateTodo`. */
  name: string
  /** Its key in the response (an alias, or the field's name). */
  key: string
  model?: string
  action?: ModelOperation
}

const ROOT_TYPES = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const

/** The root fields of the operation a document names, with their models; empty when it names none. */
export function rootFields(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, rules: AuthRules): RootField[] {
  const operation = getOperationAST(document, operationName)
  if (!operation) return []
  const typeName = ROOT_TYPES[operation.operation]
  const type = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[operation.operation]
  const fields: RootField[] = []
  for (const selection of operation.selectionSet.selections) {
    // Fragments at the root are rare (the data client never sends them): their fields go unnamed.
    if (selection.kind !== Kind.FIELD) continue
    const field = selection.name.value
    if (field.startsWith('__')) continue
    const root: RootField = { name: `${typeName}.${field}`, key: selection.alias?.value ?? field }
    const returned = type?.getFields()[field] && getNamedType(type.getFields()[field]!.type).name
    const connection = returned && /^(?:Model|Searchable)(\w+)Connection$/.exec(returned)?.[1]
    const model = [returned, connection].find(name => name && rules.types.get(name)?.model)
    if (model) {
      root.model = model
      root.action = actionOf(typeName, field, model === connection)
    }
    fields.push(root)
  }
  return fields
}

function actionOf(type: 'Query' | 'Mutation' | 'Subscription', field: string, connection: boolean): ModelOperation | undefined {
  if (type === 'Subscription') return 'listen'
  if (type === 'Mutation') return (['create', 'update', 'delete'] as const).find(verb => field.startsWith(verb))
  if (field.startsWith('sync')) return 'sync'
  if (field.startsWith('search')) return 'search'
  return connection ? 'list' : 'get'
}

/** `Mutation.updateTodo on Todo, Query.getSharedList on SharedList`. */
export function describeFields(fields: readonly RootField[]): string {
  if (!fields.length) return 'GraphQL request'
  return fields.map(field => (field.model ? `${field.name} on ${field.model}` : field.name)).join(', ')
}

/** The root fields of a request body that was refused before it was parsed (authentication): best effort. */
export function describeBody(schema: GraphQLSchema, body: string, rules: AuthRules): string {
  try {
    const { query, operationName } = JSON.parse(body) as { query?: unknown, operationName?: unknown }
    if (typeof query !== 'string') return 'GraphQL request'
    return describeFields(rootFields(schema, graphql.parse(query), typeof operationName === 'string' ? operationName : undefined, rules))
  }
  catch {
    return 'GraphQL request'
  }
}

export function requestCaller(caller: Caller, headers: Record<string, unknown>): RequestCaller {
  switch (caller.mode) {
    case 'AMAZON_COGNITO_USER_POOLS':
      return claimsCaller(caller.claims)
    case 'API_KEY':
      return apiKeyCaller(String(headerOf(headers, 'x-api-key') ?? ''))
    case 'AWS_IAM':
      return principalCaller(caller.principal)
  }
}

/** Who a request that failed authentication presented itself as: the kind of credentials only. */
export function presentedCaller(headers: Record<string, unknown>): RequestCaller {
  const authorization = headerOf(headers, 'authorization')
  if (authorization?.startsWith('AWS4-HMAC-SHA256')) return { kind: 'anonymous', label: 'refused SigV4 credentials' }
  if (authorization) return { kind: 'anonymous', label: 'a refused user pool token' }
  if (headerOf(headers, 'x-api-key')) return { kind: 'anonymous', label: 'a refused API key' }
  return ANONYMOUS
}

function dataCaller(caller: Caller): DataCaller {
  switch (caller.mode) {
    case 'AMAZON_COGNITO_USER_POOLS':
      return { mode: 'userPools', claims: caller.claims as Record<string, unknown> }
    case 'API_KEY':
      return { mode: 'apiKey' }
    case 'AWS_IAM': {
      const { identity, role } = caller.principal
      const kind = identity?.authType === 'authenticated' ? 'authenticated' : identity ? 'guest' : 'role'
      return { mode: 'iam', kind, role: role.name }
    }
  }
}

const NOT_AUTHORIZED = /^Not Authorized to access (\w+) on type (\w+)$/
const UNAUTHORIZED_FIELDS = /^Unauthorized on \[(.*)\]$/

/**
 * What the response came to: allowed (no errors), refused (an authorization error: the reason
 * says which rules and why), or failed (another error, in its own words).
 */
export function outcomeOf(response: GraphQLResponse, fields: readonly RootField[], caller: Caller, rules: AuthRules): { decision: RequestDecision, reason?: string } {
  const errors = response.errors ?? []
  if (!errors.length) return { decision: 'allowed' }
  const refusals = errors.filter(error => error.errorType === 'Unauthorized' || NOT_AUTHORIZED.test(error.message))
  if (!refusals.length) {
    const [first] = errors
    // graphql-js echoes a variable's value in its coercion errors: the request body is never recorded.
    const message = first!.message.replace(/ got invalid value .*/s, ' got an invalid value')
    return { decision: 'failed', reason: shortReason(`${first!.errorType ?? 'Error'}: ${message}`) }
  }
  const who = dataCaller(caller)
  const reasons = new Set<string>()
  for (const error of refusals) {
    const root = fields.find(field => field.key === error.path?.[0]) ?? (fields.length === 1 ? fields[0] : undefined)
    const refusal: Refusal = { operation: root?.name ?? 'the operation', ...(root?.model ? { model: root.model } : {}), ...(root?.action ? { action: root.action } : {}) }
    const denied = NOT_AUTHORIZED.exec(error.message)
    const named = UNAUTHORIZED_FIELDS.exec(error.message)
    if (denied && !['Query', 'Mutation', 'Subscription'].includes(denied[2]!)) refusal.fields = { of: denied[2]!, names: [denied[1]!], action: 'get' }
    else if (named && root?.model) refusal.fields = { of: root.model, names: named[1]!.split(',').map(name => name.trim()).filter(Boolean), action: root.action ?? 'get' }
    const explained = explainRefusal(rules, who, refusal)
    reasons.add(fields.length > 1 && root ? `${root.name}: ${explained}` : explained)
  }
  return { decision: 'refused', reason: shortReason([...reasons].join(' · '), 1000) }
}

function headerOf(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string' && first.trim() !== '') return first.trim()
  }
  return undefined
}
