/**
 * The sandbox console: a web app on its own loopback port where the developer sees the local
 * backend (its services and what is not served, the mail the user pool sent). Every request passes
 * ./guard.ts first; the secret is made at each start and printed in the console's URL.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { PayloadTooLargeError, readBody, send } from '../core/http'
import type { RunningService, Service } from '../core/service'
import type { Services } from '../services'
import { unservedFeatures } from '../core/unserved'
import type { CloudAssembly } from '../assembly'
import type { UserPool } from '../core/types'
import { checkRequest } from './guard'
import { CONSOLE_CSP, mailPage, overviewPage, refusalPage, usersPage, type ServiceRow } from './pages'

type UserAction = Parameters<UserPool['manageUser']>[1]

export interface RunningConsole extends RunningService {
  /** `http://127.0.0.1:<port>/?secret=<secret>`: what the ready block prints. */
  readonly url: string
}

/** What the pages show, read at each request. */
interface Sources {
  assembly(): CloudAssembly
  rows(services: readonly Service[]): ServiceRow[]
  pool(): UserPool
}

/** The "not served" lines of each backend the sandbox served: reading them walks the whole assembly. */
const unservedOf = new WeakMap<CloudAssembly, string[]>()

/** A form's fields are a few short values: anything longer is not from the console's pages. */
const FORM_LIMIT = 4096

function sendPage(res: ServerResponse, status: number, page: string): void {
  send(res, status, page, { contentType: 'text/html; charset=utf-8' })
}

/** What each user action did, for the notice on the list it was made from. */
const DONE: Record<UserAction, (email: string) => string> = {
  confirm: email => `Confirmed ${email}: they can sign in now.`,
  disable: email => `Disabled ${email}: their sessions ended, and sign-in and refresh are refused.`,
  enable: email => `Enabled ${email}: they can sign in again.`,
  delete: email => `Deleted ${email}.`,
}

/**
 * The Users panel's forms: `POST /users/groups` (user, group, member=true|false) and
 * `POST /users/manage` (user, action=confirm|disable|enable|delete), each with the list's `q`.
 * The change, then back to the list it was made from, with what it did.
 */
async function changeUser(req: IncomingMessage, res: ServerResponse, path: string, sources: Sources): Promise<void> {
  const html = (status: number, page: string) => sendPage(res, status, page)
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return html(415, refusalPage('Send the form as application/x-www-form-urlencoded.'))
  let form: URLSearchParams
  try {
    form = new URLSearchParams((await readBody(req, { limit: FORM_LIMIT })).toString('utf8'))
  }
  catch (error) {
    if (error instanceof PayloadTooLargeError) return html(413, refusalPage('That form is too large.'))
    throw error
  }
  const pool = sources.pool()
  const user = form.get('user') ?? ''
  const email = pool.users().find(u => u.username === user)?.attributes.email ?? user
  let done: string
  try {
    if (path === '/users/groups') {
      const group = form.get('group')
      const member = form.get('member')
      if (!user || !group || (member !== 'true' && member !== 'false')) return html(400, refusalPage('The form needs user, group, and member=true or false.'))
      await pool.setGroupMembership(user, group, member === 'true')
      done = member === 'true' ? `Added ${email} to ${group}. Their tokens carry it from their next refresh.` : `Removed ${email} from ${group}. Their tokens lose it at their next refresh.`
    }
    else {
      const action = form.get('action') ?? ''
      if (!user || !Object.hasOwn(DONE, action)) return html(400, refusalPage('The form needs user, and action=confirm, disable, enable or delete.'))
      await pool.manageUser(user, action as UserAction)
      done = DONE[action as UserAction](email)
    }
  }
  catch (error) {
    // Cognito's own answer (UserNotFoundException: User does not exist., ...), as a script would get it.
    const { name, message } = error as Error
    return html(name === 'UserNotFoundException' ? 404 : 400, refusalPage(`${name}: ${message}`))
  }
  const back = new URLSearchParams({ ...(form.get('q') ? { q: form.get('q')! } : {}), done })
  res.writeHead(303, { 'location': `/users?${back}`, 'content-length': 0 }).end()
}

