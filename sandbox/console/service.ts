/**
 * The sandbox console: a web app on its own loopback port where the developer sees the local
 * backend (its services and what is not served, the mail the user pool sent). Every request passes
 * ./guard.ts first; the secret is made at each start and printed in the console's URL.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { send } from '../core/http'
import type { RunningService, Service } from '../core/service'
import { unservedFeatures } from '../core/unserved'
import type { CloudAssembly } from '../assembly'
import type { SandboxMessage } from '../core/types'
import { checkRequest } from './guard'
import { CONSOLE_CSP, mailPage, overviewPage, refusalPage, type ServiceRow } from './pages'

export interface RunningConsole extends RunningService {
  /** `http://127.0.0.1:<port>/?secret=<secret>`: what the ready block prints. */
  readonly url: string
}

/** What the pages show, read at each request. */
interface Sources {
  assembly(): CloudAssembly
  rows(): Promise<ServiceRow[]>
  messages(): SandboxMessage[]
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
      // Imported when asked: ../services.ts lists this service too.
      rows: async () => (await import('../services')).SERVICES
        .filter(service => service.name !== 'console')
        .map(service => ({ name: service.name, lines: (context.service(service.name) as RunningService | undefined)?.summary?.().map(line => line.trim()) ?? [] }))
        .filter(row => row.lines.length > 0),
      messages: () => context.service('auth').pool.messages(),
    }
    const server = createServer((req, res) => handle(req, res, { port: port.port, secret }, sources))
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

function handle(req: IncomingMessage, res: ServerResponse, address: { port: number, secret: string }, sources: Sources): void {
  res.setHeader('content-security-policy', CONSOLE_CSP)
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('referrer-policy', 'no-referrer')
  res.setHeader('cache-control', 'no-store')
  const html = (status: number, page: string) => send(res, status, page, { contentType: 'text/html; charset=utf-8' })
  const verdict = checkRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress }, address)
  if (verdict.ok === false) return html(verdict.status, refusalPage(verdict.reason))
  if (verdict.ok === 'login') {
    res.writeHead(303, { 'set-cookie': verdict.cookie, 'location': verdict.location, 'content-length': 0 }).end()
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return html(405, refusalPage(`${req.method} is not served here.`))
  const path = new URL(req.url ?? '/', 'http://console').pathname
  if (path === '/') {
    void (async () => {
      const { SERVICES } = await import('../services')
      html(200, overviewPage(await sources.rows(), unservedFeatures(sources.assembly(), SERVICES)))
    })().catch(() => html(500, refusalPage('The overview could not be made; the terminal says why.')))
    return
  }
  if (path === '/mail') return html(200, mailPage(sources.messages()))
  html(404, refusalPage(`Nothing at ${path.slice(0, 100)}.`))
}
