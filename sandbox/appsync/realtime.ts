/**
 * AppSync's realtime protocol (`graphql-ws` subprotocol, AppSync flavour), as the data client
 * speaks it: https://docs.aws.amazon.com/appsync/latest/devguide/real-time-websocket-client.html
 *
 * Written here rather than reusing the simulator's server because that one reads auth only from
 * `?header=` (aws-amplify v6 sends a `header-<base64url>` subprotocol), checks no token, and lets a
 * malformed message throw inside a socket handler (which ends the process).
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { DocumentNode } from 'graphql'
import { WebSocketServer, type WebSocket } from 'ws'
import { parseUrl } from '../core/http'
import { shortReason, type RequestLog, type RequestRecord } from '../core/requests'
import { graphql } from './graphql'
import { authenticate, authorizeFields, executionIdentity, type Authenticator } from './auth'
import { startSubscription, type AppSyncError, type GraphQLResponse } from './execute'
import type { AuthRules } from './explain'
import { describeFields, outcomeOf, presentedCaller, requestCaller, rootFields } from './requests'
import { GRAPHQL_PATH } from './http'
import type { LocalExecutionContext, LocalSimulator } from './simulator'

export const REALTIME_PATH = `${GRAPHQL_PATH}/realtime`
/**
 * What an IAM client signs instead of the connection itself: a POST of `{}` to `<graphql url>/connect`;
 * each subscription signs a POST of its `data` to the GraphQL URL.
 * https://docs.aws.amazon.com/appsync/latest/devguide/real-time-websocket-client.html#iam
 */
const CONNECT_PATH = `${GRAPHQL_PATH}/connect`
const PROTOCOL = 'graphql-ws'
/** What AppSync announces in `connection_ack`; the client drops the socket after this much silence. */
const CONNECTION_TIMEOUT_MS = 300_000
const KEEP_ALIVE_MS = 60_000
/** A socket that never sends `connection_init` is closed after this long. */
const INIT_TIMEOUT_MS = 30_000
/** AppSync's limit of subscriptions per connection. */
const MAX_SUBSCRIPTIONS = 100
const MAX_MESSAGE_BYTES = 256 * 1024

export interface RealtimeOptions {
  simulator: LocalSimulator
  auth: Authenticator
  /** `arn:aws:appsync:<region>:<account>:apis/<apiId>`: what IAM policies name fields under. */
  apiArn: string
  /** Where each connection's and subscription's caller and outcome are recorded. */
  requests?: RequestLog
  /** The `@auth` rules of the API served now: what explains a refusal. */
  rules: () => AuthRules
}

interface Connection {
  socket: WebSocket
  sourceIp?: string
  /** Auth headers the client connected with (from the subprotocol or `?header=`). */
  headers: Record<string, unknown>
  initialized: boolean
  subscriptions: Map<string, { stop: () => Promise<void> }>
  /** Subscriptions still starting: a `stop` for one of these cancels it. */
  starting: Set<string>
  timers: NodeJS.Timeout[]
}

export class RealtimeServer {
  private readonly wss: WebSocketServer
  private readonly connections = new Set<Connection>()

