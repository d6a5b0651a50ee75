/**
 * The sandbox console: a web app on its own loopback port where the developer sees the local
 * backend (its services and what is not served, the mail the user pool sent). Every request passes
 * ./guard.ts first; the secret is made at each start and printed in the console's URL.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { RunningService, Service } from '../core/service'
import { discardSnapshot, exportSnapshot, SnapshotError } from '../core/snapshot'
import { dataPanel } from './data'
import { functionsPanel } from './functions'
import { checkRequest } from './guard'
import { mailPanel } from './mail'
import { overviewPanel } from './overview'
import { CONSOLE_CSP, layout, refusalPage } from './pages'
import { FormError, sendPage, type Panel, type PanelSources } from './panel'
import { requestsPanel } from './requests'
import { storagePanel } from './storage'
import { usersPanel } from './users'

/** The panels, in the navigation's order: each in a file of its own (./panel.ts says their shape). */
const PANELS: readonly Panel[] = [overviewPanel, mailPanel, usersPanel, dataPanel, storagePanel, functionsPanel, requestsPanel]

export interface RunningConsole extends RunningService {
  /** `http://127.0.0.1:<port>/?secret=<secret>`: what the ready block prints. */
  readonly url: string
}

export const consoleService: Service<'console', RunningConsole> = {
  name: 'console',
  port: { name: 'console', default: 20005, serves: 'console (web)' },
  resourceTypes: [],
  async start(context) {
    const port = context.port!
    const secret = randomBytes(24).toString('base64url')
    let assembly = context.assembly
    const sources: PanelSources = {
      assembly: () => assembly,
      service: name => context.service(name),
      requests: context.requests,
      log: context.log,
      async exportSnapshot(name) {
        const folder = join(context.projectDir, '.amplify', 'snapshots', name)
        try {
          const { tables } = await exportSnapshot(context.dataDir, folder, context.service('data').dynamo)
          return { folder: context.show(folder), tables }
        }
        catch (error) {
          if (!(error instanceof SnapshotError)) await discardSnapshot(folder).catch(() => {})
          throw error
        }
      },
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
      // Where the app's "enter the code" step links (to /mail); without the secret, which never leaves the terminal.
      outputs: () => ({ consoleUrl: `http://${port.host}:${port.port}` }),
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

async function handle(req: IncomingMessage, res: ServerResponse, address: { port: number, secret: string }, sources: PanelSources): Promise<void> {
  res.setHeader('content-security-policy', CONSOLE_CSP)
  res.setHeader('x-content-type-options', 'nosniff')
  // Not no-referrer: under it Chromium sends `Origin: null` with the console's own forms.
  res.setHeader('referrer-policy', 'same-origin')
  res.setHeader('cache-control', 'no-store')
  const refuse = (status: number, reason: string) => sendPage(res, status, refusalPage(reason))
  const verdict = checkRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress }, address)
  if (verdict.ok === false) return sendPage(res, verdict.status, refusalPage(verdict.reason, verdict.status === 401 ? sources.service('auth').messagesUrl : undefined))
  if (verdict.ok === 'login') {
    res.writeHead(303, { 'set-cookie': verdict.cookie, 'location': verdict.location, 'content-length': 0 }).end()
    return
  }
  const { pathname, searchParams } = new URL(req.url ?? '/', 'http://console')
  // The panel whose path is the longest prefix: `/users/manage` is the Users panel's, `/` the overview's.
  const panel = PANELS.filter(p => p.path !== '/' && (pathname === p.path || pathname.startsWith(`${p.path}/`)))[0] ?? overviewPanel
  const subpath = panel.path === '/' ? (pathname === '/' ? '' : pathname) : pathname.slice(panel.path.length)
  const request = {
    req,
    res,
    subpath,
    query: searchParams,
    sources,
    page: (status: number, title: string, content: string, options?: { refreshSeconds?: number, style?: string }) => sendPage(res, status, layout(PANELS, panel.path, title, content, options)),
    refuse,
  }
  try {
    if (req.method === 'POST' && panel.post) return await panel.post(request)
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, `${req.method} is not served here.`)
    await panel.get(request)
  }
  catch (error) {
    if (error instanceof FormError) return refuse(error.status, error.message)
    throw error
  }
}
