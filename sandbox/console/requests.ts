/**
 * The console's Requests: what every local service decided about each request, newest first: when,
 * which service, who (a user by their e-mail, a guest's identity, the API key, an IAM role), what
 * (operation, model, bucket and key, route), allowed, refused or failed, and for a refusal which
 * rule or policy decided. Filtered by user, by service and to refusals, by a GET form, so the
 * filters stay in the URL the page reloads itself with.
 */
import type { RequestCaller, RequestRecord, RequestService } from '../core/requests'
import { describeCaller } from '../core/requests'
import { escapeHtml } from './pages'
import type { Panel } from './panel'

/** New requests show without a click: the page reloads itself this often. */
export const REQUESTS_REFRESH_SECONDS = 3
/** The newest this many matches are shown: a page of a thousand entries every 3 s helps no one. */
const SHOWN = 200

const SERVICES: ReadonlyArray<{ name: RequestService, label: string }> = [
  { name: 'auth', label: 'User pool' },
  { name: 'identity', label: 'Identity pool' },
  { name: 'data', label: 'Data' },
  { name: 'storage', label: 'Storage' },
  { name: 'functions', label: 'Functions' },
  { name: 'rest', label: 'REST' },
]
const SERVICE_LABELS = new Map(SERVICES.map(({ name, label }) => [name as string, label]))

const STYLE = `
.filters { display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: end; margin-bottom: .75rem; }
.filters .field { display: grid; gap: .2rem; font-size: .875rem; }
.filters label.check { display: flex; gap: .35rem; align-items: center; font-size: .875rem; }
.filters input[type=search] { width: 14rem; max-width: 100%; }
.requests li { display: grid; gap: .2rem; }
.requests li.refused { border-left: 4px solid #cf222e; }
.requests .what { font-family: ui-monospace, monospace; font-size: .875rem; overflow-wrap: anywhere; }
.requests .reason { margin: 0; }
@media (prefers-color-scheme: dark) { .requests li.refused { border-left-color: #ff7b72; } }
`

export const requestsPanel: Panel = {
  path: '/requests',
  name: 'Requests',
  get({ subpath, query, sources, page, refuse }) {
    if (subpath) return refuse(404, `Nothing at /requests${subpath.slice(0, 100)}.`)
    const service = SERVICE_LABELS.has(query.get('service') ?? '') ? query.get('service') as RequestService : undefined
    const refused = query.get('refused') === '1'
    const user = (query.get('user') ?? '').trim().slice(0, 200)
    // A user is shown by their e-mail as it is now, whatever the request named them by.
    const emails = new Map(sources.service('auth').pool.users().map(u => [u.username, u.attributes.email]))
    const name = (who: RequestCaller) => (who.sub && emails.get(who.sub)) || who.label
    const describe = (who: RequestCaller) => `${name(who)} ${describeCaller(who)}`
    const found = sources.requests.list({ ...(service ? { service } : {}), refused, who: user }, describe)
    const filtered = Boolean(service || refused || user)
    const list = found.length
      ? `<ol class="requests">${found.slice(0, SHOWN).map(record => item(record, name(record.who))).join('')}</ol>`
      : `<p class="empty">${filtered ? 'No request matches these filters yet.' : 'No requests yet. Use the app and each request to a local service shows here.'}</p>`
    const more = found.length > SHOWN ? ` Showing the newest ${SHOWN} of ${found.length}.` : ''
    page(200, 'Requests', [
      '<h1>Requests</h1>',
      filters(user, service, refused),
      `<p class="meta">Newest first; the last ${sources.requests.capacity} requests are kept in memory while the sandbox runs; this page reloads every ${REQUESTS_REFRESH_SECONDS} s.${more}</p>`,
      list,
    ].join(''), { refreshSeconds: REQUESTS_REFRESH_SECONDS, style: STYLE })
  },
}

function filters(user: string, service: RequestService | undefined, refused: boolean): string {
  const options = [`<option value="">All services</option>`, ...SERVICES.map(({ name, label }) => `<option value="${name}"${name === service ? ' selected' : ''}>${escapeHtml(label)}</option>`)]
  return [
    '<form class="filters" method="get" action="/requests" role="search" aria-label="Filter requests">',
    // Labels by `for`: one wrapped around the select would take its options into its name.
    `<div class="field"><label for="filter-user">User</label><input type="search" id="filter-user" name="user" value="${escapeHtml(user)}" placeholder="e-mail, identity or role" autocomplete="off"></div>`,
    `<div class="field"><label for="filter-service">Service</label><select id="filter-service" name="service">${options.join('')}</select></div>`,
    `<label class="check"><input type="checkbox" name="refused" value="1"${refused ? ' checked' : ''}>Refusals only</label>`,
    '<button type="submit">Filter</button>',
    user || service || refused ? '<a href="/requests">Clear</a>' : '',
    '</form>',
  ].join('')
}

const PILLS: Record<RequestRecord['decision'], string> = {
  allowed: '<span class="state">allowed</span>',
  refused: '<span class="state off">refused</span>',
  failed: '<span class="state pending">failed</span>',
}

function item(record: RequestRecord, name: string): string {
  const { who } = record
  const details = [
    who.kind === 'user' && who.sub ? `<a href="/users/user?${new URLSearchParams({ u: who.sub })}">${escapeHtml(name)}</a>` : escapeHtml(name),
    who.identityId && !name.includes(who.identityId) ? `identity ${escapeHtml(who.identityId)}` : '',
    who.role && who.role !== name ? `role ${escapeHtml(who.role)}` : '',
  ].filter(Boolean)
  const at = record.at.toISOString()
  return [
    `<li class="${record.decision}">`,
    `<div>${PILLS[record.decision]} <span class="what">${escapeHtml(record.what)}</span></div>`,
    `<div class="meta"><time datetime="${at}">${at.replace('T', ' ').replace(/Z$/, ' UTC')}</time> · ${escapeHtml(SERVICE_LABELS.get(record.service) ?? record.service)} · ${record.status}</div>`,
    `<div class="who">${KIND[who.kind]}: ${details.join(' · ')}</div>`,
    record.reason ? `<p class="reason">${record.decision === 'refused' ? 'Why: ' : ''}${escapeHtml(record.reason)}</p>` : '',
    '</li>',
  ].join('')
}

const KIND: Record<RequestCaller['kind'], string> = {
  user: 'User',
  guest: 'Guest',
  apiKey: 'API key',
  iam: 'IAM',
  anonymous: 'Anonymous',
}
