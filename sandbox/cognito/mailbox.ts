/**
 * The sandbox's mailbox: the codes the local user pool would have e-mailed or texted, as the developer sees
 * them in the terminal (sandbox/commands/terminal.ts) and at `/__sandbox/messages` in a browser (a page
 * that lists them, newest first). Scripts and tests read the same list as JSON (http.ts).
 */
import type { SandboxMessage } from '../core/types'

/** What each kind of code is for, in the terminal's and the page's words. */
export const CODE_PURPOSE: Record<SandboxMessage['kind'], string> = {
  'sign-up': 'sign-up',
  'forgot-password': 'password-reset',
  'verify-attribute': 'verification',
  'invitation': 'temporary password',
  'mfa-sms': 'SMS sign-in',
  'mfa-email': 'e-mail sign-in',
}

/** The page loads nothing and runs nothing: its one stylesheet is inline. */
export const MAILBOX_CSP = 'default-src \'none\'; style-src \'unsafe-inline\''

/** A new code shows up without a click: the page reloads itself this often. */
const REFRESH_SECONDS = 3

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, c => ESCAPES[c]!)

const STYLE = `
body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.25rem; }
ol { list-style: none; padding: 0; }
li { border: 1px solid #d0d7de; border-radius: 8px; padding: .75rem 1rem; margin: .75rem 0; }
li:first-child { border-color: #0969da; }
.code { font: 700 2.5rem/1.2 ui-monospace, monospace; letter-spacing: .15em; margin: .25rem 0; user-select: all; }
.meta, .empty { color: #57606a; font-size: .875rem; }
@media (prefers-color-scheme: dark) { body { color: #e6edf3; background: #0d1117; } li { border-color: #30363d; } .meta, .empty { color: #8b949e; } }
`

/** One `<li>` per message, newest first (`messages` is oldest first, as the pool lists them). */
export function messageItems(messages: readonly SandboxMessage[]): string[] {
  return [...messages].reverse().map(m => [
    '<li>',
    `<div>${escapeHtml(CODE_PURPOSE[m.kind])} code for <b>${escapeHtml(m.to)}</b></div>`,
    `<div class="code">${escapeHtml(m.code)}</div>`,
    `<div class="meta"><time datetime="${escapeHtml(m.sentAt)}">${escapeHtml(m.sentAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time> · ${escapeHtml(m.subject)}</div>`,
    '</li>',
  ].join(''))
}

/** The mailbox page for `messages` (as the pool lists them, oldest first), all or those sent to `to`. */
export function mailboxPage(messages: readonly SandboxMessage[], to?: string): string {
  const items = messageItems(messages)
  const whose = to === undefined ? '' : ` to ${escapeHtml(to)}`
  return htmlDocument({
    title: `Sandbox mailbox${whose}`,
    style: STYLE,
    refreshSeconds: REFRESH_SECONDS,
    body: [
      `<h1>Codes the offline sandbox would have e-mailed or texted${whose}</h1>`,
      items.length
        ? `<ol>${items.join('\n')}</ol>`
        : '<p class="empty">None yet. Sign up, reset a password or sign in with a second factor and the code appears here.</p>',
      `<p class="meta">Newest first; this page reloads every ${REFRESH_SECONDS} s.${to === undefined ? '' : ' <a href="?">Every address</a>.'}</p>`,
    ].join('\n'),
  })
}

/** A whole page with one inline stylesheet (its CSP allows nothing else); `title` is escaped, `body` is HTML. */
export function htmlDocument(page: { title: string, style: string, body: string, refreshSeconds?: number }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ...(page.refreshSeconds ? [`<meta http-equiv="refresh" content="${page.refreshSeconds}">`] : []),
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${page.style}</style>`,
    '</head>',
    '<body>',
    page.body,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
