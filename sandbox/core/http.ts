/**
 * The HTTP plumbing every local service shares, so each service's `http.ts` is only its routes:
 * bounded body reading, replies shaped as AWS services send them, CORS, URL parsing, a guard
 * that keeps one bad request from taking the process down, and a 4xx for HTTP no route could read.
 * Requests are untrusted throughout.
 *
 * Bodies are read by the route that wants them, never up front: a route may stream `req` itself
 * (large uploads), checking `declaredLength` first and answering with `close: true` to refuse.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

/** The body exceeds what the route accepts; the route answers 413 in its own shape, with `close: true`. */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError'
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`)
  }
}

/** The client went away before its body arrived: there is no one left to answer. */
export class RequestAbortedError extends Error {
  override name = 'RequestAbortedError'
  constructor() {
    super('The client aborted the request')
  }
}

export function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? ''
}

/** The Content-Length the client declared, if any. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const length = Number(req.headers['content-length'])
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined
}

/**
 * The whole body, at most `limit` bytes: rejects with `PayloadTooLargeError` as soon as the
 * declared or received size passes it (the rest is then read and dropped), and with
 * `RequestAbortedError` when the client disconnects first. It always settles.
 */
export function readBody(req: IncomingMessage, { limit }: { limit: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded) return reject(new Error('The request body was already read'))
    if (req.destroyed) return reject(new RequestAbortedError())
    if ((declaredLength(req) ?? 0) > limit) {
      discardBody(req)
      return reject(new PayloadTooLargeError(limit))
    }
    const chunks: Buffer[] = []
    let size = 0
    const settle = (error?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose)
      if (error) reject(error)
      else resolve(Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else {
        settle(new PayloadTooLargeError(limit))
        discardBody(req)
      }
    }
    const onEnd = () => settle()
    const onAbort = () => settle(new RequestAbortedError())
    const onClose = () => {
      if (!req.complete) onAbort()
    }
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose)
  })
}

/** Reads what is left of the body and drops it, so the client can finish sending and see the answer. */
function discardBody(req: IncomingMessage): void {
  req.resume()
}

export interface ReplyOptions {
  /** Default `application/json` for `sendJson`, `application/octet-stream` for `send`. */
  contentType?: string
  /** `x-amzn-ErrorType`: AWS clients (aws-amplify included) name the error after it, not the body. */
  errorType?: string
  /** Close the connection after this answer, discarding the unread body: for answers that refuse one. */
  close?: boolean
}

export function send(res: ServerResponse, status: number, body: string | Buffer, options: ReplyOptions = {}): void {
  if (options.close) res.setHeader('connection', 'close')
  res.writeHead(status, {
    'content-type': options.contentType ?? 'application/octet-stream',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
    ...(options.errorType ? { 'x-amzn-ErrorType': options.errorType } : {}),
  })
  res.end(body)
  if (options.close) discardBody(res.req)
}

export function sendJson(res: ServerResponse, status: number, value: unknown, options: ReplyOptions = {}): void {
  send(res, status, JSON.stringify(value), { ...options, contentType: options.contentType ?? 'application/json' })
}

/** What a service lets browsers on other origins (the Nuxt dev server) do. */
export interface CorsPolicy {
  methods: readonly string[]
  /** Request headers a preflight allows. */
  allowHeaders: readonly string[]
  /** Allow whatever headers the preflight asks for (apps may add their own); `allowHeaders` when it asks none. */
  allowRequestedHeaders?: boolean
  /** Response headers page scripts may read. */
  exposeHeaders: readonly string[]
  /** Default 204. */
  preflightStatus?: number
}

/** Marks this answer, whatever it turns out to be, as readable from any origin. */
/**
 * Whether a `Host` header names this machine's loopback service on `port` (`127.0.0.1:<port>` or
 * `localhost:<port>`), not a public name that a DNS-rebinding site points at 127.0.0.1.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`
}

export function allowCors(res: ServerResponse, policy: CorsPolicy): void {
  res.setHeader('access-control-allow-origin', '*')
  res.setHeader('access-control-expose-headers', policy.exposeHeaders.join(', '))
}

export function answerPreflight(req: IncomingMessage, res: ServerResponse, policy: CorsPolicy): void {
  allowCors(res, policy)
  const requested = policy.allowRequestedHeaders ? headerValue(req.headers['access-control-request-headers']) : ''
  const status = policy.preflightStatus ?? 204
  res.writeHead(status, {
    'access-control-allow-methods': policy.methods.join(', '),
    'access-control-allow-headers': requested || policy.allowHeaders.join(', '),
    'access-control-max-age': '86400',
    ...(status === 204 ? {} : { 'content-length': 0 }),
  }).end()
}

