/**
 * The HTTP face of the local pool: Cognito's JSON-RPC protocol (`POST /` + `X-Amz-Target`), CORS as
 * the real endpoint answers it, the JWKS and the sandbox's message list. Request bodies are
 * untrusted: size-capped, parsed defensively, and no failure escapes as an exception.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CognitoError, type Body } from './errors'
import type { LocalPool } from './pool'

const MAX_BODY_BYTES = 64 * 1024
const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS',
  'access-control-allow-headers': 'content-type, x-amz-target, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request, cache-control, authorization',
  'access-control-expose-headers': 'x-amzn-requestid, x-amzn-errortype, date',
  'access-control-max-age': '86400',
}

export function createHandler(pool: LocalPool): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(pool, req, res).catch((error: unknown) => {
      // Only a bug gets here; answer as Cognito would rather than leave the client hanging.
      if (!res.headersSent) sendError(res, new CognitoError('InternalErrorException', 'Internal error', 500))
      else res.destroy(error instanceof Error ? error : undefined)
    })
  }
}

async function route(pool: LocalPool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = parseUrl(req.url)
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { ...CORS_HEADERS, 'content-length': '0' }).end()
    return
  }
  if (req.method === 'GET') {
    const path = url.pathname
    if (path === '/.well-known/jwks.json' || path === `/${pool.settings.userPoolId}/.well-known/jwks.json`) {
      sendJson(res, 200, pool.jwks, 'application/json')
    }
    else if (path === '/__sandbox/messages') {
      sendJson(res, 200, pool.listMessages(url.searchParams.get('to') ?? undefined), 'application/json')
    }
    else {
      sendJson(res, 404, { message: 'Not Found' })
    }
    return
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, { message: 'Method Not Allowed' })
    return
  }

  const target = headerValue(req.headers['x-amz-target'])
  try {
    const body = parseBody(await readBody(req))
    if (!target.startsWith(TARGET_PREFIX)) throw new CognitoError('UnknownOperationException', 'Missing or unknown X-Amz-Target')
    const result = await pool.call(target.slice(TARGET_PREFIX.length), body)
    sendJson(res, 200, result)
  }
  catch (error) {
    if (error instanceof CognitoError) {
      sendError(res, error)
      return
    }
    throw error
  }
}

/** A request target `URL` cannot parse reads as `/`, which routes to a 4xx instead of a 500. */
function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost')
  }
  catch {
    return new URL('http://localhost/')
  }
}

function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? ''
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge(req))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(tooLarge(req))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
    // A client that disconnects mid-body must not leave the request pending forever.
    req.on('close', () => {
      if (!req.complete) reject(new Error('Request aborted'))
    })
  })
}

function tooLarge(req: IncomingMessage): CognitoError {
  // Stop buffering; the rest of the upload is discarded and the connection closed after the reply.
  req.removeAllListeners('data')
  req.resume()
  return new CognitoError('RequestEntityTooLargeException', `Request body exceeds ${MAX_BODY_BYTES} bytes`, 413)
}

function parseBody(raw: Buffer): Body {
  let parsed: unknown
  try {
    parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {}
  }
  catch {
    throw new CognitoError('SerializationException', 'Request body is not valid JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CognitoError('SerializationException', 'Request body must be a JSON object')
  }
  return parsed as Body
}

function sendError(res: ServerResponse, error: CognitoError): void {
  res.setHeader('x-amzn-errortype', error.type)
  if (error.status === 413) res.setHeader('connection', 'close')
  sendJson(res, error.status, { __type: error.type, message: error.message })
}

function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    ...CORS_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  })
  res.end(body)
}
