/**
 * Request-parameter checks: a JSON body is untrusted until these have read it, and they fail with
 * the validation errors Cognito gives for the same mistakes.
 */
import { optionalString as optionalJsonString, parseBody as parseJsonBody, type Body } from '../core/aws-json'
import * as errors from './errors'
import { constraintFailed, wrongType } from './errors'

export type { Body }

/** The request body as JSON: an object, or SerializationException. */
export const parseBody = (raw: Buffer | string): Body => parseJsonBody(raw, errors)

/** A string parameter that may be absent (`undefined`); present, it may be empty. */
export const optionalString = (body: Body, field: string, max: number): string | undefined => optionalJsonString(body, field, max, errors)

export function requireString(body: Body, field: string, max = 2048): string {
  const value = body[field]
  if (value === undefined || value === null) throw constraintFailed(field, value, 'Member must not be null')
  if (typeof value !== 'string') throw wrongType('string', field)
  if (value.length < 1 || value.length > max) throw constraintFailed(field, value, `Member must have length between 1 and ${max}`)
  return value
}

/** A page size (`Limit`): `max` when absent or 0. */
export function pageSize(body: Body, field: string, max: number): number {
  const value = body[field]
  // 0 is in Cognito's range; read as "no limit given" so that paging always moves on.
  if (value === undefined || value === null || value === 0) return max
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('integer', field)
  if (value < 0) throw constraintFailed(field, value, 'Member must have value greater than or equal to 0')
  if (value > max) throw constraintFailed(field, value, `Member must have value less than or equal to ${max}`)
  return value
}

/** Names such as `AttributesToGet`; `undefined` when absent. */
export function stringList(body: Body, field: string): string[] | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw wrongType('list', field)
  return value.map((item: unknown) => {
    if (typeof item !== 'string') throw wrongType('string', `${field}.member`)
    return item
  })
}

/** A `Record<string, string>` parameter such as `AuthParameters` or `ChallengeResponses`. */
export function stringMap(body: Body, field: string): Record<string, string> {
  const value = body[field]
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType('map', field)
  const out: Record<string, string> = Object.create(null)
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw wrongType('string', `${field}.${key}`)
    out[key] = entry
  }
  return out
}

/** `[{ Name, Value }]` as SignUp and UpdateUserAttributes send attributes. */
export function attributeList(body: Body, field: string, required: boolean): Array<{ name: string, value: string }> {
  const value = body[field]
  if (value === undefined || value === null) {
    if (required) throw constraintFailed(field, value, 'Member must not be null')
    return []
  }
  if (!Array.isArray(value)) throw wrongType('list', field)
  if (value.length > 100) throw constraintFailed(field, 'list', 'Member must have length less than or equal to 100')
  return value.map((item: unknown) => {
    if (!item || typeof item !== 'object') throw wrongType('structure', `${field}.member`)
    const { Name, Value } = item as Body
    if (typeof Name !== 'string' || !Name || Name.length > 32) throw constraintFailed(`${field}.member.name`, Name, 'Member must have length between 1 and 32')
    if (Value !== undefined && typeof Value !== 'string') throw wrongType('string', Name)
    if (typeof Value === 'string' && Value.length > 2048) throw constraintFailed(`${field}.member.value`, Value, 'Member must have length less than or equal to 2048')
    return { name: Name, value: Value ?? '' }
  })
}
