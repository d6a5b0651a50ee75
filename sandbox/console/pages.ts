/**
 * The console's pages, rendered on the server as whole documents: no script runs in them and they
 * load nothing (CONSOLE_CSP), so a page shows what the sandbox holds without a build step or a CDN.
 */
import type { SandboxMessage } from '../core/types'
import { escapeHtml, htmlDocument, messageItems } from '../cognito/mailbox'

/** Nothing but the inline stylesheet; no frame may embed the console (clickjacking). */
export const CONSOLE_CSP = 'default-src \'none\'; style-src \'unsafe-inline\'; form-action \'self\'; frame-ancestors \'none\''

/** The mail panel shows a new code without a click: it reloads itself this often. */
export const MAIL_REFRESH_SECONDS = 3

const PANELS = [['/', 'Overview'], ['/mail', 'Mail']] as const

const STYLE = `
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid #d0d7de; }
header b { margin-right: auto; }
nav a { margin-right: .75rem; color: #0969da; }
nav a[aria-current] { font-weight: 700; color: inherit; text-decoration: none; }
a:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.25rem; margin: .5rem 0 1rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
ul, ol { list-style: none; padding: 0; }
li { border: 1px solid #d0d7de; border-radius: 8px; padding: .6rem .9rem; margin: .5rem 0; overflow-wrap: anywhere; }
.mail li:first-child { border-color: #0969da; }
.code { font: 700 2.5rem/1.2 ui-monospace, monospace; letter-spacing: .15em; margin: .25rem 0; user-select: all; }
.endpoint { font-family: ui-monospace, monospace; font-size: .875rem; }
.meta, .empty { color: #57606a; font-size: .875rem; }
.state { display: inline-block; border-radius: 999px; padding: 0 .5rem; font-size: .8rem; background: #dafbe1; color: #116329; }
@media (prefers-color-scheme: dark) {
  body { color: #e6edf3; background: #0d1117; } header, li { border-color: #30363d; }
  nav a { color: #4493f8; } .meta, .empty { color: #8b949e; } .state { background: #12361d; color: #7ee787; }
}
`

export interface ServiceRow {
  name: string
  /** The service's lines of the ready block, without their indentation. */
  lines: string[]
}

export function overviewPage(services: readonly ServiceRow[], unserved: readonly string[]): string {
  const rows = services.map(service => [
    '<li>',
    `<b>${escapeHtml(service.name)}</b> <span class="state">serving</span>`,
    ...service.lines.map(line => `<div class="endpoint">${escapeHtml(line)}</div>`),
    '</li>',
  ].join(''))
  const gaps = unserved.length
    ? `<ul>${unserved.map(line => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`
    : '<p class="empty">Everything the backend defines is served offline.</p>'
  return layout('/', 'Overview', `<h1>Local services</h1><ul>${rows.join('')}</ul><h2>Not served offline</h2>${gaps}`)
}

/** Every message of the user pool, newest first (`messages` is oldest first, as the pool lists them). */
export function mailPage(messages: readonly SandboxMessage[]): string {
  const items = messageItems(messages)
  const body = items.length
    ? `<ol class="mail">${items.join('')}</ol>`
    : '<p class="empty">No mail yet. Sign up or reset a password and the code appears here.</p>'
  return layout('/mail', 'Mail', `<h1>Mail the user pool sent</h1>${body}<p class="meta">Newest first; this page reloads every ${MAIL_REFRESH_SECONDS} s.</p>`, MAIL_REFRESH_SECONDS)
}

/** A refusal, as a page a person can act on. */
export function refusalPage(reason: string): string {
  return document('Sandbox console', `<main><h1>Sandbox console</h1><p>${escapeHtml(reason)}</p></main>`)
}

function layout(path: string, title: string, content: string, refreshSeconds?: number): string {
  const nav = PANELS.map(([href, name]) => `<a href="${href}"${href === path ? ' aria-current="page"' : ''}>${name}</a>`).join('')
  return document(`${title} · Sandbox console`, `<header><b>Sandbox console</b><nav>${nav}</nav></header><main>${content}</main>`, refreshSeconds)
}

function document(title: string, body: string, refreshSeconds?: number): string {
  return htmlDocument({ title, style: STYLE, body, refreshSeconds })
}
