/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`) on the user pool's port, so
 * the AWS SDK's `LambdaClient` (a function calling another through `AWS_ENDPOINT_URL_LAMBDA`, a
 * script, the AWS CLI, `npm run sandbox:invoke`) runs the backend's functions offline. Requests are
 * SigV4-verified and need `lambda:InvokeFunction` on the function, as Lambda checks.
 * `X-Amz-Invocation-Type`: RequestResponse (the result, or the error with
 * `X-Amz-Function-Error: Unhandled`), Event (202 at once) and DryRun (204).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { guard, PayloadTooLargeError, readBody, send, sendJson } from '../core/http'
import type { Iam } from '../iam/types'
import type { LocalFunctions } from '.'
import { findFunction } from './definitions'

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/
/** Lambda's limit on a synchronous request payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

export function isLambdaApiRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').startsWith('/2015-03-31/functions/')
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { Type: 'User', message }, { errorType: type })
}

export function createInvokeApi(functions: () => LocalFunctions, iam: Iam): (req: IncomingMessage, res: ServerResponse) => void {
  return guard(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const name = PATH.exec(url.pathname)?.[1]
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
    if (!verified.ok) return error(res, verified.status, verified.code, verified.message)
    const reference = decodeURIComponent(name)
    const definition = findFunction(functions().definitions(), reference)
    if (!definition) return error(res, 404, 'ResourceNotFoundException', `Function not found: ${reference}`)
    if (!iam.isAllowed(verified.principal, 'lambda:InvokeFunction', definition.arn)) {
      return error(res, 403, 'AccessDeniedException', `User: ${verified.principal.userArn} is not authorized to perform: lambda:InvokeFunction on resource: ${definition.arn} because no identity-based policy allows the lambda:InvokeFunction action`)
    }
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
    if (type === 'DryRun') return send(res, 204, '')
    if (type === 'Event') {
      void functions().invoke(definition.arn, event)
      return send(res, 202, '')
    }
    if (type !== 'RequestResponse') return error(res, 400, 'InvalidParameterValueException', `Unsupported invocation type ${type.slice(0, 32)}`)
    const result = await functions().invoke(definition.arn, event)
    res.setHeader('x-amz-executed-version', '$LATEST')
    if (result.ok) return send(res, 200, JSON.stringify(result.payload ?? null), { contentType: 'application/json' })
    res.setHeader('x-amz-function-error', 'Unhandled')
    send(res, 200, JSON.stringify(result.error), { contentType: 'application/json' })
  }, res => error(res, 500, 'ServiceException', 'Internal error'))
}
