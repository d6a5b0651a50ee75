/**
 * GraphQL over HTTP at `/graphql`, answering the way AppSync does (status codes and error bodies as
 * the AppSync team documented them in https://github.com/graphql/graphql-over-http/issues/81).
 * Bodies are untrusted: size-capped, parsed defensively, and no request can crash the process.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DocumentNode } from 'graphql'
import { graphql } from './graphql'
import { authorize, type AuthModes } from './auth'
import { executeOperation } from './execute'
import type { LocalExecutionContext, LocalSimulator } from './simulator'
import type { UserPool } from '../types'

export const GRAPHQL_PATH = '/graphql'
/** AppSync's own request limit is of this order; local payloads are far smaller. */
const MAX_BODY_BYTES = 1024 * 1024

export interface GraphqlHandlerOptions {
  simulator: LocalSimulator
  modes: () => AuthModes
  verifyToken: UserPool['verifyToken']
}

type ErrorBody = { errors: Array<{ errorType: string, message: string }> }
const errorBody = (errorType: string, message: string): ErrorBody => ({ errors: [{ errorType, message }] })

export function createGraphqlHandler(options: GraphqlHandlerOptions) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(options, request, response).catch((error: unknown) => {
      // Anything unexpected is this server's fault, reported as AppSync reports its own failures.
      if (!response.headersSent) send(response, 500, errorBody('InternalFailure', (error as Error).message))
      else response.destroy()
    })
  }
}

async function handle(options: GraphqlHandlerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Pages served from another origin (the Nuxt dev server) call the API cross-origin, as with AppSync.
  response.setHeader('Access-Control-Allow-Origin', '*')
  response.setHeader('Access-Control-Expose-Headers', 'x-amzn-RequestId, x-amzn-ErrorType')
  const path = new URL(request.url ?? '/', 'http://localhost').pathname
  if (path !== GRAPHQL_PATH) return reject(request, response, 404, errorBody('NotFoundException', `No route for ${path}`))
  if (request.method === 'OPTIONS') {
    response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS')
    response.setHeader('Access-Control-Allow-Headers', String(request.headers['access-control-request-headers'] ?? 'authorization, content-type'))
    response.setHeader('Access-Control-Max-Age', '86400')
    response.writeHead(204).end()
    return
  }
  if (request.method !== 'POST') return reject(request, response, 405, errorBody('MethodNotAllowedException', 'Use POST for queries and mutations.'))

  const auth = await authorize(request.headers, options.modes(), options.verifyToken)
  if (!auth.ok) return reject(request, response, 401, errorBody(auth.errorType, auth.message))

  const body = await readBody(request)
  if (body === 'too-large') return reject(request, response, 413, errorBody('PayloadTooLargeException', `Request body exceeds ${MAX_BODY_BYTES} bytes.`))
  if (body === 'aborted') return
  if (body.trim() === '') return send(response, 400, errorBody('MalformedHttpRequestException', 'Request body is empty.'))

  const unparsable = () => send(response, 400, errorBody('MalformedHttpRequestException', 'Unable to parse GraphQL query.'))
  let payload: { query?: unknown, variables?: unknown, operationName?: unknown }
  let document: DocumentNode
  try {
    payload = JSON.parse(body) as typeof payload
    if (!payload || typeof payload !== 'object' || Array.isArray(payload) || typeof payload.query !== 'string') return unparsable()
    document = graphql.parse(payload.query)
  }
  catch {
    return unparsable()
  }
  const { variables, operationName } = payload
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return unparsable()
  if (operationName != null && typeof operationName !== 'string') return unparsable()

  const context: LocalExecutionContext = {
    jwt: auth.claims as Record<string, unknown>,
    requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS',
    sourceIp: request.socket.remoteAddress,
    headers: request.headers,
    appsyncErrors: [],
  }
  const result = await executeOperation(options.simulator.schema, document, (variables ?? undefined) as Record<string, unknown> | undefined, operationName ?? undefined, context)
  send(response, 200, result)
}

/** Answers before reading the body; the connection is closed so an unread body cannot linger. */
function reject(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  response.setHeader('Connection', 'close')
  send(response, status, body)
  request.resume()
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  const errorType = status >= 400 ? (body as Partial<ErrorBody>).errors?.[0]?.errorType : undefined
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(json),
    'x-amzn-RequestId': randomUUID(),
    // AWS clients (aws-amplify included) name the error after this header, not the body.
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  }).end(json)
}

function readBody(request: IncomingMessage): Promise<string | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length'])
    if (declared > MAX_BODY_BYTES) return resolve('too-large')
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data')
        resolve('too-large')
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', () => resolve('aborted'))
    request.on('aborted', () => resolve('aborted'))
  })
}
