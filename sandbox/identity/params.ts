/**
 * Request-parameter checks: a JSON body is untrusted until these have read it, and they fail with
 * the errors Cognito Identity gives for the same mistakes.
 */
import { optionalString as optionalJsonString, parseBody as parseJsonBody, type Body } from '../core/aws-json'
import * as errors from './errors'
import { constraintFailed, wrongType } from './errors'

export type { Body }

/** Identity pool ids and identity ids: `<region>:<uuid>`. */
const ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/
const ID_MAX = 55
/** Cognito Identity takes at most 10 logins per request. */
const MAX_LOGINS = 10

/** The request body as JSON: an object, or SerializationException. */
export const parseBody = (raw: Buffer | string): Body => parseJsonBody(raw, errors)

/** `IdentityPoolId` or `IdentityId`: present, a string, `<region>:<uuid>`-shaped. */
export function requireId(body: Body, field: 'IdentityPoolId' | 'IdentityId'): string {
  const value = body[field]
  if (value === undefined || value === null) throw constraintFailed(field, value, 'Member must not be null')
  if (typeof value !== 'string') throw wrongType('string', field)
  if (value.length < 1 || value.length > ID_MAX) throw constraintFailed(field, value, `Member must have length less than or equal to ${ID_MAX}`)
  if (!ID_PATTERN.test(value)) throw constraintFailed(field, value, `Member must satisfy regular expression pattern: ${ID_PATTERN.source.slice(1, -1)}`)
  return value
}

export const optionalString = (body: Body, field: string, max: number): string | undefined => optionalJsonString(body, field, max, errors)

/** `Logins`: provider name → token; `{}` when absent. */
export function logins(body: Body): Record<string, string> {
  const value = body.Logins
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType('map', 'Logins')
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length > MAX_LOGINS) throw constraintFailed('Logins', `${entries.length} logins`, `Map value must have length less than or equal to ${MAX_LOGINS}`)
  for (const [provider, token] of entries) {
    if (typeof token !== 'string') throw wrongType('string', `Logins.${provider.slice(0, 64)}`)
    if (token.length < 1 || token.length > 50_000) throw constraintFailed(`Logins.${provider.slice(0, 64)}`, '<token>', 'Member must have length between 1 and 50000')
  }
  return Object.fromEntries(entries) as Record<string, string>
}
