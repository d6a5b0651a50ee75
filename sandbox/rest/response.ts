/**
 * What a function's Lambda proxy result becomes, as API Gateway reads it: `statusCode` (an
 * integer), `headers` and `multiValueHeaders` merged (a header in both keeps the multi values),
 * `body` as text, or decoded from base64 when `isBase64Encoded` and the caller's first Accept type
 * is one of the API's binary media types (otherwise the base64 text goes out as it is, as in the
 * cloud). Anything else is a malformed proxy response: API Gateway's 502. Headers that would
 * break the framing of the answer are renamed `x-amzn-Remapped-<name>`, as API Gateway does. Pure.
 */
import { isBinaryMediaType } from './event'

export type ProxyResponse
  = | { ok: true, statusCode: number, headers: Array<[string, string]>, body: Buffer }
    | { ok: false, reason: string }

/** Response headers API Gateway does not pass on under their own name. */
const REMAPPED = new Set(['authorization', 'connection', 'content-length', 'date', 'server', 'transfer-encoding', 'www-authenticate'])

export function proxyResponse(result: unknown, options: { accept?: string, binaryMediaTypes: readonly string[] }): ProxyResponse {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return malformed('the result is not an object')
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return malformed('statusCode is not an HTTP status code')
  if (body !== undefined && body !== null && typeof body !== 'string') return malformed('body is not a string')
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') return malformed('isBase64Encoded is not a boolean')

  const merged = new Map<string, { name: string, values: string[] }>()
  const add = (name: string, values: unknown[]) => {
    const entry = merged.get(name.toLowerCase()) ?? { name, values: [] }
    entry.values.push(...values.map(String))
    merged.set(name.toLowerCase(), entry)
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object' || Array.isArray(multiValueHeaders)) return malformed('multiValueHeaders is not an object')
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isScalar)) return malformed(`multiValueHeaders.${name} is not a list of strings`)
      add(name, values)
    }
  }
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) return malformed('headers is not an object')
    const fromMulti = new Set(merged.keys())
    for (const [name, value] of Object.entries(headers)) {
      if (!isScalar(value)) return malformed(`headers.${name} is not a string`)
      if (!fromMulti.has(name.toLowerCase())) add(name, [value])
    }
  }

  const text = typeof body === 'string' ? body : ''
  const decode = isBase64Encoded === true && isBinaryMediaType(options.accept?.split(',')[0], options.binaryMediaTypes)
  const out: Array<[string, string]> = []
  for (const { name, values } of merged.values()) {
    const sent = REMAPPED.has(name.toLowerCase()) ? `x-amzn-Remapped-${name}` : name
    for (const value of values) out.push([sent, value])
  }
  // API Gateway's default for a proxy response that names no type.
  if (!merged.has('content-type')) out.push(['Content-Type', 'application/json'])
  return { ok: true, statusCode, headers: out, body: decode ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') }
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function malformed(reason: string): ProxyResponse {
  return { ok: false, reason: `Malformed Lambda proxy response: ${reason}` }
}
