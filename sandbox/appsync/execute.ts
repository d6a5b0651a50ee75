/**
 * Running operations on the simulator the way AppSync answers them: AppSync's error shape, and
 * subscriptions that deliver only the events their filter (enhanced filter set by the resolver, or
 * AppSync's argument matching) lets through. The simulator applies neither:
 * https://github.com/aws-amplify/amplify-category-api/issues/503,
 * https://github.com/aws-amplify/amplify-cli/issues/6026
 */
import { runQueryOrMutation } from '@aws-amplify/amplify-appsync-simulator/lib/utils/graphql-runner/query-and-mutation'
import type { DocumentNode, ExecutionResult, FieldNode, GraphQLSchema, OperationDefinitionNode } from 'graphql'
import { filterFields, matchesSubscriptionFilter } from './filters'
import { getArgumentValues, graphql } from './graphql'
import type { LocalExecutionContext } from './simulator'

const { Kind, getNamedType, getOperationAST, isLeafType, isObjectType, subscribe } = graphql

/** An error as AppSync puts it in `errors`. */
export interface AppSyncError {
  path: ReadonlyArray<string | number> | null
  data?: unknown
  errorType?: string
  errorInfo?: unknown
  locations: Array<{ line: number, column: number, sourceName: null }> | null
  message: string
}

export interface GraphQLResponse {
  data: unknown
  errors?: AppSyncError[]
}

function formatError(error: unknown): AppSyncError {
  // The simulator flattens template errors' `extensions` onto plain objects; graphql-js errors keep them.
  const e = (error ?? {}) as Record<string, unknown> & { extensions?: Record<string, unknown> }
  const ext = e.extensions ?? {}
  const pick = (key: string) => e[key] ?? ext[key]
  const errorType = pick('errorType')
  const locations = (pick('locations') as Array<{ line?: unknown, column?: unknown }> | undefined)
    ?.filter(l => l && typeof l.line === 'number' && typeof l.column === 'number')
    .map(l => ({ line: l.line as number, column: l.column as number, sourceName: null }))
  const formatted: AppSyncError = {
    path: (pick('path') as AppSyncError['path'] | undefined) ?? null,
    locations: locations?.length ? locations : null,
    message: String(pick('message') ?? 'Internal error'),
  }
  if (typeof errorType === 'string' && errorType) {
    formatted.data = pick('data') ?? null
    formatted.errorType = errorType
    formatted.errorInfo = pick('errorInfo') ?? null
  }
  return formatted
}

function response(result: { data?: unknown, errors?: readonly unknown[] }): GraphQLResponse {
  return {
    data: result.data ?? null,
    ...(result.errors?.length ? { errors: result.errors.map(formatError) } : {}),
  }
}

/** Runs a query or mutation (subscriptions go over the realtime endpoint). */
export async function executeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  context: LocalExecutionContext,
): Promise<GraphQLResponse> {
  if (getOperationAST(document, operationName)?.operation === 'subscription') {
    return {
      data: null,
      errors: [{ path: null, locations: null, errorType: 'UnsupportedOperation', data: null, errorInfo: null, message: 'Subscriptions are served on the realtime endpoint (/graphql/realtime).' }],
    }
  }
  return response(await runQueryOrMutation(schema, document, variables ?? {}, operationName as string, context as never))
}

export type SubscriptionStart
  = | { ok: false, response: GraphQLResponse }
    | { ok: true, events: AsyncIterableIterator<GraphQLResponse>, stop: () => Promise<void> }

const FILTER_ALIAS = '_sandboxFilter_'

/**
 * Starts a subscription: runs its resolver once (authorization; it may set an enhanced filter), then
 * listens for the mutations it follows. Events are filtered on the resolved selection, as AppSync
 * filters on the mutation's response: the fields a filter reads are added to the selection under
 * private aliases, so the filter sees them whatever the client selected.
 */