  constructor(private readonly options: RealtimeOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      // The client offers `graphql-ws` plus `header-<auth>`; only the first is a protocol to pick.
      handleProtocols: protocols => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    })
  }

  /** Takes over an HTTP upgrade request for the realtime path (plain or TLS side). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const headers = connectionHeaders(request)
    if (!headers) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      return
    }
    this.wss.handleUpgrade(request, socket, head, ws => this.accept(ws, request, headers))
  }

  async close(): Promise<void> {
    for (const connection of this.connections) await this.drop(connection, 1001, 'Server shutting down')
    await new Promise<void>(resolve => this.wss.close(() => resolve()))
  }

  private accept(socket: WebSocket, request: IncomingMessage, headers: Record<string, unknown>): void {
    const connection: Connection = { socket, sourceIp: request.socket.remoteAddress, headers, initialized: false, subscriptions: new Map(), starting: new Set(), timers: [] }
    this.connections.add(connection)
    if (socket.protocol !== PROTOCOL) {
      void this.drop(connection, 1002, 'Unsupported protocol')
      return
    }
    connection.timers.push(
      setTimeout(() => {
        if (!connection.initialized) void this.drop(connection, 1008, 'connection_init not received')
      }, INIT_TIMEOUT_MS),
    )
    socket.on('message', (data, isBinary) => {
      this.onMessage(connection, isBinary ? undefined : data.toString()).catch((error: unknown) => {
        this.send(connection, { type: 'error', payload: { errors: [{ errorType: 'InternalFailure', message: (error as Error).message }] } })
      })
    })
    socket.on('close', () => void this.drop(connection))
    socket.on('error', () => void this.drop(connection))
  }

  private async onMessage(connection: Connection, raw: string | undefined): Promise<void> {
    let message: { type?: unknown, id?: unknown, payload?: unknown }
    try {
      message = JSON.parse(raw ?? '') as typeof message
      if (!message || typeof message !== 'object') throw new Error('not an object')
    }
    catch {
      this.send(connection, { type: 'error', payload: { errors: [{ errorType: 'MalformedMessage', message: 'Messages must be JSON objects.' }] } })
      return
    }
    const id = typeof message.id === 'string' ? message.id : undefined
    switch (message.type) {
      case 'connection_init':
        return this.onInit(connection)
      case 'start':
        return this.onStart(connection, id, message.payload)
      case 'stop':
        if (id) {
          connection.starting.delete(id)
          await this.stopSubscription(connection, id)
        }
        this.send(connection, { type: 'complete', id })
        return
      default:
        this.send(connection, {
          type: 'error',
          id,
          payload: { errors: [{ errorType: 'UnsupportedOperation', message: `${String(message.type)} not supported through the realtime channel` }] },
        })
    }
  }

  private async onInit(connection: Connection): Promise<void> {
    const auth = await authenticate({ headers: connection.headers, signed: { method: 'POST', path: CONNECT_PATH, query: '', body: '{}' } }, this.options.auth)
    if (!auth.ok) {
      this.options.requests?.record({ service: 'data', who: presentedCaller(connection.headers), what: 'realtime connection', decision: 'refused', status: auth.status, reason: `${auth.errorType}: ${auth.message}` })
      // A 4xx errorCode makes the client give up instead of retrying with the same credentials.
      this.send(connection, { type: 'connection_error', payload: { errors: [{ errorType: auth.errorType, message: auth.message, errorCode: auth.status }] } })
      await this.drop(connection, 1000, 'Unauthorized')
      return
    }
    this.send(connection, { type: 'connection_ack', payload: { connectionTimeoutMs: CONNECTION_TIMEOUT_MS } })
    this.send(connection, { type: 'ka' })
    if (connection.initialized) return
    connection.initialized = true
    connection.timers.push(setInterval(() => this.send(connection, { type: 'ka' }), KEEP_ALIVE_MS))
  }

  private async onStart(connection: Connection, id: string | undefined, payload: unknown): Promise<void> {
    const fail = (errors: Array<Partial<AppSyncError> & { message: string }>) => this.send(connection, { type: 'error', id, payload: { errors } })
    if (!id) return fail([{ errorType: 'BadRequestException', message: 'A start message needs an id.' }])
    if (!connection.initialized) return fail([{ errorType: 'BadRequestException', message: 'Send connection_init first.' }])
    if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS && !connection.subscriptions.has(id)) {
      return fail([{ errorType: 'LimitExceededError', message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection.` }])
    }
    const { data, extensions } = (payload ?? {}) as { data?: unknown, extensions?: { authorization?: unknown } }
    let request: { query?: unknown, variables?: unknown, operationName?: unknown }
    let document: DocumentNode
    try {
      request = JSON.parse(String(data)) as typeof request
      document = graphql.parse(String(request.query))
    }
    catch {
      return fail([{ errorType: 'MalformedHttpRequestException', message: 'Unable to parse GraphQL query.' }])
    }
    const variables = request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : undefined
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined

    // Every subscription is authorized on its own (the token may differ from the connection's).
    const headers = extensions?.authorization && typeof extensions.authorization === 'object' ? (extensions.authorization as Record<string, unknown>) : {}
    const auth = await authenticate({ headers, signed: { method: 'POST', path: GRAPHQL_PATH, query: '', body: String(data) } }, this.options.auth)
    const { schema } = this.options.simulator
    const rules = this.options.rules()
    const fields = rootFields(schema, document, operationName, rules)
    if (!auth.ok) {
      this.options.requests?.record({ service: 'data', who: presentedCaller(headers), what: describeFields(fields), decision: 'refused', status: auth.status, reason: `${auth.errorType}: ${auth.message}` })
      return fail([{ errorType: auth.errorType, message: auth.message }])
    }
    // Subscriptions are recorded as they start (or are refused), not per event delivered.
    const record = (outcome: Pick<RequestRecord, 'decision' | 'status' | 'reason'>) =>
      this.options.requests?.record({ service: 'data', who: requestCaller(auth.caller, headers), what: describeFields(fields), ...outcome })
    const denied = authorizeFields(auth.caller, schema, document, operationName, this.options.auth.iam, this.options.apiArn)
    if (denied) {
      record({ decision: 'refused', status: denied.status, reason: shortReason(denied.reason ?? `${denied.errorType}: ${denied.message}`) })
      return fail([{ errorType: denied.errorType, message: denied.message }])
    }

    await this.stopSubscription(connection, id)
    connection.starting.add(id)
    const context: LocalExecutionContext = {
      ...executionIdentity(auth.caller),
      sourceIp: connection.sourceIp,
      headers,
      appsyncErrors: [],
    }
    let started: Awaited<ReturnType<typeof startSubscription>>
    let cancelled: boolean
    try {
      started = await startSubscription(schema, document, variables, operationName, context)
    }
    catch (error) {
      console.error('[sandbox:data] Subscription failed to start', error)
      record({ decision: 'failed', status: 500, reason: shortReason(`InternalFailure: ${(error as Error).message}`) })
      return fail([{ errorType: 'InternalFailure', message: (error as Error).message }])
    }
    finally {
      // A `stop` that arrived meanwhile took the id out of `starting`.
      cancelled = !connection.starting.delete(id)
    }
    if (started.ok) record({ decision: 'allowed', status: 200 })
    else if (started.response.errors?.length) record({ status: 200, ...outcomeOf(started.response, fields, auth.caller, rules) })
    else record({ decision: 'failed', status: 200, reason: 'Subscription failed' })
    if (!started.ok) return fail(started.response.errors ?? [{ message: 'Subscription failed' }])
    if (cancelled || !this.connections.has(connection) || connection.socket.readyState !== connection.socket.OPEN) {
      await started.stop()
      return
    }
    connection.subscriptions.set(id, { stop: started.stop })
    // Pumping first registers the listener (synchronously) before the client hears it may mutate.
    void this.pump(connection, id, started.events)
    this.send(connection, { type: 'start_ack', id })
  }

  private async pump(connection: Connection, id: string, events: AsyncIterableIterator<GraphQLResponse>): Promise<void> {
    try {
      for await (const event of events) this.send(connection, { type: 'data', id, payload: event })
    }
    catch (error) {
      this.send(connection, { type: 'error', id, payload: { errors: [{ errorType: 'InternalFailure', message: (error as Error).message }] } })
    }
  }

  private async stopSubscription(connection: Connection, id: string): Promise<void> {
    const subscription = connection.subscriptions.get(id)
    if (!subscription) return
    connection.subscriptions.delete(id)
    await subscription.stop().catch(() => {})
  }

  private async drop(connection: Connection, code?: number, reason?: string): Promise<void> {
    if (!this.connections.delete(connection)) return
    for (const timer of connection.timers) clearTimeout(timer)
    for (const id of [...connection.subscriptions.keys()]) await this.stopSubscription(connection, id)
    if (connection.socket.readyState === connection.socket.OPEN || connection.socket.readyState === connection.socket.CONNECTING) {
      if (code) connection.socket.close(code, reason)
      else connection.socket.terminate()
    }
  }

  private send(connection: Connection, message: { type: string, id?: string, payload?: unknown }): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(JSON.stringify(message))
  }
}

/**
 * The auth headers of a realtime connection: aws-amplify v6 sends them base64url-encoded in a
 * `header-…` subprotocol, other clients (and AppSync's docs) in `?header=` (base64).
 * Returns undefined when present but unreadable.
 */
function connectionHeaders(request: IncomingMessage): Record<string, unknown> | undefined {
  const url = parseUrl(request.url)
  const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map(p => p.trim())
  const encoded = protocols.find(p => p.startsWith('header-'))?.slice('header-'.length) ?? url.searchParams.get('header')
  if (!encoded) return {}
  try {
    // Node's base64 decoder accepts both alphabets, padded or not.
    const decoded = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown
    return decoded && typeof decoded === 'object' && !Array.isArray(decoded) ? (decoded as Record<string, unknown>) : undefined
  }
  catch {
    return undefined
  }
}
