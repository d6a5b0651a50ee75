/**
 * The HTTP face of the local pool: Cognito's JSON-RPC protocol (`POST /` + `X-Amz-Target`), CORS as
 * the real endpoint answers it, the JWKS and the sandbox's message list (JSON, or a page for browsers).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { decodeJwt } from 'jose'
import { AMZ_JSON, sendError } from '../core/aws-json'
import { allowCors, answerPreflight, guard, headerValue, isLoopbackHost, parseUrl, PayloadTooLargeError, preferredType, readBody, send, sendJson, type CorsPolicy } from '../core/http'
import { ANONYMOUS, shortReason, type RequestCaller, type RequestLog } from '../core/requests'
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

/** `requests`: where each operation's caller and outcome are recorded. */
export function createHandler(pool: LocalPool, requests?: RequestLog): RequestListener {
  // Only a bug gets to the 500; answer as Cognito would rather than leave the client hanging.
  return guard((req, res) => route(pool, req, res, requests), res => sendError(res, internalError()))
}

async function route(pool: LocalPool, req: IncomingMessage, res: ServerResponse, requests?: RequestLog): Promise<void> {
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

  const target = headerValue(req.headers['x-amz-target'])
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target.slice(0, 100) || 'no X-Amz-Target'
  let who: RequestCaller = ANONYMOUS
  let what = operation
  try {
    const body = await readBody(req, { limit: MAX_BODY_BYTES })
    // Who, before the operation runs: a deleted user or a revoked session cannot be looked up after.
    if (requests) ({ who, what } = describeCall(pool, operation, req.headers, body))
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
    const answer = await call(pool, target, request)
    requests?.record({ service: 'auth', who, what, decision: 'allowed', status: 200 })
    sendJson(res, 200, answer, { contentType: AMZ_JSON })
  }
  catch (caught) {
    const error = caught instanceof PayloadTooLargeError ? requestTooLarge(caught.limit) : caught
    if (!(error instanceof CognitoError)) throw error
    requests?.record({ service: 'auth', who, what, decision: REFUSALS.test(error.type) ? 'refused' : 'failed', status: error.status, reason: shortReason(`${error.type}: ${error.message}`) })
    return sendError(res, error)
  }
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.'
/** Errors that refuse the caller (wrong password, bad token or signature, no right), not a malformed request. */
const REFUSALS = /NotAuthorized|AccessDenied|UnrecognizedClient|Signature|MissingAuthentication|ExpiredToken|CodeMismatch|ExpiredCode|UserNotConfirmed/

/**
 * Who calls and about whom, for the request log, from the parts of the body that name a user: a
 * username or e-mail, the sub inside an access token (decoded, not verified: the operation does
 * that), a refresh token's session. Never a password, code or token itself.
 */
function describeCall(pool: LocalPool, operation: string, headers: IncomingMessage['headers'], raw: Buffer): { who: RequestCaller, what: string } {
  let body: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>
  }
  catch {
    return { who: ANONYMOUS, what: operation }
  }
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined)
  const field = (object: unknown, key: string) => (object && typeof object === 'object' ? text((object as Record<string, unknown>)[key]) : undefined)
  const user = (name: string): RequestCaller => {
    const found = pool.state.findUser(name)
    return { kind: 'user', label: found?.attributes.email ?? name.slice(0, 200), ...(found ? { sub: found.sub } : {}) }
  }
  const named = text(body.Username) ?? field(body.AuthParameters, 'USERNAME') ?? field(body.ChallengeResponses, 'USERNAME')
  // The admin API: signed by credentials, about the user it names.
  if (headerValue(headers.authorization).startsWith('AWS4-HMAC-SHA256')) {
    const admin = headerValue(headers.authorization).includes(`Credential=${pool.iam.adminPrincipal.accessKeyId}/`)
    const about = named ? ` ${user(named).label}` : ''
    return { who: { kind: 'iam', label: admin ? 'the sandbox\'s admin credentials' : 'IAM credentials' }, what: `${operation}${about}` }
  }
  if (named) return { who: user(named), what: operation }
  const accessToken = text(body.AccessToken)
  if (accessToken) {
    const sub = readableSub(accessToken)
    if (!sub) return { who: { kind: 'anonymous', label: 'an unreadable access token' }, what: operation }
    return { who: { kind: 'user', label: pool.state.userBySub(sub)?.attributes.email ?? sub, sub }, what: operation }
  }
  const refreshToken = text(body.RefreshToken) ?? field(body.AuthParameters, 'REFRESH_TOKEN') ?? text(body.Token)
  const session = refreshToken ? pool.state.sessionOfRefreshToken(refreshToken) : undefined
  if (session) {
    const found = pool.state.userBySub(session.sub)
    return { who: { kind: 'user', label: found?.attributes.email ?? session.sub, sub: session.sub }, what: operation }
  }
  return { who: ANONYMOUS, what: operation }
}

/** The `sub` claim of a token, read without verifying it; undefined when the token does not decode. */
function readableSub(token: string): string | undefined {
  try {
    const { sub } = decodeJwt(token)
    return typeof sub === 'string' && sub ? sub : undefined
  }
  catch {
    return undefined
  }
}
