/**
 * `node --import tsx scripts/screenshot.ts [<app url> <sandbox messages url>]`: writes
 * docs/todos.png, the README's picture of /todos with a signed-in user's list. Without arguments it
 * starts its own sandbox, production build and server (about a minute); with them it uses a running
 * app and its sandbox, e.g. `npm run dev`'s http://127.0.0.1:3000 and
 * http://127.0.0.1:20001/__sandbox/messages (then SCREENSHOT_EMAIL=<a new address> if that sandbox
 * already has alex@example.com).
 */
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { chromium } from 'playwright-core'
import { startBuiltApp } from '../test/support/built-app'
import { liveSubscriptions, signUpInAuthenticator, watchedPage, UI_TIMEOUT, type PageProblem } from '../test/support/browser-tabs'
import { launchOptions } from '../test/support/chromium'
import { projectRoot } from '../test/support/project'

const target = join(projectRoot, 'docs/todos.png')
const todos = ['Renew the passport', 'Book the dentist for early March', 'Buy oat milk and coffee beans', 'Write the release notes for 1.2']
const done = todos[0]!

const [givenUrl, givenMessagesUrl] = process.argv.slice(2)
if (Boolean(givenUrl) !== Boolean(givenMessagesUrl)) throw new Error('usage: screenshot.ts [<app url> <sandbox messages url>]')
const app = givenUrl && givenMessagesUrl
  ? { baseUrl: givenUrl, messagesUrl: givenMessagesUrl, stop: async () => {} }
  : await startBuiltApp().then(built => ({ ...built, messagesUrl: built.sandbox.messagesUrl }))
// The address shows in the header. A sandbox that already has this user needs another one.
const email = process.env.SCREENSHOT_EMAIL || 'alex@example.com'

const browser = await chromium.launch(await launchOptions())
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: app.baseUrl, colorScheme: 'light', viewport: { width: 1000, height: 700 } })
  context.setDefaultTimeout(UI_TIMEOUT)
  const problems: PageProblem[] = []
  const page = await watchedPage(context, 'screenshot', problems)

  await page.goto('/sign-in')
  await signUpInAuthenticator(page, app.messagesUrl, email, 'Correct-Horse-9')
  await page.waitForURL(url => url.pathname === '/todos')
  for (const content of todos) {
    await page.getByLabel('New todo').fill(content)
    await page.getByRole('button', { name: 'Add' }).click()
    await page.getByRole('listitem').filter({ hasText: content }).waitFor()
  }
  await page.getByRole('checkbox', { name: done }).check()
  await page.getByText(`${todos.length - 1} of ${todos.length} left to do`).waitFor()

  // As a visitor first sees it: freshly rendered, live, nothing focused or hovered.
  await page.reload()
  const deadline = Date.now() + UI_TIMEOUT
  while (liveSubscriptions(page) < 3) {
    if (Date.now() > deadline) throw new Error('The todos page did not start its live updates')
    await page.waitForTimeout(100)
  }
  await page.mouse.move(0, 0)
  if (problems.length) throw new Error(`The page reported errors:\n${problems.map(p => `${p.page}: ${p.text}`).join('\n')}`)

  await mkdir(dirname(target), { recursive: true })
  await page.screenshot({ path: target })
  console.log(`Wrote ${target}`)
}
finally {
  await browser.close()
  await app.stop()
}
