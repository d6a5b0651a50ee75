/**
 * Who may use the sandbox console: only the developer's own browser or scripts, on this machine.
 *
 * The console can read and change every user, item and file of the local backend, so a request
 * must pass all of these:
 * - it comes from a loopback address (the console also binds 127.0.0.1 only);
 * - its `Host` is the loopback address and port the console serves: a public name that a DNS
 *   rebinding attack points at 127.0.0.1 is refused;
 * - it is not cross-site: a browser's `Origin` must be the console's own, and `Sec-Fetch-Site`, when
 *   sent, must say same-origin or none (the developer typed or clicked the printed URL), or
 *   same-site for a link followed to a page (another port of this machine: the app links to Mail);
 * - it carries the secret made at each start: in the printed URL once (`?secret=`), which becomes
 *   an HttpOnly, SameSite=Strict cookie, or as `Authorization: Bearer <secret>` from a script.
 */
import { timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { headerValue, isLoopbackHost } from '../core/http'

export interface GuardedRequest {
  method: string
  /** Path and query, as the request line has them. */
  url: string
  headers: Record<string, string | string[] | undefined>
  remoteAddress: string | undefined
}

export interface ConsoleAddress {
  /** The port the console listens on. */
  port: number
  secret: string
}

export type Verdict
  = | { ok: true }
  /** The printed URL's secret, right: set the cookie and redirect to `location` without it. */
    | { ok: 'login', location: string, cookie: string }
    | { ok: false, status: number, reason: string }

/** The cookie that carries the secret: one per port, as cookies are per host, not per port. */
export function secretCookieName(port: number): string {
  return `sandbox-console-${port}`
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  if (isIP(v4) === 4) return v4.startsWith('127.')
  return address === '::1'
}

export function checkRequest(req: GuardedRequest, console: ConsoleAddress): Verdict {
  if (!isLoopbackAddress(req.remoteAddress)) return refuse(403, 'The console answers this machine only.')
  const host = headerValue(req.headers.host)
  if (!isLoopbackHost(host, console.port)) {
    return refuse(421, `The console answers only as 127.0.0.1:${console.port} or localhost:${console.port}, not as "${host.slice(0, 100)}".`)
  }
  // Absent (a script, a typed address) is fine; a browser's cross-site request names another site.
  const origin = headerValue(req.headers.origin)
  if (origin && origin !== `http://${host}`) return refuse(403, 'Cross-site requests are refused.')
  const site = headerValue(req.headers['sec-fetch-site'])
  if (site && site !== 'same-origin' && site !== 'none' && !(site === 'same-site' && isPageVisit(req))) return refuse(403, 'Cross-site requests are refused.')

  let url: URL
  try {
    url = new URL(req.url, `http://${host}`)
  }
  catch {
    return refuse(400, 'That address cannot be read.')
  }
  const given = url.searchParams.get('secret')
  // Logging in is for the printed URL, typed or clicked in the terminal: never from another page.
  if (given !== null && site === 'same-site') return refuse(403, 'Open the console URL the sandbox printed yourself: it is not taken from a link on another page.')
  if (given !== null && (req.method === 'GET' || req.method === 'HEAD')) {
    if (!sameSecret(given, console.secret)) return refuse(401, 'That is not this start\'s secret: open the console URL the sandbox printed last.')
    url.searchParams.delete('secret')
    return {
      ok: 'login',
      location: url.pathname + url.search,
      cookie: `${secretCookieName(console.port)}=${console.secret}; Path=/; HttpOnly; SameSite=Strict`,
    }
  }
  const bearer = /^Bearer (.+)$/.exec(headerValue(req.headers.authorization))?.[1]
  const sent = bearer ?? cookieValue(headerValue(req.headers.cookie), secretCookieName(console.port))
  if (sent === undefined) return refuse(401, 'Open the console URL the sandbox printed: it carries this start\'s secret.')
  if (!sameSecret(sent, console.secret)) return refuse(401, 'That is not this start\'s secret: open the console URL the sandbox printed last.')
  return { ok: true }
}

/**
 * A link followed from another page on this machine (the app's "enter the code" step links to Mail):
 * `same-site`, since every port of 127.0.0.1 is one site. Only a top-level GET of a page is let
 * through: it changes nothing, the page it shows cannot be read by the linking one (no CORS) nor
 * framed (`frame-ancestors 'none'`), and the secret is still needed, from the SameSite=Strict cookie
 * the developer's own visit set. Anything else from another port stays refused.
 */
function isPageVisit(req: GuardedRequest): boolean {
  return (req.method === 'GET' || req.method === 'HEAD')
    && headerValue(req.headers['sec-fetch-mode']) === 'navigate'
    && headerValue(req.headers['sec-fetch-dest']) === 'document'
}

function refuse(status: number, reason: string): Verdict {
  return { ok: false, status, reason }
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}
