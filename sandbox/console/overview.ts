/** The console's Overview: each local service with its endpoints, and what of the backend is not served offline. */
import type { CloudAssembly } from '../assembly'
import type { RunningService } from '../core/service'
import { unservedFeatures } from '../core/unserved'
import type { Services } from '../services'
import type { Panel } from './panel'
import { escapeHtml } from './pages'

/** The "not served" lines of each backend the sandbox served: reading them walks the whole assembly. */
const unservedOf = new WeakMap<CloudAssembly, string[]>()

export const overviewPanel: Panel = {
  path: '/',
  name: 'Overview',
  async get({ subpath, sources, page, refuse }) {
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
    page(200, 'Overview', `<h1>Local services</h1><ul>${rows.join('')}</ul><h2>Not served offline</h2>${gaps}`)
  },
}