export const consoleService: Service<'console', RunningConsole> = {
  name: 'console',
  port: { name: 'console', default: 20005, serves: 'console (web)' },
  resourceTypes: [],
  async start(context) {
    const port = context.port!
    const secret = randomBytes(24).toString('base64url')
    let assembly = context.assembly
    const sources: Sources = {
      assembly: () => assembly,
      rows: services => services
        .filter(service => service.name !== 'console')
        .map(service => ({ name: service.name, lines: (context.service(service.name as keyof Services) as RunningService | undefined)?.summary?.().map(line => line.trim()) ?? [] }))
        .filter(row => row.lines.length > 0),
      pool: () => context.service('auth').pool,
    }
    const server = createServer((req, res) => {
      // Whatever goes wrong answers 500 and is said in the terminal; it never stops the sandbox.
      const failed = (error: unknown) => {
        context.log(`Console: ${req.method} ${(req.url ?? '').slice(0, 100)} failed: ${(error as Error).message}`)
        if (res.headersSent) res.destroy()
        else sendPage(res, 500, refusalPage('That failed; the sandbox\'s terminal says why.'))
      }
      try {
        handle(req, res, { port: port.port, secret }, sources).catch(failed)
      }
      catch (error) {
        failed(error)
      }
    })
    // Node's own clientError handling stays: malformed HTTP gets its 400.
    port.serve(socket => server.emit('connection', socket))
    const url = `http://${port.host}:${port.port}/?secret=${secret}`
    return {
      url,
      outputs: () => ({}),
      summary: () => [`  Console    ${url}`],
      async reload(next) {
        assembly = next
      },
      async close() {
        server.closeAllConnections()
        await port.close()
      },
    }
  },
}

async function handle(req: IncomingMessage, res: ServerResponse, address: { port: number, secret: string }, sources: Sources): Promise<void> {
  res.setHeader('content-security-policy', CONSOLE_CSP)
  res.setHeader('x-content-type-options', 'nosniff')
  // Not no-referrer: under it Chromium sends `Origin: null` with the console's own forms.
  res.setHeader('referrer-policy', 'same-origin')
  res.setHeader('cache-control', 'no-store')
  const html = (status: number, page: string) => sendPage(res, status, page)
  const verdict = checkRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress }, address)
  if (verdict.ok === false) return html(verdict.status, refusalPage(verdict.reason))
  if (verdict.ok === 'login') {
    res.writeHead(303, { 'set-cookie': verdict.cookie, 'location': verdict.location, 'content-length': 0 }).end()
    return
  }
  const { pathname: path, searchParams } = new URL(req.url ?? '/', 'http://console')
  if (req.method === 'POST' && (path === '/users/groups' || path === '/users/manage')) return changeUser(req, res, path, sources)
  if (req.method !== 'GET' && req.method !== 'HEAD') return html(405, refusalPage(`${req.method} is not served here.`))
  if (path === '/') {
    // Imported when asked: ../services.ts lists this service too.
    const { SERVICES } = await import('../services')
    const assembly = sources.assembly()
    if (!unservedOf.has(assembly)) unservedOf.set(assembly, unservedFeatures(assembly, SERVICES))
    return html(200, overviewPage(sources.rows(SERVICES), unservedOf.get(assembly)!))
  }
  if (path === '/mail') return html(200, mailPage(sources.pool().messages()))
  if (path === '/users') {
    const pool = sources.pool()
    return html(200, usersPage(pool.users(), pool.groupNames(), searchParams.get('q') ?? '', searchParams.get('done') ?? undefined))
  }
  html(404, refusalPage(`Nothing at ${path.slice(0, 100)}.`))
}
