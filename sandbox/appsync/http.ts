/**
 * GraphQL over HTTP at `/graphql`, answering the way AppSync does (status codes and error bodies as
 * the AppSync team documented them in https://github.com/graphql/graphql-over-http/issues/81).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { DocumentNode } from 'graphql'
import { allowCors, answerPreflight, guard, parseUrl, PayloadTooLargeError, readBody, sendJson, type CorsPolicy } from '../core/http'
import { shortReason, type RequestLog, type RequestRecord } from '../core/requests'
import { graphql } from './graphql'
import { authenticate, authorizeFields, executionIdentity, type Authenticator, type Caller } from './auth'
import { executeOperation, type GraphQLResponse } from './execute'
import type { AuthRules } from './explain'
import { describeBody, describeFields, outcomeOf, presentedCaller, requestCaller, rootFields } from './requests'
import type { LocalExecutionContext, LocalSimulator } from './simulator'

export const GRAPHQL_PATH = '/graphql'
/** AppSync's own request limit is of this order; local payloads are far smaller. */
const MAX_BODY_BYTES = 1024 * 1024
const JSON_UTF8 = 'application/json; charset=UTF-8'

/** Pages served from another origin (the Nuxt dev server) call the API cross-origin, as with AppSync. */
const CORS: CorsPolicy = {
  methods: ['POST', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'x-api-key', 'x-amz-date', 'x-amz-security-token', 'x-amz-user-agent'],
  // Apps may send headers of their own through the data client.
  allowRequestedHeaders: true,
  exposeHeaders: ['x-amzn-RequestId', 'x-amzn-ErrorType'],
}

export interface GraphqlHandlerOptions {
  simulator: LocalSimulator
  auth: Authenticator
  /** `arn:aws:appsync:<region>:<account>:apis/<apiId>`: what IAM policies name fields under. */
  apiArn: string
  /** Where each request's caller, operation and outcome are recorded. */
  requests?: RequestLog
  /** The `@auth` rules of the API served now: what explains a refusal. */
  rules: () => AuthRules
}

export function createGraphqlHandler(options: GraphqlHandlerOptions): RequestListener {
  // Anything unexpected is this server's fault, reported as AppSync reports its own failures.
  return guard((request, response) => handle(options, request, response), (response, error) => fail(response, 500, 'InternalFailure', (error as Error).message))
}

async function handle(options: GraphqlHandlerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  allowCors(response, CORS)
  const path = parseUrl(request.url).pathname
  if (path !== GRAPHQL_PATH) return fail(response, 404, 'NotFoundException', `No route for ${path}`, true)
  if (request.method === 'OPTIONS') return answerPreflight(request, response, CORS)
  if (request.method !== 'POST') return fail(response, 405, 'MethodNotAllowedException', 'Use POST for queries and mutations.', true)

  // Read first: a SigV4 signature covers the body.
  let body: Buffer
  try {
    body = await readBody(request, { limit: MAX_BODY_BYTES })
  }
  catch (error) {
    if (error instanceof PayloadTooLargeError) return fail(response, 413, 'PayloadTooLargeException', `Request body exceeds ${MAX_BODY_BYTES} bytes.`, true)
    throw error
  }
  const target = request.url ?? '/'
  const queryStart = target.indexOf('?')
  const auth = await authenticate({
    headers: request.headers,
    signed: {
      method: 'POST',
      path: queryStart === -1 ? target : target.slice(0, queryStart),
      query: queryStart === -1 ? '' : target.slice(queryStart + 1),
      body,
    },
  }, options.auth)
  if (!auth.ok) {
    options.requests?.record({
      service: 'data',
      who: presentedCaller(request.headers),
      what: describeBody(options.simulator.schema, body.toString('utf8'), options.rules()),
      decision: 'refused',
      status: auth.status,
      reason: `${auth.errorType}: ${auth.message}`,
    })
    return fail(response, auth.status, auth.errorType, auth.message)
  }

  const text = body.toString('utf8')
  if (text.trim() === '') return fail(response, 400, 'MalformedHttpRequestException', 'Request body is empty.')

  const unparsable = () => fail(response, 400, 'MalformedHttpRequestException', 'Unable to parse GraphQL query.')
  let payload: { query?: unknown, variables?: unknown, operationName?: unknown }
  let document: DocumentNode
  try {
    payload = JSON.parse(text) as typeof payload
    if (!payload || typeof payload !== 'object' || Array.isArray(payload) || typeof payload.query !== 'string') return unparsable()
    document = graphql.parse(payload.query)
  }
  catch {
    return unparsable()
  }
  const { variables, operationName } = payload
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return unparsable()
  if (operationName != null && typeof operationName !== 'string') return unparsable()

  const { schema } = options.simulator
  const rules = options.rules()
  const fields = rootFields(schema, document, operationName ?? undefined, rules)
  const record = (outcome: Pick<RequestRecord, 'decision' | 'status' | 'reason'>) =>
    options.requests?.record({ service: 'data', who: requestCaller(auth.caller, request.headers), what: describeFields(fields), ...outcome })
  const denied = authorizeFields(auth.caller, schema, document, operationName ?? undefined, options.auth.iam, options.apiArn)
  if (denied) {
    record({ decision: 'refused', status: denied.status, reason: shortReason(denied.reason ?? `${denied.errorType}: ${denied.message}`) })
    return fail(response, denied.status, denied.errorType, denied.message)
  }

  const context: LocalExecutionContext = {
    ...executionIdentity(auth.caller),
    sourceIp: request.socket.remoteAddress,
    headers: request.headers,
    appsyncErrors: [],
  }
  const result = await executeOperation(schema, document, (variables ?? undefined) as Record<string, unknown> | undefined, operationName ?? undefined, context)
  if (options.requests) record({ status: 200, ...outcomeOf(result, fields, auth.caller, rules) })
  sendJson(response, 200, result, { contentType: JSON_UTF8 })
}

/**
 * Runs one query or mutation in-process as `caller`, through what a request over HTTP meets once
 * authenticated: IAM field authorization, validation, the resolvers (and their auth rules), and the
 * realtime events of a mutation. The sandbox console edits data this way as the sandbox's admin, as
 * the AWS console's data manager does with an admin IAM role.
 */
export async function executeAs(options: GraphqlHandlerOptions, caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
  let document: DocumentNode
  try {
    document = graphql.parse(query)
  }
  catch (error) {
    return { data: null, errors: [{ path: null, locations: null, message: (error as Error).message }] }
  }
  const denied = authorizeFields(caller, options.simulator.schema, document, undefined, options.auth.iam, options.apiArn)
  if (denied) return { data: null, errors: [{ path: null, locations: null, errorType: denied.errorType, message: denied.message }] }
  return executeOperation(options.simulator.schema, document, variables, undefined, { ...executionIdentity(caller), headers: {}, appsyncErrors: [] })
}

/** An AppSync error answer; `close` for refusals sent before the body was read. */
function fail(response: ServerResponse, status: number, errorType: string, message: string, close = false): void {
  sendJson(response, status, { errors: [{ errorType, message }] }, { contentType: JSON_UTF8, errorType, close })
}
