/**
 * Cognito's error shape and the request-parameter checks that produce its validation errors.
 */

/** An error Cognito would return: HTTP status, `__type` (= `x-amzn-errortype`) and message. */
export class CognitoError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message)
    this.name = type
  }
}

export const incorrectCredentials = () => new CognitoError('NotAuthorizedException', 'Incorrect username or password.')
export const codeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.')
export const attemptLimit = () => new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.')
export const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message)

/** Cognito's wording for a failed constraint, e.g. "Value null at 'clientId' failed to satisfy…". */
function constraint(field: string, value: unknown, rule: string): CognitoError {
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value.slice(0, 64) : typeof value}'`
  const name = field.charAt(0).toLowerCase() + field.slice(1)
  return invalidParameter(`1 validation error detected: Value ${shown} at '${name}' failed to satisfy constraint: ${rule}`)
}

export type Body = Record<string, unknown>

export function requireString(body: Body, field: string, max = 2048): string {
  const value = body[field]
  if (value === undefined || value === null) throw constraint(field, value, 'Member must not be null')
  if (typeof value !== 'string') throw new CognitoError('SerializationException', `Expected string for ${field}`)
  if (value.length < 1 || value.length > max) throw constraint(field, value, `Member must have length between 1 and ${max}`)
  return value
}

/** A `Record<string, string>` parameter such as `AuthParameters` or `ChallengeResponses`. */
export function stringMap(body: Body, field: string): Record<string, string> {
  const value = body[field]
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new CognitoError('SerializationException', `Expected map for ${field}`)
  const out: Record<string, string> = Object.create(null)
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new CognitoError('SerializationException', `Expected string for ${field}.${key}`)
    out[key] = entry
  }
  return out
}

/** `[{ Name, Value }]` as SignUp and UpdateUserAttributes send attributes. */
export function attributeList(body: Body, field: string, required: boolean): Array<{ name: string, value: string }> {
  const value = body[field]
  if (value === undefined || value === null) {
    if (required) throw constraint(field, value, 'Member must not be null')
    return []
  }
  if (!Array.isArray(value)) throw new CognitoError('SerializationException', `Expected list for ${field}`)
  if (value.length > 100) throw constraint(field, 'list', 'Member must have length less than or equal to 100')
  return value.map((item: unknown) => {
    if (!item || typeof item !== 'object') throw new CognitoError('SerializationException', `Expected structure in ${field}`)
    const { Name, Value } = item as Body
    if (typeof Name !== 'string' || !Name || Name.length > 32) throw constraint(`${field}.member.name`, Name, 'Member must have length between 1 and 32')
    if (Value !== undefined && typeof Value !== 'string') throw new CognitoError('SerializationException', `Expected string for ${Name}`)
    if (typeof Value === 'string' && Value.length > 2048) throw constraint(`${field}.member.value`, Value, 'Member must have length less than or equal to 2048')
    return { name: Name, value: Value ?? '' }
  })
}
