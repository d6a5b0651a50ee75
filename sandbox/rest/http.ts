/**
 * The local API Gateway's HTTP face: `/<rest api id>/<stage>/<path>` is routed through the API's
 * resource tree (./routing.ts), the body read (10 MB at most, as API Gateway takes), the method's
 * authorization applied (./auth.ts), an API key asked for where the method requires one, then the
 * integration run: a Lambda proxy integration invokes the function with the proxy event
 * (./event.ts) within the integration's timeout and sends back what it answered (./response.ts);
 * a MOCK integration (CORS preflights) answers from its integration response. Refusals are API
 * Gateway's, customized by the API's gateway responses when it has them.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { InvokeResult } from '../functions'
import { guard, headerValue, PayloadTooLargeError, readBody } from '../core/http'
import { ANONYMOUS, claimsCaller, principalCaller, shortReason, type RequestCaller, type RequestLog } from '../core/requests'
import { authorize, type Authorizers } from './auth'
import * as errors from './errors'
import { proxyEvent } from './event'
import { proxyResponse } from './response'
import { executeApiArn, matchRoute, methodFor, pathSegments } from './routing'
import type { Integration, RestApiSettings } from './settings'

/** API Gateway's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024

/** Function errors that mean the integration could not run at all (API Gateway's 500, not the function's 502). */
const NOT_RUN = new Set(['ResourceNotFoundException', 'Runtime.Unsupported', 'Runtime.CodeNotFound'])

export interface RestService extends Authorizers {
  region: string
  accountId: string
  /** The APIs served now, by id. */
  api(id: string): RestApiSettings | undefined
  /** Runs a function by ARN with an event (sandbox/functions). */
  invoke(functionArn: string, event: unknown): Promise<InvokeResult>
  log(line: string): void
  /** Where each call's caller, route and outcome are recorded. */
  requests?: RequestLog
}

export function createRestHandler(service: RestService): RequestListener {
  return guard(
    (req, res) => handle(service, req, res),
    (res, error) => {
      service.log(`REST: internal error: ${(error as Error).stack ?? String(error)}`)
      sendError(res, errors.internalError())
    },
  )
}

/** What one request is about, as far as it got: an error answer is customized by its API's gateway responses. */
interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  requestId: string
  api?: RestApiSettings
  /** For the request log: who, once the method's authorization established it, and the route. */
  who: RequestCaller
  what: string
  /** Set once the path and method name one of the API's methods: a 403 before that is no refusal of the caller. */
  routed?: boolean
}

async function handle(service: RestService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID()
  // Never the query: an app may put anything in it.
  const exchange: Exchange = { req, res, requestId, who: ANONYMOUS, what: `${(req.method ?? 'GET').toUpperCase()} ${(req.url ?? '/').split('?')[0]!.slice(0, 300)}` }
  res.setHeader('x-amzn-RequestId', requestId)
  res.setHeader('x-amz-apigw-id', randomBytes(12).toString('base64').replace(/=+$/, ''))
  try {
    await serve(service, exchange)
    service.requests?.record({ service: 'rest', who: exchange.who, what: exchange.what, decision: res.statusCode >= 400 ? 'failed' : 'allowed', status: res.statusCode })
  }
  catch (error) {
    if (!(error instanceof errors.GatewayError)) throw error
    const refused = exchange.routed === true && (error.status === 401 || error.status === 403)
    service.requests?.record({
      service: 'rest',
      who: error.caller ?? exchange.who,
      what: exchange.what,
      decision: refused ? 'refused' : 'failed',
      status: error.status,
      reason: shortReason(error.reason ?? `${error.errorType ?? error.responseType}: ${error.message}`),
    })
    sendError(res, error, exchange)
  }
}

async function serve(service: RestService, exchange: Exchange): Promise<void> {
  const { req, res, requestId } = exchange
  const target = req.url ?? '/'
  const queryAt = target.indexOf('?')
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt)
  const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1)
  const [, apiId = '', stage = '', ...rest] = rawPath.split('/')
  const api = service.api(apiId)
  if (!api) throw errors.noSuchApi(apiId)
  exchange.api = api
  const stageName = safeDecode(stage)
  if (stageName === undefined || !api.stages.has(stageName)) throw errors.forbidden()

  const httpMethod = (req.method ?? 'GET').toUpperCase()
  const segments = pathSegments(rest.join('/'))
  const route = segments && matchRoute(api.root, segments)
  const method = route && methodFor(route.resource, httpMethod)
  if (segments) exchange.what = `${httpMethod} /${stageName}/${segments.join('/')} on ${api.name}`
  if (!segments || !route || !method) throw errors.because(errors.missingAuthenticationToken(), `${api.name} has no ${httpMethod} method at this path`)
  exchange.routed = true

  const body = await readBody(req, { limit: MAX_BODY_BYTES }).catch((error: unknown) => {
    throw error instanceof PayloadTooLargeError ? errors.requestTooLarge() : error
  })
  const where = { region: service.region, accountId: service.accountId, apiId: api.id, stage: stageName }
  const caller = await authorize(method, { method: httpMethod, rawPath, rawQuery, headers: req.headers, body, executeArn: executeApiArn(where, httpMethod, segments) }, service)
  exchange.who = caller.kind === 'iam' ? principalCaller(caller.principal) : caller.kind === 'cognito' ? claimsCaller(caller.claims) : ANONYMOUS
  const apiKey = headerValue(req.headers['x-api-key']) || undefined
  if (method.apiKeyRequired && !apiKey) throw errors.because(errors.invalidApiKey(), 'the method requires an API key (x-api-key) and none was sent')

  const { integration } = method
  switch (integration.type) {
    case 'MOCK':
      return answerMock(exchange, integration)
    case 'UNSUPPORTED':
      throw errors.integrationMisconfigured()
    case 'LAMBDA_PROXY': {
      const event = proxyEvent({
        request: { httpMethod, rawHeaders: req.rawHeaders, rawQuery, body, sourceIp: sourceIp(req), protocol: `HTTP/${req.httpVersion}` },
        target: {
          ...where,
          stageVariables: api.stages.get(stageName)!,
          binaryMediaTypes: api.binaryMediaTypes,
          resourcePath: route.resource.path,
          resourceId: route.resource.id,
          path: `/${segments.join('/')}`,
          pathParameters: route.pathParameters,
        },
        caller,
        requestId,
        extendedRequestId: res.getHeader('x-amz-apigw-id') as string,
        ...(apiKey ? { apiKey } : {}),
        now: new Date(),
      })
      return answerFromLambda(service, exchange, `${method.httpMethod} ${route.resource.path}`, integration, event, api.stages.get(stageName)!)
    }
  }
}

