/**
 * A bucket's CORS configuration applied as S3 applies it: the first rule whose origins, method and
 * (for a preflight) requested headers all match decides, and its headers go on the answer. A
 * preflight that no rule allows is refused (403); an actual request without a matching rule is
 * served without CORS headers, and the browser then keeps the answer from the page. Pure.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
import type { CorsRule } from './settings'

/** `*` matches any run of characters (S3 allows one per origin or header pattern). */
function wildcardMatch(pattern: string, text: string, ignoreCase: boolean): boolean {
  const source = pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(text)
}

/** The rule that allows `method` from `origin` with `requestHeaders` (lower-cased), if any. */
export function matchingRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[] = []): CorsRule | undefined {
  return rules.find(rule =>
    rule.allowedOrigins.some(pattern => wildcardMatch(pattern, origin, false))
    && rule.allowedMethods.includes(method)
    && requestHeaders.every(header => rule.allowedHeaders.some(pattern => wildcardMatch(pattern, header, true))))
}

/** The headers S3 puts on an answer that `rule` allows: a preflight's, or an actual request's. */
export function corsHeaders(rule: CorsRule, origin: string, preflight?: { requestHeaders: readonly string[] }): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*')
  const headers: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    'vary': 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  }
  if (!anyOrigin) headers['access-control-allow-credentials'] = 'true'
  if (rule.exposedHeaders.length) headers['access-control-expose-headers'] = rule.exposedHeaders.join(', ')
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds)
  if (preflight?.requestHeaders.length) headers['access-control-allow-headers'] = preflight.requestHeaders.join(', ')
  return headers
}

/** `Access-Control-Request-Headers` as a list of lower-cased names. */
export function requestedHeaders(value: string | undefined): string[] {
  return (value ?? '').split(',').map(name => name.trim().toLowerCase()).filter(Boolean)
}
