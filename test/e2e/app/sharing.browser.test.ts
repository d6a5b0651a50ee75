/**
 * Sharing in headless Chromium: A publishes todos as a list, a browser with no session reads it
 * server-rendered, B (added by email) ticks an item and A sees it live, C may only read, and an
 * Admin unpublishes it, after which its address is a 404 page for everyone.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject } from 'vitest'
import { UI_TIMEOUT, hydrated, liveSubscriptions, signUpInAuthenticator, watchedPage, type PageProblem, storySteps } from '../../support/browser-tabs'
import { launchOptions } from '../../support/chromium'
import { browserCookies, newSignedInUser, refreshSession, type SignedInUser } from '../../support/signed-in-user'
import { addUserToGroup } from '../../support/user-pool-admin'

const { baseUrl, messagesUrl, outputsPath, dataDir } = inject('e2e')
const poll = { timeout: UI_TIMEOUT }

describe.sequential('sharing a list in the browser', () => {
  let browser: Browser
  const contexts: BrowserContext[] = []
  const problems: PageProblem[] = []
  const todos = ['Pack the tent', 'Buy matches']
  let a: Page
  let listUrl: string
  let b: SignedInUser
  let c: SignedInUser

  async function newContext(user?: SignedInUser): Promise<BrowserContext> {
    // ignoreHTTPSErrors stands in for trusting the sandbox's self-signed certificate (realtime is wss://).
    const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: baseUrl })
    context.setDefaultTimeout(UI_TIMEOUT)
    contexts.push(context)
    // Signed in through the cookies the real Amplify client wrote: what the server reads, and the
    // browser's Amplify too.
    if (user) await context.addCookies(browserCookies(user, baseUrl))
    return context
  }

  const item = (tab: Page, content: string) => tab.getByRole('list', { name: 'Shared items' }).getByRole('checkbox', { name: content })

  const step = storySteps(problems)

  beforeAll(async () => {
    browser = await chromium.launch(await launchOptions())
    ;[b, c] = await Promise.all([newSignedInUser(outputsPath, messagesUrl, 'editor-b'), newSignedInUser(outputsPath, messagesUrl, 'reader-c')])
  })
  afterAll(async () => {
    for (const context of contexts) await context.close()
    await browser?.close()
  })

  step('A publishes their todos as a list and lands on its page', async () => {
    a = await watchedPage(await newContext(), 'A', problems)
    await a.goto('/sign-in?redirect=/todos')
    await signUpInAuthenticator(a, messagesUrl, `sharer-${Date.now()}@example.com`, 'Correct-Horse-9')
    await a.waitForURL(url => url.pathname === '/todos')
    for (const content of todos) {
      await a.getByLabel('New todo').fill(content)
      await a.getByRole('button', { name: 'Add' }).click()
      await a.getByRole('list', { name: 'Todos' }).getByText(content).waitFor()
    }
    // An empty title is refused, and nothing is published.
    await a.getByRole('button', { name: 'Publish' }).click()
    await a.getByRole('alert').filter({ hasText: 'Give the list a title' }).waitFor()
    await a.getByLabel('Share these todos').fill('Camping trip')
    await a.getByRole('button', { name: 'Publish' }).click()
    await a.waitForURL(url => url.pathname.startsWith('/lists/'))
    listUrl = new URL(a.url()).pathname
    await a.getByRole('heading', { name: 'Camping trip' }).waitFor()
    await a.getByText('You published this list.').waitFor()
    for (const content of todos) await item(a, content).waitFor()
  })

  step('a browser with no session gets the list in the server-rendered HTML, read-only', async () => {
    const guest = await watchedPage(await newContext(), 'guest', problems)
    const response = await guest.goto(listUrl)
    expect(response?.status()).toBe(200)
    const html = await response!.text()
    for (const content of todos) expect(html).toContain(content)
    expect(html).toContain('Read-only.')
    for (const content of todos) expect(await item(guest, content).isDisabled()).toBe(true)
  })

  step('A adds B by email; B ticks an item and A sees it without a reload', async () => {
    await a.getByLabel('Add an editor').fill(b.email.toUpperCase())
    await a.getByRole('button', { name: 'Add', exact: true }).click()
    await a.getByRole('list', { name: 'Editors' }).getByText(b.email.toLowerCase()).waitFor()
    // A's page follows the list once its subscriptions (update, delete) are acknowledged.
    await a.reload()
    await expect.poll(() => liveSubscriptions(a), poll).toBe(2)
    await a.evaluate(() => Object.assign(window, { sameDocument: true }))

    const tabB = await watchedPage(await newContext(b), 'B', problems)
    await tabB.goto(listUrl)
    await tabB.getByText('You can edit this list.').waitFor()
    await hydrated(tabB)
    await item(tabB, todos[0]!).check()
    await expect.poll(() => item(tabB, todos[0]!).isChecked(), poll).toBe(true)

    await expect.poll(() => item(a, todos[0]!).isChecked(), poll).toBe(true)
    await a.getByText('1 of 2 done').waitFor()
    expect(await a.evaluate(() => 'sameDocument' in window)).toBe(true)
  })

  step('C, signed in but not an editor, may only read it, and is refused the admin area', async () => {
    const tabC = await watchedPage(await newContext(c), 'C', problems)
    await tabC.goto(listUrl)
    await tabC.getByText('Read-only.').waitFor()
    expect(await item(tabC, todos[0]!).isDisabled()).toBe(true)
    expect(await tabC.getByRole('button', { name: 'Unpublish' }).count()).toBe(0)

    // Client-side navigation (the router, as a link would use it) meets the same guard: an error
    // page, no redirect loop. The server-rendered text is there before the app: wait for it.
    await hydrated(tabC)
    await tabC.evaluate(() => Object.assign(window, { sameDocument: true }))
    await tabC.evaluate(() => (document.querySelector('#__nuxt') as unknown as { __vue_app__: { config: { globalProperties: { $router: { push(path: string): Promise<unknown> } } } } }).__vue_app__.config.globalProperties.$router.push('/admin').catch(() => {}))
    await tabC.getByRole('heading', { name: 'Not allowed' }).waitFor()
    expect(await tabC.evaluate(() => 'sameDocument' in window)).toBe(true)

    // And the server answers the address itself with a 403 (Chromium logs that status as a console
    // error, so this tab is not a watched one).
    const direct = await tabC.context().newPage()
    const refused = await direct.goto('/admin')
    expect(refused?.status()).toBe(403)
    await direct.getByRole('heading', { name: 'Not allowed' }).waitFor()
    await direct.close()
  })

  step('an Admin unpublishes it from the admin area, and its address is a 404 page for everyone', async () => {
    const admin = await newSignedInUser(outputsPath, messagesUrl, 'admin')
    await addUserToGroup({ dataDir, outputsPath, username: admin.email, group: 'Admin' })
    await refreshSession(admin)
    const tab = await watchedPage(await newContext(admin), 'Admin', problems)
    await tab.goto('/admin')
    await tab.getByRole('link', { name: 'Camping trip' }).waitFor()
    await hydrated(tab)
    await tab.getByRole('button', { name: 'Unpublish “Camping trip”' }).click()
    // It asks first; nothing is gone until the answer.
    await tab.getByRole('group', { name: 'Unpublish “Camping trip”? Its link stops working for everyone.' }).waitFor()
    await tab.getByRole('link', { name: 'Camping trip' }).waitFor()
    await tab.getByRole('button', { name: 'Yes, unpublish' }).click()
    await tab.getByRole('link', { name: 'Camping trip' }).waitFor({ state: 'detached' })

    // A, still on the page, is told.
    await a.getByText('This list has been unpublished').waitFor()
    for (const context of [await newContext(), await newContext(b), tab.context()]) {
      const visitor = await context.newPage()
      const response = await visitor.goto(listUrl)
      expect(response?.status()).toBe(404)
      await visitor.getByRole('heading', { name: 'Page not found' }).waitFor()
      await visitor.close()
    }
  })
})
