/**
 * The shape of one panel of the sandbox console (Overview, Mail, Users...). Each panel lives in a
 * file of its own; ./service.ts routes `GET <path>[/...]` and `POST <path>/...` to it after the guard
 * (./guard.ts) let the request in, and ./pages.ts lists the panels in the navigation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CloudAssembly } from '../assembly'
import { PayloadTooLargeError, readBody, send } from '../core/http'
import type { RequestLog } from '../core/requests'
import type { ServiceContext } from '../core/service'

/** What a panel reads the backend through: the started services, at each request. */
export interface PanelSources {
  /** The backend served now (it changes on reload). */
  assembly(): CloudAssembly
  service: ServiceContext['service']
  /** What every local service decided about each request (the Requests panel). */
  requests: RequestLog
  /** Says something in the sandbox's terminal. */
  log(line: string): void
  /**
   * Writes a snapshot of the whole local state to `.amplify/snapshots/<name>` (core/snapshot.ts):
   * the folder as the project shows it, and the items per table.
   */
  exportSnapshot(name: string): Promise<{ folder: string, tables: Record<string, number> }>
}

export interface PanelRequest {
  req: IncomingMessage
  res: ServerResponse
  /** The path below the panel's own: `''` for `/users`, `/manage` for `/users/manage`. */
  subpath: string
  query: URLSearchParams
  sources: PanelSources
  /**
   * Answers with one of the console's pages: the navigation (this panel current), then `content`
   * (HTML: escape every value with `escapeHtml`). `style` adds the panel's own CSS to the shared
   * sheet; `refreshSeconds` reloads the page by itself (no script runs in the console).
   */
  page(status: number, title: string, content: string, options?: { refreshSeconds?: number, style?: string }): void
  /** Answers with a refusal a person can act on: the status and what to do about it. */
  refuse(status: number, reason: string): void
}

export interface Panel {
  /** Where it is served and what the navigation calls it: `/users`, `Users` (`/` is the overview). */
  readonly path: string
  readonly name: string
  /** Answers a GET or HEAD of its path or below. */
  get(request: PanelRequest): void | Promise<void>
  /**
   * Answers a POST below its path (its forms). Forms post to the console itself only (CSP
   * `form-action 'self'`), and the guard has refused every other origin already.
   */
  post?(request: PanelRequest): void | Promise<void>
}

/** A form's fields are a few short values unless a panel says otherwise. */
const FORM_LIMIT = 4096

/** A page the console answers with. */
export function sendPage(res: ServerResponse, status: number, page: string): void {
  send(res, status, page, { contentType: 'text/html; charset=utf-8' })
}

/** After a change: back to `location` (the list it was made from, with what it did). */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { 'location': location, 'content-length': 0 }).end()
}

/** A refusal a form gets: the status and what to do about it. */
export class FormError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/**
 * The posted form (`application/x-www-form-urlencoded`, as the console's forms send it), at most
 * `limit` bytes. Anything else throws a FormError, which ./service.ts answers with its status.
 */
export async function readForm(req: IncomingMessage, limit = FORM_LIMIT): Promise<URLSearchParams> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw new FormError(415, 'Send the form as application/x-www-form-urlencoded.')
  }
  try {
    return new URLSearchParams((await readBody(req, { limit })).toString('utf8'))
  }
  catch (error) {
    if (error instanceof PayloadTooLargeError) throw new FormError(413, 'That form is too large.')
    throw error
  }
}
