/** The console's Overview: each local service with its endpoints, and what of the backend is not served offline. */
import type { CloudAssembly } from '../assembly'
import type { RunningService } from '../core/service'
import { unservedFeatures } from '../core/unserved'
import type { Services } from '../services'
import { SnapshotError } from '../core/snapshot'
import { escapeHtml } from './pages'
import { readForm, redirect, type Panel } from './panel'

/** A snapshot's name: one folder under .amplify/snapshots/, nothing that climbs out of it. */
const SNAPSHOT_NAME = /^[\w][\w.-]{0,63}$/

const defaultSnapshotName = () => `snapshot-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`

/** The "not served" lines of each backend the sandbox served: reading them walks the whole assembly. */
const unservedOf = new WeakMap<CloudAssembly, string[]>()

export const overviewPanel: Panel = {
  path: '/',
  name: 'Overview',
  async get({ subpath, query, sources, page, refuse }) {
    if (subpath) return refuse(404, `Nothing at ${subpath.slice(0, 100)}.`)
    // Imported when asked: ../services.ts lists the console too.
    const { SERVICES } = await import('../services')
    const assembly = sources.assembly()
    if (!unservedOf.has(assembly)) unservedOf.set(assembly, unservedFeatures(assembly, SERVICES))
    const rows = SERVICES
      .filter(service => service.name !== 'console')
      .map(service => ({ name: service.name, lines: (sources.service(service.name as keyof Services) as RunningService | undefined)?.summary?.().map(line => line.trim()) ?? [] }))
      .filter(row => row.lines.length > 0)
      .map(row => `<li><b>${escapeHtml(row.name)}</b> <span class="state">serving</span>${row.lines.map(line => `<div class="endpoint">${escapeHtml(line)}</div>`).join('')}</li>`)
    const unserved = unservedOf.get(assembly)!
    const gaps = unserved.length
      ? `<ul>${unserved.map(line => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`
      : '<p class="empty">Everything the backend defines is served offline.</p>'
    const done = query.get('done')
    page(200, 'Overview', [
      `<h1>Local services</h1>${done ? `<p class="notice" role="status">${escapeHtml(done)}</p>` : ''}<ul>${rows.join('')}</ul>`,
      `<h2>Not served offline</h2>${gaps}`,
      snapshotForm(defaultSnapshotName()),
    ].join(''))
  },
  /** `POST /snapshot` (name): the whole local state to `.amplify/snapshots/<name>`, then back with where it went. */
  async post({ req, res, subpath, sources, page, refuse }) {
    if (subpath !== '/snapshot') return refuse(404, `Nothing to post at ${subpath.slice(0, 100)}.`)
    const name = (await readForm(req)).get('name')?.trim() ?? ''
    const again = (status: number, error: string) => page(status, 'Overview', `<h1>Export a snapshot</h1><p class="notice error" role="alert">${escapeHtml(error)}</p>${snapshotForm(name)}`)
    if (!SNAPSHOT_NAME.test(name)) return again(400, 'A snapshot\'s name is letters, digits, dots, dashes and underscores (at most 64), starting with a letter or digit.')
    try {
      const { folder, tables } = await sources.exportSnapshot(name)
      const items = Object.values(tables).reduce((sum, n) => sum + n, 0)
      redirect(res, `/?${new URLSearchParams({ done: `Exported ${items} items, the users, identities and files to ${folder}. Start a sandbox from it with: npm run sandbox -- --from ${folder}` })}`)
    }
    catch (error) {
      if (error instanceof SnapshotError) return again(409, error.message)
      throw error
    }
  },
}

/** The export form: a name, the folder it makes, and the command that starts from it. */
function snapshotForm(name: string): string {
  return [
    '<h2>Snapshot</h2>',
    '<p class="meta">Everything this sandbox keeps (users, identities, files, items; not its admin credentials or secret values) as a folder under .amplify/snapshots/, for a CI fixture or a bug report. Start a sandbox from one with npm run sandbox -- --from &lt;folder&gt;.</p>',
    '<form method="post" action="/snapshot" class="search">',
    `<input name="name" value="${escapeHtml(name)}" aria-label="Snapshot name" required maxlength="64">`,
    '<button type="submit">Export a snapshot</button></form>',
  ].join('')
}
