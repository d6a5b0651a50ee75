/**
 * The HTTP face of the local identity pool: Cognito Identity's JSON-RPC protocol (`POST /` with
 * `X-Amz-Target: AWSCognitoIdentityService.<Operation>`), with CORS as the real endpoint answers it.
 * It shares the user pool's port: the orchestrator hands it the requests whose target is its own.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { AMZ_JSON, sendError } from '../core/aws-json'
import { allowCors, answerPreflight, guard, headerValue, PayloadTooLargeError, readBody, sendJson, type CorsPolicy } from '../core/http'
import { IdentityError, internalError, requestTooLarge } from './errors'
import { call } from './operations'
import { parseBody } from './params'
import type { LocalIdentityPool } from './pool'

const MAX_BODY_BYTES = 64 * 1024

export const CORS: CorsPolicy = {
  methods: ['POST', 'OPTIONS'],
  allowHeaders: ['content-type', 'x-amz-target', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request', 'cache-control', 'authorization', 'x-amz-date', 'x-amz-security-token'],
  exposeHeaders: ['x-amzn-requestid', 'x-amzn-errortype', 'date'],
  preflightStatus: 200,
}

export function createHandler(pool: LocalIdentityPool): RequestListener {
  // Only a bug gets to the 500; answer as Cognito would rather than leave the client hanging.
  return guard((req, res) => route(pool, req, res), res => sendError(res, internalError()))
}

async function route(pool: LocalIdentityPool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  allowCors(res, CORS)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, CORS)
  if (req.method !== 'POST') return sendJson(res, 405, { message: 'Method Not Allowed' }, { contentType: AMZ_JSON })
  try {
    const body = parseBody(await readBody(req, { limit: MAX_BODY_BYTES }))
    sendJson(res, 200, await call(pool, headerValue(req.headers['x-amz-target']), body), { contentType: AMZ_JSON })
  }
  catch (error) {
    if (error instanceof PayloadTooLargeError) return sendError(res, requestTooLarge(error.limit))
    if (error instanceof IdentityError) return sendError(res, error)
    throw error
  }
}
