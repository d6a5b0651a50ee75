/**
 * The HTTP face of the local identity pool: Cognito Identity's JSON-RPC protocol (`POST /` with
 * `X-Amz-Target: AWSCognitoIdentityService.<Operation>`), with CORS as the real endpoint answers it.
 * It shares the user pool's port: the orchestrator hands it the requests whose target is its own.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { decodeJwt } from 'jose'
import { AMZ_JSON, sendError, type Body } from '../core/aws-json'
import { allowCors, answerPreflight, guard, headerValue, PayloadTooLargeError, readBody, sendJson, type CorsPolicy } from '../core/http'
import { ANONYMOUS, shortReason, type RequestCaller, type RequestLog } from '../core/requests'
import { IdentityError, internalError, requestTooLarge } from './errors'
import { call, TARGET_PREFIX } from './operations'
import { parseBody } from './params'
import type { LocalIdentityPool } from './pool'

const MAX_BODY_BYTES = 64 * 1024

export const CORS: CorsPolicy = {
  methods: ['POST', 'OPTIONS'],
  allowHeaders: ['content-type', 'x-amz-target', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request', 'cache-control', 'authorization', 'x-amz-date', 'x-amz-security-token'],
  exposeHeaders: ['x-amzn-requestid', 'x-amzn-errortype', 'date'],
  preflightStatus: 200,
}

/** `requests`: where each operation's caller and outcome are recorded. */
export function createHandler(pool: LocalIdentityPool, requests?: RequestLog): RequestListener {
  // Only a bug gets to the 500; answer as Cognito would rather than leave the client hanging.
  return guard((req, res) => route(pool, req, res, requests), res => sendError(res, internalError()))
}

async function route(pool: LocalIdentityPool, req: IncomingMessage, res: ServerResponse, requests?: RequestLog): Promise<void> {
  allowCors(res, CORS)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, CORS)
  if (req.method !== 'POST') return sendJson(res, 405, { message: 'Method Not Allowed' }, { contentType: AMZ_JSON })
  const target = headerValue(req.headers['x-amz-target'])
  const what = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target.slice(0, 100)
  let body: Body | undefined
  try {
    body = parseBody(await readBody(req, { limit: MAX_BODY_BYTES }))
    const answer = await call(pool, target, body)
    requests?.record({ service: 'identity', who: callerOf(body, answer), what, decision: 'allowed', status: 200 })
    sendJson(res, 200, answer, { contentType: AMZ_JSON })
  }
  catch (caught) {
    const error = caught instanceof PayloadTooLargeError ? requestTooLarge(caught.limit) : caught
    if (!(error instanceof IdentityError)) throw error
    const decision = /NotAuthorized|AccessDenied/.test(error.type) ? 'refused' : 'failed'
    requests?.record({ service: 'identity', who: body ? callerOf(body) : ANONYMOUS, what, decision, status: error.status, reason: shortReason(`${error.type}: ${error.message}`) })
    return sendError(res, error)
  }
}

/**
 * Who asks, for the request log: the user whose id token is in `Logins` (read, not verified: the
 * operation verifies it), or a guest; with the identity id asked for or given. Never the token.
 */
function callerOf(body: Body, answer?: Body): RequestCaller {
  const identityId = [answer?.IdentityId, body.IdentityId].find((id): id is string => typeof id === 'string')
  const token = body.Logins && typeof body.Logins === 'object' ? Object.values(body.Logins as Record<string, unknown>).find(value => typeof value === 'string') : undefined
  if (typeof token === 'string') {
    try {
      const claims = decodeJwt(token)
      const sub = typeof claims.sub === 'string' ? claims.sub : undefined
      const label = typeof claims.email === 'string' ? claims.email : sub ?? 'a user'
      return { kind: 'user', label, ...(sub ? { sub } : {}), ...(identityId ? { identityId } : {}) }
    }
    catch {
      return { kind: 'anonymous', label: 'an unreadable login token', ...(identityId ? { identityId } : {}) }
    }
  }
  return identityId ? { kind: 'guest', label: identityId, identityId } : { kind: 'guest', label: 'a new guest' }
}
