/**
 * The console's Users: list and search the user pool, and change a user through the pool's admin
 * operations (what a script's AdminConfirmSignUp, AdminDisableUser... would do), so a change has the
 * effect Cognito gives it.
 */
import type { PoolUser, UserPool } from '../core/types'
import { escapeHtml } from './pages'
import { readForm, redirect, type Panel } from './panel'

type UserAction = Parameters<UserPool['manageUser']>[1]

/** What each user action did, for the notice on the list it was made from. */
const DONE: Record<UserAction, (email: string) => string> = {
  confirm: email => `Confirmed ${email}: they can sign in now.`,
  disable: email => `Disabled ${email}: their sessions ended, and sign-in and refresh are refused.`,
  enable: email => `Enabled ${email}: they can sign in again.`,
  delete: email => `Deleted ${email}.`,
}

/** Attributes the edit form does not offer: `sub` never changes, and the username is the e-mail. */
const FIXED_ATTRIBUTES = new Set(['sub'])

export const usersPanel: Panel = {
  path: '/users',
  name: 'Users',
  get({ subpath, query, sources, page, refuse }) {
    const pool = sources.service('auth').pool
    if (subpath === '/user') {
      const user = pool.users().find(u => u.username === query.get('u'))
      if (!user) return refuse(404, 'UserNotFoundException: User does not exist.')
      return page(200, user.attributes.email ?? user.username, userContent(user, { done: query.get('done') ?? undefined }))
    }
    if (subpath) return refuse(404, `Nothing at /users${subpath.slice(0, 100)}.`)
    page(200, 'Users', usersContent(pool.users(), pool.groupNames(), query.get('q') ?? '', { done: query.get('done') ?? undefined }))
  },
  /**
   * The Users panel's forms, each a change through the pool's admin API, then back (303) to the
   * page it was made from with what it did:
   * - `/users/create` (email, password): a confirmed user who signs in with that password;
   * - `/users/groups` (user, group, member=true|false);
   * - `/users/manage` (user, action=confirm|disable|enable|delete);
   * - `/users/password` (user, password): a new permanent password;
   * - `/users/attributes` (user, then `name`/`value` pairs): the attributes, as AdminUpdateUserAttributes sets them.
   */
  async post({ req, res, subpath, sources, page, refuse }) {
    const change = CHANGES[subpath]
    if (!change) return refuse(404, `Nothing to post at /users${subpath.slice(0, 100)}.`)
    const form = await readForm(req)
    const pool = sources.service('auth').pool
    const user = form.get('user') ?? ''
    const found = pool.users().find(u => u.username === user)
    const email = found?.attributes.email ?? user
    let outcome: { done: string, back?: string } | string
    try {
      outcome = await change(pool, form, user, email)
    }
    catch (error) {
      // Cognito's own answer (UserNotFoundException: User does not exist., ...), as a script would get it.
      const { name, message } = error as Error
      outcome = `${name}: ${message}`
      if (name === 'UserNotFoundException') return refuse(404, outcome)
    }
    if (typeof outcome === 'string') {
      // The form again, with what was typed (but a password) and what is wrong with it.
      if (subpath === '/create') return page(400, 'Users', usersContent(pool.users(), pool.groupNames(), '', { error: outcome, email: form.get('email') ?? '' }))
      if (found && (subpath === '/attributes' || subpath === '/password')) return page(400, email, userContent(found, { error: outcome, typed: subpath === '/attributes' ? form : undefined }))
      return refuse(400, outcome)
    }
    if (outcome.back) return redirect(res, `${outcome.back}&${new URLSearchParams({ done: outcome.done })}`)
    const back = new URLSearchParams({ ...(form.get('q') ? { q: form.get('q')! } : {}), done: outcome.done })
    redirect(res, `/users?${back}`)
  },
}

type Change = (pool: UserPool, form: URLSearchParams, user: string, email: string) => Promise<{ done: string, back?: string } | string>

/** Each form's change: what it did, where to go back to; a string is a form that is not right. */
const CHANGES: Record<string, Change> = {
  async '/create'(pool, form) {
    const email = form.get('email')?.trim() ?? ''
    const password = form.get('password') ?? ''
    if (!email || !password) return 'The form needs email and password.'
    await pool.createUser(email, password)
    return { done: `Created ${email}: they can sign in with that password now.` }
  },
  async '/groups'(pool, form, user, email) {
    const group = form.get('group')
    const member = form.get('member')
    if (!user || !group || (member !== 'true' && member !== 'false')) return 'The form needs user, group, and member=true or false.'
    await pool.setGroupMembership(user, group, member === 'true')
    return { done: member === 'true' ? `Added ${email} to ${group}. Their tokens carry it from their next refresh.` : `Removed ${email} from ${group}. Their tokens lose it at their next refresh.` }
  },
  async '/manage'(pool, form, user, email) {
    const action = form.get('action') ?? ''
    if (!user || !Object.hasOwn(DONE, action)) return 'The form needs user, and action=confirm, disable, enable or delete.'
    await pool.manageUser(user, action as UserAction)
    return { done: DONE[action as UserAction](email) }
  },
  async '/password'(pool, form, user, email) {
    const password = form.get('password') ?? ''
    if (!user || !password) return 'The form needs user and password.'
    await pool.setPassword(user, password)
    return { done: `${email} signs in with the new password now; their sessions stay.`, back: userPath(user) }
  },
  async '/attributes'(pool, form, user, email) {
    if (!user) return 'The form needs user.'
    const names = form.getAll('name').map(name => name.trim())
    const values = form.getAll('value')
    if (names.length !== values.length) return 'Each attribute needs a name and a value.'
    const changed: Record<string, string> = Object.fromEntries(names.map((name, i) => [name, values[i]!] as const).filter(([name]) => name !== ''))
    const current = pool.users().find(u => u.username === user)?.attributes ?? {}
    const updates: Record<string, string> = Object.fromEntries(Object.entries(changed).filter(([name, value]) => current[name] !== value && !FIXED_ATTRIBUTES.has(name)))
    if (Object.keys(updates).length === 0) return { done: 'Nothing changed.', back: userPath(user) }
    await pool.updateAttributes(user, updates)
    return { done: `Saved ${Object.keys(updates).join(', ')} of ${email}.`, back: userPath(user) }
  },
}