/**
 * Which of `offered` (media types, most wanted first) the request's `Accept` header prefers: the
 * highest quality, the earlier offer on a tie, the first offer without a header. `*` ranges count
 * for less than a type named outright, as RFC 9110 (12.5.1) says.
 */
export function preferredType(accept: string | undefined, offered: readonly [string, ...string[]]): string {
  if (!accept) return offered[0]
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map(piece => piece.trim().toLowerCase())
    const q = params.find(param => param.startsWith('q='))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    return { range, quality: Number.isFinite(quality) ? Math.min(Math.max(quality, 0), 1) : 0 }
  })
  const qualityOf = (type: string) => {
    let specificity = -1
    let quality = 0
    for (const { range, quality: q } of ranges) {
      const rank = range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1
      if (rank > specificity) [specificity, quality] = [rank, q]
    }
    return quality
  }
  let best = offered[0]
  let bestQuality = qualityOf(best)
  for (const type of offered.slice(1)) {
    const quality = qualityOf(type)
    if (quality > bestQuality) [best, bestQuality] = [type, quality]
  }
  return best
}

/** The request target as a URL; one `URL` cannot parse (`//`, `http://[`) reads as `/` and routes to a 4xx. */
export function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost')
  }
  catch {
    return new URL('http://localhost/')
  }
}

/**
 * A request listener around an async route. Whatever the route throws becomes the service's own
 * 500 (`internalError`), or a closed connection once headers are out, instead of an unhandled
 * rejection that would stop the process.
 */
export function guard(
  route: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  internalError: (res: ServerResponse, error: unknown) => void,
): RequestListener {
  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent || error instanceof RequestAbortedError) {
        res.destroy()
        return
      }
      try {
        internalError(res, error)
      }
      catch {
        res.destroy()
      }
    })
  }
}

/** What Node answers to HTTP it cannot parse, by the parser's error code (anything else: 400). */
const MALFORMED_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
}
/** How long a refused connection may take to read its answer and hang up before it is cut. */
const REFUSED_LINGER_MS = 5_000

/**
 * Answers HTTP that `server` cannot parse (a garbage request line, headers past Node's limit,
 * Content-Length with Transfer-Encoding...) as Node does without a 'clientError' listener: 400,
 * 431 or 408, then the connection closes. Unlike Node's own handler, requests read whole before
 * the garbage (pipelined) keep their answers, which go out first; a request the garbage cut short
 * is refused at once, as Node does.
 */
export function answerMalformedRequests(server: Server): void {
  const inFlight = new WeakMap<Duplex, Set<ServerResponse>>()
  const refused = new WeakSet<Duplex>()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let pending = inFlight.get(req.socket)
    if (!pending) inFlight.set(req.socket, (pending = new Set()))
    pending.add(res)
    const done = () => pending.delete(res)
    res.once('finish', done).once('close', done)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The parser reports every chunk that arrives after its first error: one answer is enough.
    if (refused.has(socket)) return
    refused.add(socket)
    const pending = [...(inFlight.get(socket) ?? [])]
    if (pending.some(res => !res.req.complete)) {
      // Its handler waits for a body that will not come: the connection goes as soon as the
      // refusal is out (if nothing of the handler's answer is), which aborts the request.
      if (pending.every(res => !res.headersSent)) refuseConnection(socket, error, { closeWhenSent: true })
      else socket.destroy()
      return
    }
    void Promise.all(pending.map(responseDone)).then(() => refuseConnection(socket, error, { closeWhenSent: false }))
  })
}

function responseDone(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.writableFinished || res.destroyed) return resolve()
    res.once('finish', resolve).once('close', resolve)
  })
}

/**
 * Answers `error` with the status Node would and closes the connection. Unless `closeWhenSent`, it
 * first reads (and drops) what the client still sends until it hangs up, for a while: closing with
 * bytes unread sends a reset, which can make the client lose the answer before reading it.
 */
function refuseConnection(socket: Duplex, error: NodeJS.ErrnoException, { closeWhenSent }: { closeWhenSent: boolean }): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy()
    return
  }
  const status = MALFORMED_ANSWERS[error.code ?? ''] ?? '400 Bad Request'
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  // The answer is handed to the kernel by now (Node's own handler writes and destroys as well); a
  // callback for it would wait for ever on a client that reset the connection under TLS.
  if (closeWhenSent) {
    socket.destroy()
    return
  }
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
}
