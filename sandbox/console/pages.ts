/**
 * The console's pages, rendered on the server as whole documents: no script runs in them and they
 * load nothing (CONSOLE_CSP), so a page shows what the sandbox holds without a build step or a CDN.
 */
import type { PoolUser, SandboxMessage } from '../core/types'
import { escapeHtml, htmlDocument, messageItems } from '../cognito/mailbox'

/** Nothing but the inline stylesheet; no frame may embed the console (clickjacking). */
export const CONSOLE_CSP = 'default-src \'none\'; style-src \'unsafe-inline\'; form-action \'self\'; frame-ancestors \'none\''

/** The mail panel shows a new code without a click: it reloads itself this often. */
export const MAIL_REFRESH_SECONDS = 3

const PANELS = [['/', 'Overview'], ['/mail', 'Mail'], ['/users', 'Users']] as const

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
.users li { display: grid; gap: .35rem; }
.tags { display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; }
form.inline { display: inline-flex; gap: .35rem; align-items: center; margin: 0; }
button, select, input[type=search] { font: inherit; font-size: .875rem; padding: .25rem .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #f6f8fa; color: inherit; }
input[type=search] { flex: 1; min-width: 0; background: #fff; }
.search { display: flex; gap: .5rem; margin-bottom: .5rem; }
button:focus-visible, select:focus-visible, input:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
.group { display: inline-flex; align-items: center; gap: .25rem; border: 1px solid #d0d7de; border-radius: 999px; padding: 0 0 0 .6rem; font-size: .875rem; }
.group button { border: 0; background: none; padding: .1rem .5rem; }
.notice { border-left: 4px solid #0969da; padding: .25rem .75rem; }
.state { display: inline-block; border-radius: 999px; padding: 0 .5rem; font-size: .8rem; background: #dafbe1; color: #116329; }
.state.pending { background: #fff8c5; color: #7d4e00; }
.state.off { background: #ffebe9; color: #a40e26; }
details { display: inline-flex; gap: .35rem; align-items: center; font-size: .875rem; }
summary { cursor: pointer; color: #a40e26; padding: .25rem .25rem; }
details[open] { display: flex; flex-wrap: wrap; }
@media (prefers-color-scheme: dark) {
  body { color: #e6edf3; background: #0d1117; } header, li { border-color: #30363d; }
  nav a { color: #4493f8; } button, select, input[type=search] { background: #161b22; border-color: #30363d; }
  .meta, .empty { color: #8b949e; } .state { background: #12361d; color: #7ee787; } .state.pending { background: #3b2e00; color: #e3b341; } .state.off { background: #490202; color: #ff7b72; } summary { color: #ff7b72; }
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

/** The users, matching `query` in their e-mail or username when it is given; `notice` says what a change did. */
export function usersPage(users: readonly PoolUser[], groups: readonly string[], query: string, notice?: string): string {
  const q = query.trim().toLowerCase()
  const shown = q ? users.filter(user => user.username.toLowerCase().includes(q) || (user.attributes.email ?? '').toLowerCase().includes(q)) : users
  const back = q ? `<input type="hidden" name="q" value="${escapeHtml(query)}">` : ''
  const membership = (user: PoolUser, group: string, member: boolean, label: string) => [
    `<form class="inline" method="post" action="/users/groups">`,
    `<input type="hidden" name="user" value="${escapeHtml(user.username)}">`,
    `<input type="hidden" name="member" value="${member}">`,
    back,
    group ? `<input type="hidden" name="group" value="${escapeHtml(group)}">` : '',
    label,
    '</form>',
  ].join('')
  // Forms post to the console itself only (CSP form-action 'self'); the guard refuses any other origin.
  const action = (user: PoolUser, name: string, label: string) =>
    `<form class="inline" method="post" action="/users/manage"><input type="hidden" name="user" value="${escapeHtml(user.username)}"><input type="hidden" name="action" value="${name}">${back}<button type="submit">${label}</button></form>`
  const actions = (user: PoolUser, email: string) => [
    user.status === 'CONFIRMED' ? '' : action(user, 'confirm', 'Confirm'),
    user.enabled ? action(user, 'disable', 'Disable') : action(user, 'enable', 'Enable'),
    // A second step without a script: the real button is inside the disclosure.
    `<details><summary>Delete…</summary>${action(user, 'delete', `Delete ${escapeHtml(email)} for good`)}</details>`,
  ].join('')
  const rows = shown.map((user) => {
    const email = user.attributes.email ?? user.username
    const joinable = groups.filter(group => !user.groups.includes(group))
    const tags = user.groups.map(group => membership(user, group, false,
      `<span class="group">${escapeHtml(group)}<button type="submit" aria-label="Remove ${escapeHtml(email)} from ${escapeHtml(group)}">×</button></span>`))
    const add = joinable.length
      ? membership(user, '', true, `<select name="group" aria-label="Group for ${escapeHtml(email)}">${joinable.map(group => `<option>${escapeHtml(group)}</option>`).join('')}</select><button type="submit">Add to group</button>`)
      : ''
    return [
      '<li>',
      `<div><b>${escapeHtml(email)}</b> ${user.status === 'CONFIRMED' ? '<span class="state">confirmed</span>' : '<span class="state pending">unconfirmed</span>'}${user.enabled ? '' : ' <span class="state off">disabled</span>'}</div>`,
      `<div class="meta">username ${escapeHtml(user.username)} · since ${escapeHtml(user.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</div>`,
      `<div class="tags">${tags.join('')}${add}</div>`,
      `<div class="tags">${actions(user, email)}</div>`,
      '</li>',
    ].join('')
  })
  const list = rows.length
    ? `<ul class="users">${rows.join('')}</ul>`
    : `<p class="empty">${q ? 'No user matches.' : 'No users yet. Sign up in the app and they appear here.'}</p>`
  const search = `<form class="search" method="get" action="/users" role="search"><input type="search" name="q" value="${escapeHtml(query)}" placeholder="E-mail or username" aria-label="Search users"><button type="submit">Search</button></form>`
  const said = notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''
  return layout('/users', 'Users', `<h1>Users</h1>${said}${search}<p class="meta">${shown.length} of ${users.length}</p>${list}`)
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
