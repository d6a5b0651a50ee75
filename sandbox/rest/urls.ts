/**
 * Where a REST API is reached offline. In the cloud a stage's URL is
 * `https://<rest api id>.execute-api.<region>.amazonaws.com/<stage>/`; the local API Gateway serves
 * every API on one port, path-style: `http://127.0.0.1:<port>/<rest api id>/<stage>/`. The outputs
 * writer uses this to point `custom.API.<name>.endpoint` (what `backend.addOutput` wrote from
 * `restApi.url`, and where aws-amplify's REST client sends requests) at the local service.
 */

/** The local URL of `apiId`'s stage (with a trailing slash, as `restApi.url` has one). */
export function localStageUrl(endpoint: string, apiId: string, stage: string): string {
  return `${endpoint}/${apiId}/${encodeURIComponent(stage)}/`
}

const CLOUD_URL = /^https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?=\/|$)/

/**
 * `value` with every string that is the cloud URL of a served API (`apiIds`), or a URL under it,
 * rewritten to the local one; other values unchanged. Works through objects and lists.
 */
export function localizeRestUrls<T>(value: T, endpoint: string, apiIds: readonly string[]): T {
  if (typeof value === 'string') {
    const match = CLOUD_URL.exec(value)
    return (match && apiIds.includes(match[1]!) ? `${endpoint}/${match[1]}${value.slice(match[0].length)}` : value) as T
  }
  if (Array.isArray(value)) return value.map(item => localizeRestUrls(item, endpoint, apiIds)) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, localizeRestUrls(item, endpoint, apiIds)])) as T
  }
  return value
}
