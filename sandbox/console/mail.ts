/** The console's Mail: every message the user pool sent, newest first, the code large. */
import { messageItems } from '../cognito/mailbox'
import type { Panel } from './panel'

/** The mail panel shows a new code without a click: it reloads itself this often. */
export const MAIL_REFRESH_SECONDS = 3

export const mailPanel: Panel = {
  path: '/mail',
  name: 'Mail',
  get({ subpath, sources, page, refuse }) {
    if (subpath) return refuse(404, `Nothing at /mail${subpath.slice(0, 100)}.`)
    // `messageItems` lists them newest first (the pool keeps them oldest first).
    const items = messageItems(sources.service('auth').pool.messages())
    const body = items.length
      ? `<ol class="mail">${items.join('')}</ol>`
      : '<p class="empty">No mail yet. Sign up or reset a password and the code appears here.</p>'
    page(200, 'Mail', `<h1>Mail the user pool sent</h1>${body}<p class="meta">Newest first; this page reloads every ${MAIL_REFRESH_SECONDS} s.</p>`, { refreshSeconds: MAIL_REFRESH_SECONDS })
  },
}
