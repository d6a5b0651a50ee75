/**
 * The HTTP face of the local pool: Cognito's JSON-RPC protocol (`POST /` + `X-Amz-Target`), CORS as
 * the real endpoint answers it, the JWKS and the sandbox's message list (JSON, or a page for browsers).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { AMZ_JSON, sendError } from '../core/aws-json'
import { allowCors, answerPreflight, guard, headerValue, isLoopbackHost, parseUrl, PayloadTooLargeError, preferredType, readBody, send, sendJson, type CorsPolicy } from '../core/http'
import { CognitoError, internalError, requestTooLarge } from './errors'
import { MAILBOX_CSP, mailboxPage } from './mailbox'
import { call } from './operations'
import type { LocalPool } from './pool'

const MAX_BODY_BYTES = 64 * 1024

const CORS: CorsPolicy = {
  methods: ['POST', 'GET', 'OPTIONS'],
  allowHeaders: [
    'content-type', 'x-amz-target', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request', 'cache-control',
    // A page may sign admin calls with credentials it holds (as AWS SDKs in browsers do).
    'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256',
  ],
  exposeHeaders: ['x-amzn-requestid', 'x-amzn-errortype', 'date'],
  // As the real endpoint answers preflights.
  preflightStatus: 200,
}

const MAILBOX_PATH = '/__sandbox/messages'

/** The codes the pool "sent": a page for a browser, JSON for scripts; only as 127.0.0.1 or localhost (no rebound name). */
function serveMailbox(pool: LocalPool, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (!isLoopbackHost(headerValue(req.headers.host), req.socket.localPort ?? 0)) return sendJson(res, 421, { message: 'The mailbox answers only as 127.0.0.1 or localhost' })
  const to = url.searchParams.get('to') ?? undefined
  const messages = pool.state.listMessages(to)
  res.setHeader('vary', 'accept')
  res.setHeader('cache-control', 'no-store')
  // Scripts and tests (and anything that does not ask for HTML first) get the JSON list.
  if (preferredType(headerValue(req.headers.accept), ['application/json', 'text/html']) === 'text/html') {
    res.setHeader('content-security-policy', MAILBOX_CSP)
    send(res, 200, mailboxPage(messages, to), { contentType: 'text/html; charset=utf-8' })
  }
  else {
    sendJson(res, 200, messages)
  }
}

export function createHandler(pool: LocalPool): RequestListener {
  // Only a bug gets to the 500; answer as Cognito would rather than leave the client hanging.
  return guard((req, res) => route(pool, req, res), res => sendError(res, internalError()))
}

async function route(pool: LocalPool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = parseUrl(req.url)
  // The mailbox before CORS: its codes let whoever reads them take over an account, so no other
  // site may read them through the developer's browser.
  if (req.method === 'GET' && url.pathname === MAILBOX_PATH) return serveMailbox(pool, req, res, url)
  allowCors(res, CORS)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, CORS)
  if (req.method === 'GET') {
    const path = url.pathname
    if (path === '/.well-known/jwks.json' || path === `/${pool.settings.userPoolId}/.well-known/jwks.json`) sendJson(res, 200, pool.jwks)
    else sendJson(res, 404, { message: 'Not Found' }, { contentType: AMZ_JSON })
    return
  }
  if (req.method !== 'POST') return sendJson(res, 405, { message: 'Method Not Allowed' }, { contentType: AMZ_JSON })

  try {
    const body = await readBody(req, { limit: MAX_BODY_BYTES })
    // As received: a signature covers the path, query, headers and body bytes exactly.
    const url = req.url ?? '/'
    const queryAt = url.indexOf('?')
    const request = {
      method: req.method,
      path: queryAt < 0 ? url : url.slice(0, queryAt),
      query: queryAt < 0 ? '' : url.slice(queryAt + 1),
      headers: req.headers,
      body,
    }
    sendJson(res, 200, await call(pool, headerValue(req.headers['x-amz-target']), request), { contentType: AMZ_JSON })
  }
  catch (error) {
    if (error instanceof PayloadTooLargeError) return sendError(res, requestTooLarge(error.limit))
    if (error instanceof CognitoError) return sendError(res, error)
    throw error
  }
}