export async function startSubscription(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  context: LocalExecutionContext,
): Promise<SubscriptionStart> {
  const operation = getOperationAST(document, operationName)
  if (operation?.operation !== 'subscription') {
    return { ok: false, response: { data: null, errors: [{ path: null, locations: null, message: 'The realtime endpoint only serves subscriptions.' }] } }
  }
  const initial = await runQueryOrMutation(schema, document, variables ?? {}, operationName as string, context as never)
  if (initial.errors?.length) return { ok: false, response: response(initial) }

  const field = operation.selectionSet.selections[0]
  if (field?.kind !== Kind.FIELD) {
    return { ok: false, response: { data: null, errors: [{ path: null, locations: null, message: 'A subscription must select its field directly.' }] } }
  }
  const fieldDefinition = schema.getSubscriptionType()?.getFields()[field.name.value]
  if (!fieldDefinition) return { ok: false, response: response(initial) }
  const responseKey = field.alias?.value ?? field.name.value
  const returnType = getNamedType(fieldDefinition.type)
  const returnFields = isObjectType(returnType) ? returnType.getFields() : {}

  // AppSync matches non-null arguments against same-named fields of the response.
  const argumentValues = getArgumentValues(fieldDefinition, field, variables ?? {}) as Record<string, unknown>
  const argumentMatches = Object.entries(argumentValues).filter(
    ([name, value]) => value !== null && value !== undefined && name !== 'filter' && name in returnFields,
  )
  const filter = context.subscriptionFilter
  const needed = [...new Set([...(filter ? filterFields(filter) : []), ...argumentMatches.map(([name]) => name)])].filter(
    name => returnFields[name] && isLeafType(getNamedType(returnFields[name]!.type)),
  )
  const aliases = new Map(needed.map((name, i) => [`${FILTER_ALIAS}${i}`, name]))

  const stream = await subscribe({
    schema,
    document: withExtraFields(document, operation, field, aliases),
    variableValues: variables,
    operationName,
    contextValue: context,
  })
  if (!isAsyncIterator(stream)) return { ok: false, response: response(stream as ExecutionResult) }
  const source = stream

  const passes = (item: Record<string, unknown>) => {
    const view: Record<string, unknown> = { ...item }
    for (const [alias, name] of aliases) view[name] = item[alias]
    if (argumentMatches.some(([name, value]) => view[name] !== value)) return false
    return filter ? matchesSubscriptionFilter(filter, view) : true
  }

  async function* events(): AsyncIterableIterator<GraphQLResponse> {
    for (;;) {
      const next = await source.next()
      if (next.done) return
      const result = next.value as ExecutionResult
      // Errors of one event's field resolvers must not pile up in the long-lived context.
      context.appsyncErrors.length = 0
      const data = result.data as Record<string, unknown> | null | undefined
      const item = data?.[responseKey] as Record<string, unknown> | null | undefined
      // No item (a failed mutation) or no match: nothing is sent, as on AppSync.
      if (!item || typeof item !== 'object' || !passes(item)) continue
      const visible = Object.fromEntries(Object.entries(item).filter(([key]) => !aliases.has(key)))
      yield response({ data: { ...data, [responseKey]: visible }, errors: result.errors })
    }
  }
  return {
    ok: true,
    events: events(),
    stop: async () => {
      await source.return?.()
    },
  }
}

function withExtraFields(document: DocumentNode, operation: OperationDefinitionNode, field: FieldNode, aliases: Map<string, string>): DocumentNode {
  if (aliases.size === 0 || !field.selectionSet) return document
  const extra: FieldNode[] = [...aliases].map(([alias, name]) => ({
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: alias },
    name: { kind: Kind.NAME, value: name },
  }))
  const augmentedField: FieldNode = { ...field, selectionSet: { ...field.selectionSet, selections: [...field.selectionSet.selections, ...extra] } }
  const augmentedOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: { ...operation.selectionSet, selections: [augmentedField, ...operation.selectionSet.selections.slice(1)] },
  }
  return { ...document, definitions: document.definitions.map(definition => (definition === operation ? augmentedOperation : definition)) }
}

function isAsyncIterator(value: unknown): value is AsyncIterableIterator<ExecutionResult> {
  return typeof (value as AsyncIterableIterator<unknown>)?.[Symbol.asyncIterator] === 'function'
}
