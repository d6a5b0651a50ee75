/**
 * The mailbox page a browser gets at `/__sandbox/messages`: newest first, each code with what it is
 * for and where it went, everything escaped, nothing loaded from elsewhere.
 */
import { describe, expect, it } from 'vitest'
import { MAILBOX_CSP, mailboxPage } from '../../../sandbox/cognito/mailbox'
import type { SandboxMessage } from '../../../sandbox/core/types'

const sent = (kind: SandboxMessage['kind'], to: string, code: string, sentAt: string): SandboxMessage =>
  ({ kind, to, sub: 'sub', code, subject: 'Your verification code', body: `Your code is ${code}`, sentAt })

describe('the mailbox page', () => {
  const messages = [
    sent('sign-up', 'ann@example.com', '111111', '2026-12-06T10:00:00.000Z'),
    sent('forgot-password', 'ann@example.com', '222222', '2026-12-06T10:05:00.000Z'),
  ]

  it('lists the newest code first, each with what it is for and the address', () => {
    const page = mailboxPage(messages)
    expect(page.indexOf('222222')).toBeLessThan(page.indexOf('111111'))
    expect(page).toContain('password-reset code for <b>ann@example.com</b>')
    expect(page).toContain('sign-up code for <b>ann@example.com</b>')
    expect(page).toContain('<div class="code">222222</div>')
    expect(page).toMatch(/<meta http-equiv="refresh" content="\d+">/)
  })

  it('says when nothing was sent yet, and whose codes a filtered page shows', () => {
    const page = mailboxPage([], 'bob@example.com')
    expect(page).toContain('None yet')
    expect(page).toContain('e-mailed or texted to bob@example.com')
  })

  it('escapes everything it shows', () => {
    const page = mailboxPage([sent('sign-up', '"><script>alert(1)</script>@x.io', '<b>1</b>', '2026-12-06T10:00:00.000Z')], '<img src=x>')
    expect(page).not.toMatch(/<script|<img|<b>1/)
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@x.io')
  })

  it('needs nothing from elsewhere, as its Content-Security-Policy says', () => {
    const page = mailboxPage(messages)
    expect(page).not.toMatch(/<(script|link|img|iframe)\b|\bsrc=|url\(|@import/i)
    expect(MAILBOX_CSP).toBe('default-src \'none\'; style-src \'unsafe-inline\'')
  })
})
