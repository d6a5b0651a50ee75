/**
 * The AWS JSON 1.1 protocol both Cognito services speak (user pools and identity pools): JSON
 * object bodies, errors as `{ __type, message }` with `x-amzn-ErrorType`, and parameter checks that
 * fail with each service's own wording. The services' `errors.ts` keep their own constructors.
 */
import type { ServerResponse } from 'node:http'
import { sendJson } from './http'

export const AMZ_JSON = 'application/x-amz-json-1.1'

/** A request or response body of the JSON protocol. */
export type Body = Record<string, unknown>

/** An error such a service returns: HTTP status, `__type` (= `x-amzn-ErrorType`) and message. */
export class AwsJsonError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message)
    this.name = type
  }
}

/** How a service words the protocol's parameter errors. */
export interface ParameterErrors {
  bodyNotJson(): AwsJsonError
  bodyNotObject(): AwsJsonError
  wrongType(expected: 'string', field: string): AwsJsonError
  constraintFailed(field: string, value: unknown, rule: string): AwsJsonError
}

export function sendError(res: ServerResponse, error: AwsJsonError): void {
  sendJson(res, error.status, { __type: error.type, message: error.message }, {
    contentType: AMZ_JSON,
    errorType: error.type,
    // A refused body is not read to its end: the connection goes with the answer.
    close: error.status === 413,
  })
}

/** The request body as JSON: an object, or the service's serialization error. */
export function parseBody(raw: Buffer | string, errors: ParameterErrors): Body {
  let parsed: unknown
  try {
    parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {}
  }
  catch {
    throw errors.bodyNotJson()
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw errors.bodyNotObject()
  return parsed as Body
}

/** A string parameter that may be absent (`undefined`); present, it may be empty. */
export function optionalString(body: Body, field: string, max: number, errors: ParameterErrors): string | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw errors.wrongType('string', field)
  if (value.length > max) throw errors.constraintFailed(field, value, `Member must have length less than or equal to ${max}`)
  return value
}
