/**
 * The console's pages, rendered on the server as whole documents: no script runs in them and they
 * load nothing (CONSOLE_CSP), so a page shows what the sandbox holds without a build step or a CDN.
 */
import { escapeHtml, htmlDocument } from '../cognito/mailbox'

export { escapeHtml }

/** Nothing but the inline stylesheet; no frame may embed the console (clickjacking). */
export const CONSOLE_CSP = 'default-src \'none\'; style-src \'unsafe-inline\'; form-action \'self\'; frame-ancestors \'none\''

const STYLE = `
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid #d0d7de; }
header b { margin-right: auto; }
nav { display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
nav a { color: #0969da; }
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
.users li { display: grid; gap: .35rem; }
.tags { display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; }
form.inline { display: inline-flex; gap: .35rem; align-items: center; margin: 0; }
button, select, input, textarea { font: inherit; font-size: .875rem; padding: .25rem .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #f6f8fa; color: inherit; }
input, textarea { min-width: 0; background: #fff; }
.search input { flex: 1; }
.attribute { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: .35rem; margin: .35rem 0; }
input[readonly] { background: #f6f8fa; border-color: #d0d7de; }
.create { display: block; margin: .5rem 0; }
.create summary { color: #0969da; }
.create form { margin-top: .5rem; flex-wrap: wrap; }
.search { display: flex; gap: .5rem; margin-bottom: .5rem; }
button:focus-visible, select:focus-visible, input:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
.group { display: inline-flex; align-items: center; gap: .25rem; border: 1px solid #d0d7de; border-radius: 999px; padding: 0 0 0 .6rem; font-size: .875rem; }
.group button { border: 0; background: none; padding: .1rem .5rem; }
.notice { border-left: 4px solid #0969da; padding: .25rem .75rem; }
.notice.error { border-left-color: #cf222e; }
.state { display: inline-block; border-radius: 999px; padding: 0 .5rem; font-size: .8rem; background: #dafbe1; color: #116329; }
.state.pending { background: #fff8c5; color: #7d4e00; }
.state.off { background: #ffebe9; color: #a40e26; }
details { display: inline-flex; gap: .35rem; align-items: center; font-size: .875rem; }
summary { cursor: pointer; color: #a40e26; padding: .25rem .25rem; }
details[open] { display: flex; flex-wrap: wrap; }
@media (prefers-color-scheme: dark) {
  body { color: #e6edf3; background: #0d1117; } header, li { border-color: #30363d; }
  nav a { color: #4493f8; } button, select, input, textarea { background: #161b22; border-color: #30363d; } .create summary { color: #4493f8; }
  .meta, .empty { color: #8b949e; } .state { background: #12361d; color: #7ee787; } .state.pending { background: #3b2e00; color: #e3b341; } .state.off { background: #490202; color: #ff7b72; } summary { color: #ff7b72; }
}
`

/** A refusal, as a page a person can act on. */
export function refusalPage(reason: string, mailbox?: string): string {
  // Without the secret, the codes a sign-up waits for are still a click away: the mailbox needs none.
  const codes = mailbox ? `<p>Waiting for a code? The sandbox's <a href="${escapeHtml(mailbox)}">mailbox</a> lists them too.</p>` : ''
  return document('Sandbox console', `<main><h1>Sandbox console</h1><p>${escapeHtml(reason)}</p>${codes}</main>`)
}

/** A panel's page: the navigation (`nav`: path and name of each panel, `current` marked), then `content`. */
export function layout(nav: ReadonlyArray<{ path: string, name: string }>, current: string, title: string, content: string, options: { refreshSeconds?: number, style?: string } = {}): string {
  const links = nav.map(({ path, name }) => `<a href="${path}"${path === current ? ' aria-current="page"' : ''}>${escapeHtml(name)}</a>`).join('')
  return document(`${title} · Sandbox console`, `<header><b>Sandbox console</b><nav>${links}</nav></header><main>${content}</main>`, options)
}

function document(title: string, body: string, options: { refreshSeconds?: number, style?: string } = {}): string {
  return htmlDocument({ title, style: STYLE + (options.style ?? ''), body, refreshSeconds: options.refreshSeconds })
}