const userPath = (username: string) => `/users/user?${new URLSearchParams({ u: username })}`

/** What a page says after a form: what it did, or what is wrong with it. */
function said(notice: { done?: string, error?: string }): string {
  if (notice.error) return `<p class="notice error" role="alert">${escapeHtml(notice.error)}</p>`
  return notice.done ? `<p class="notice" role="status">${escapeHtml(notice.done)}</p>` : ''
}

/**
 * One user: their attributes as a form (each one a name and a value, and a blank row to add one),
 * and a new password. `typed` is a refused attributes form, shown again as it was sent.
 */
function userContent(user: PoolUser, notice: { done?: string, error?: string, typed?: URLSearchParams }): string {
  const email = user.attributes.email ?? user.username
  const hidden = `<input type="hidden" name="user" value="${escapeHtml(user.username)}">`
  const row = (name: string, value: string, i: number) => [
    '<div class="attribute">',
    `<input name="name" value="${escapeHtml(name)}" aria-label="Attribute ${i + 1} name"${name ? ' readonly' : ' placeholder="New attribute, e.g. custom:team"'}>`,
    `<input name="value" value="${escapeHtml(value)}" aria-label="${name ? escapeHtml(name) : `Attribute ${i + 1} value`}">`,
    '</div>',
  ].join('')
  const names = notice.typed?.getAll('name')
  const values = notice.typed?.getAll('value') ?? []
  const attributes = names
    ? names.map((name, i) => [name, values[i] ?? ''] as const).filter(([name, value], i) => name || value || i < names.length - 1)
    : Object.entries(user.attributes).filter(([name]) => !FIXED_ATTRIBUTES.has(name))
  return [
    `<p><a href="/users">← Users</a></p><h1>${escapeHtml(email)}</h1>${said(notice)}`,
    `<p class="meta">username ${escapeHtml(user.username)} · ${escapeHtml(user.status.toLowerCase().replaceAll('_', ' '))}${user.enabled ? '' : ' · disabled'}${user.groups.length ? ` · ${user.groups.map(escapeHtml).join(', ')}` : ''}</p>`,
    '<h2>Attributes</h2>',
    `<form method="post" action="/users/attributes" class="attributes">${hidden}`,
    ...attributes.map(([name, value], i) => row(name, value, i)),
    row('', '', attributes.length),
    '<p class="meta">A new e-mail takes effect at once and is unverified unless email_verified says true, as AdminUpdateUserAttributes does.</p>',
    '<button type="submit">Save attributes</button></form>',
    '<h2>Password</h2>',
    `<form method="post" action="/users/password" class="search">${hidden}<input type="password" name="password" autocomplete="new-password" aria-label="New password for ${escapeHtml(email)}" required><button type="submit">Set password</button></form>`,
  ].join('')
}

/** The users, matching `query` in their e-mail or username when it is given; `notice` says what a change did. */
function usersContent(users: readonly PoolUser[], groups: readonly string[], query: string, notice: { done?: string, error?: string, email?: string }): string {
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
    user.status === 'UNCONFIRMED' ? action(user, 'confirm', 'Confirm') : '',
    user.enabled ? action(user, 'disable', 'Disable') : action(user, 'enable', 'Enable'),
    // A second step without a script: the real button is inside the disclosure.
    `<details><summary>Delete…</summary>${action(user, 'delete', `Delete ${escapeHtml(email)} for good`)}</details>`,
  ].join('')
  const rows = shown.map((user) => {
    const email = user.attributes.email ?? user.username
    const status = user.status === 'CONFIRMED'
      ? '<span class="state">confirmed</span>'
      : `<span class="state pending">${user.status === 'UNCONFIRMED' ? 'unconfirmed' : 'must change password'}</span>`
    const joinable = groups.filter(group => !user.groups.includes(group))
    const tags = user.groups.map(group => membership(user, group, false,
      `<span class="group">${escapeHtml(group)}<button type="submit" aria-label="Remove ${escapeHtml(email)} from ${escapeHtml(group)}">×</button></span>`))
    const add = joinable.length
      ? membership(user, '', true, `<select name="group" aria-label="Group for ${escapeHtml(email)}">${joinable.map(group => `<option>${escapeHtml(group)}</option>`).join('')}</select><button type="submit">Add to group</button>`)
      : ''
    return [
      '<li>',
      `<div><a href="${escapeHtml(userPath(user.username))}"><b>${escapeHtml(email)}</b></a> ${status}${user.enabled ? '' : ' <span class="state off">disabled</span>'}</div>`,
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
  const create = [
    `<details class="create"${notice.email !== undefined ? ' open' : ''}><summary>New user…</summary>`,
    '<form method="post" action="/users/create" class="search">',
    `<input type="email" name="email" value="${escapeHtml(notice.email ?? '')}" autocomplete="off" placeholder="E-mail" aria-label="E-mail of the new user" required>`,
    '<input type="password" name="password" autocomplete="new-password" placeholder="Password" aria-label="Password of the new user" required>',
    '<button type="submit">Create confirmed user</button></form></details>',
  ].join('')
  return `<h1>Users</h1>${said(notice)}${search}${create}<p class="meta">${shown.length} of ${users.length}</p>${list}`
}
