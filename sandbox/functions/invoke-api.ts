/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`) on the user pool's port, so
 * the AWS SDK's `LambdaClient` (a function calling another through `AWS_ENDPOINT_URL_LAMBDA`, a
 * script, the AWS CLI, `npm run sandbox:invoke`) runs the backend's functions offline. Requests are
 * SigV4-verified and need `lambda:InvokeFunction` on the function, as Lambda checks.
 * `X-Amz-Invocation-Type`: RequestResponse (the result, or the error with
 * `X-Amz-Function-Error: Unhandled`), Event (202 at once) and DryRun (204).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { guard, parseUrl, PayloadTooLargeError, readBody, send, sendJson } from '../core/http'
import { ANONYMOUS, principalCaller, shortReason, type RequestCaller, type RequestLog, type RequestRecord } from '../core/requests'
import type { Iam } from '../iam/types'
import type { LocalFunctions } from '.'
import { findFunction, type FunctionDefinition } from './definitions'

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/
/** What Lambda accepts as a FunctionName: a name, a partial or full ARN, with an optional qualifier. */
const FUNCTION_NAME = /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d:)?(\d{12}:)?(function:)?([\w.-]+)(:(\$LATEST|[\w-]+))?$/
/** Lambda's limit on a synchronous request payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

export function isLambdaApiRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').startsWith('/2015-03-31/functions/')
}

/** The function name of the path, percent-decoded; undefined when it does not decode. */
function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw)
  }
  catch {
    return undefined
  }
}

/**
 * The ARN a call is authorized on: a full ARN as given, else the name in the ARN of this backend's
 * functions (their region and account), so that a name no function has is refused as Lambda does.
 */
function functionArn(definitions: readonly FunctionDefinition[], reference: string): string {
  if (reference.startsWith('arn:')) return reference.split(':').slice(0, 7).join(':')
  const prefix = definitions[0]?.arn.split(':').slice(0, 6).join(':') ?? 'arn:aws:lambda:*:*:function'
  return `${prefix}:${reference.split(':')[0]}`
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { Type: 'User', message }, { errorType: type })
}

/** `requests`: where each call's caller, function and outcome are recorded. */
export function createInvokeApi(functions: () => LocalFunctions, iam: Iam, requests?: RequestLog): (req: IncomingMessage, res: ServerResponse) => void {
  return guard(async (req, res) => {
    const url = parseUrl(req.url)
    const name = PATH.exec(url.pathname)?.[1]
    let who: RequestCaller = ANONYMOUS
    let what = `Invoke ${(name ? decodedName(name) ?? name : url.pathname).slice(0, 200)}`
    const record = (outcome: Pick<RequestRecord, 'decision' | 'status' | 'reason'>) => requests?.record({ service: 'functions', who, what, ...outcome })
    const error = (res: ServerResponse, status: number, type: string, message: string, why: { reason?: string, refused?: boolean } = {}) => {
      record({ decision: why.refused || status === 403 ? 'refused' : 'failed', status, reason: shortReason(why.reason ?? `${type}: ${message}`) })
      sendError(res, status, type, message)
    }
    if (req.method !== 'POST' || !name) return error(res, 404, 'UnknownOperationException', 'Unknown operation')
    let body: Buffer
    try {
      body = await readBody(req, { limit: MAX_PAYLOAD_BYTES })
    }
    catch (caught) {
      if (caught instanceof PayloadTooLargeError) return error(res, 413, 'RequestTooLargeException', `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`)
      throw caught
    }
    const verified = await iam.verify({ method: 'POST', path: url.pathname, query: url.search.slice(1), headers: req.headers, body }, 'lambda')
    if (!verified.ok) return error(res, verified.status, verified.code, verified.message, { refused: true })
    who = principalCaller(verified.principal)
    // Who may call comes before what was asked for, as in Lambda: a caller without the right learns
    // nothing about names, not even that one is malformed or names no function.
    const reference = decodedName(name)
    const definitions = functions().definitions()
    const definition = reference === undefined ? undefined : findFunction(definitions, reference)
    const arn = definition?.arn ?? functionArn(definitions, reference ?? name)
    if (!iam.isAllowed(verified.principal, 'lambda:InvokeFunction', arn)) {
      const message = `User: ${verified.principal.userArn} is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no identity-based policy allows the lambda:InvokeFunction action`
      return error(res, 403, 'AccessDeniedException', message, { reason: iam.explain(verified.principal, 'lambda:InvokeFunction', arn) })
    }
    if (definition) what = `Invoke ${definition.name}`
    if (reference === undefined || !FUNCTION_NAME.test(reference)) {
      return error(res, 400, 'ValidationException', `1 validation error detected: Value '${name.slice(0, 256)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME.source.slice(1, -1)}`)
    }
    if (!definition) return error(res, 404, 'ResourceNotFoundException', `Function not found: ${reference}`)
    let event: unknown = {}
    if (body.length) {
      try {
        event = JSON.parse(body.toString('utf8'))
      }
      catch {
        return error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json')
      }
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse')
    if (type === 'DryRun') {
      record({ decision: 'allowed', status: 204 })
      return send(res, 204, '')
    }
    if (type === 'Event') {
      void functions().invoke(definition.arn, event)
      record({ decision: 'allowed', status: 202 })
      return send(res, 202, '')
    }
    if (type !== 'RequestResponse') return error(res, 400, 'InvalidParameterValueException', `Unsupported invocation type ${type.slice(0, 32)}`)
    const result = await functions().invoke(definition.arn, event)
    res.setHeader('x-amz-executed-version', '$LATEST')
    if (result.ok) {
      record({ decision: 'allowed', status: 200 })
      return send(res, 200, JSON.stringify(result.payload ?? null), { contentType: 'application/json' })
    }
    // Lambda answers 200 with the function's error: the call was allowed, the function failed.
    record({ decision: 'failed', status: 200, reason: shortReason(`${result.error.errorType}: ${result.error.errorMessage}`) })
    res.setHeader('x-amz-function-error', 'Unhandled')
    send(res, 200, JSON.stringify(result.error), { contentType: 'application/json' })
  }, res => sendError(res, 500, 'ServiceException', 'Internal error'))
}