/** `method` is `GET /items/{proxy+}`, for the log. */
async function answerFromLambda(service: RestService, exchange: Exchange, method: string, integration: Extract<Integration, { type: 'LAMBDA_PROXY' }>, event: unknown, stageVariables: Record<string, string>): Promise<void> {
  const { req, res, api } = exchange
  // A function named through a stage variable (`…:function:${stageVariables.fn}`).
  const functionArn = integration.functionArn.replace(/\$\{stageVariables\.([^}]+)\}/g, (_, name: string) => stageVariables[name] ?? '')
  const where = `REST API ${api!.name}: ${method}`
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), integration.timeoutMs)
  })
  const result = await Promise.race([service.invoke(functionArn, event), timedOut]).finally(() => clearTimeout(timer))
  if (result === 'timeout') {
    service.log(`${where}: the function did not answer within the integration's ${integration.timeoutMs} ms: 504`)
    throw errors.integrationTimedOut()
  }
  if (!result.ok) {
    service.log(`${where}: ${result.error.errorType}: ${result.error.errorMessage}`)
    // Lambda takes 6 MB of event where API Gateway takes 10 MB of body: what passes one may not pass the other.
    if (result.error.errorType === 'RequestEntityTooLargeException') throw errors.requestTooLarge()
    throw NOT_RUN.has(result.error.errorType) ? errors.integrationMisconfigured() : errors.lambdaFailed()
  }
  const answer = proxyResponse(result.payload, { accept: headerValue(req.headers.accept), binaryMediaTypes: api!.binaryMediaTypes })
  if (!answer.ok) {
    service.log(`${where}: ${answer.reason}: 502`)
    throw errors.lambdaFailed()
  }
  // Appended one by one: a repeated header (Set-Cookie) keeps every value.
  for (const [name, value] of answer.headers) res.appendHeader(name, value)
  res.setHeader('content-length', answer.body.length)
  res.writeHead(answer.statusCode)
  res.end(answer.body)
}

/** A MOCK integration: the integration response its status selects, with its static headers and body. */
function answerMock(exchange: Exchange, integration: Extract<Integration, { type: 'MOCK' }>): void {
  const status = String(integration.statusCode)
  const chosen = integration.responses.find(response => response.selectionPattern !== undefined && matchesWhole(response.selectionPattern, status))
    ?? integration.responses.find(response => response.selectionPattern === undefined)
  if (!chosen) throw errors.integrationMisconfigured()
  const body = Buffer.from(chosen.body ?? '')
  exchange.res.writeHead(chosen.statusCode, { 'content-type': 'application/json', ...mappedHeaders(chosen.headers, exchange.req), 'content-length': body.length })
  exchange.res.end(body)
}

function sendError(res: ServerResponse, error: errors.GatewayError, exchange?: Exchange): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const custom = exchange?.api?.gatewayResponses
  const settings = custom?.get(error.responseType) ?? custom?.get(error.status < 500 ? 'DEFAULT_4XX' : 'DEFAULT_5XX')
  const body = Buffer.from(settings?.template === undefined
    ? error.body
    : settings.template
        .replaceAll('$context.error.messageString', JSON.stringify(error.message))
        .replaceAll('$context.error.message', error.message)
        .replaceAll('$context.error.responseType', error.responseType)
        .replaceAll('$context.requestId', exchange?.requestId ?? ''))
  // A refused body is not read: the connection closes after the answer.
  const unread = exchange !== undefined && !exchange.req.complete
  if (unread) res.setHeader('connection', 'close')
  res.writeHead(settings?.statusCode ?? error.status, {
    'content-type': 'application/json',
    ...(error.errorType ? { 'x-amzn-ErrorType': error.errorType } : {}),
    ...(settings && exchange ? mappedHeaders(settings.headers, exchange.req) : {}),
    'content-length': body.length,
  })
  res.end(body)
  if (unread) exchange.req.resume()
}

/** Integration and gateway response header mappings: `'literal'`, or `method.request.header.<name>` (the request's). */
function mappedHeaders(mappings: Record<string, string>, req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, mapping] of Object.entries(mappings)) {
    const literal = /^'(.*)'$/s.exec(mapping)?.[1]
    const fromRequest = /^method\.request\.header\.(.+)$/.exec(mapping)?.[1]
    const value = literal ?? (fromRequest ? headerValue(req.headers[fromRequest.toLowerCase()]) : undefined)
    if (value) headers[name] = value
  }
  return headers
}

function matchesWhole(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 's').test(text)
  }
  catch {
    return false
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  }
  catch {
    return undefined
  }
}

function sourceIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
}
