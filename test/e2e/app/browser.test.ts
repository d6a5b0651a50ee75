/**
 * Two people use the built app in headless Chromium, against the offline sandbox, through the real
 * Authenticator: sign up, keep a todo list (server-rendered, live across tabs), stay out of each
 * other's lists, and sign out. The steps run in order and share the browser, like one session.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject } from 'vitest'
import { launchOptions } from '../../support/chromium'
import { latestCode } from '../../support/started-sandbox'
import { UI_TIMEOUT, hydrated, liveSubscriptions, serverRenderedTodos, signUpInAuthenticator, watchedPage, type PageProblem, storySteps } from '../../support/browser-tabs'

const { baseUrl, messagesUrl } = inject('e2e')
const origin = new URL(baseUrl).origin
const password = 'Correct-Horse-9'
const poll = { timeout: UI_TIMEOUT }

describe.sequential('a todo list in the browser', () => {
  let browser: Browser
  const contexts: BrowserContext[] = []
  /** Every uncaught exception and console error of every tab: each step ends by expecting none. */
  const problems: PageProblem[] = []

  const first = { email: `first-${Date.now()}@example.com`, todos: ['Buy oat milk', 'Book the dentist'], fromOtherTab: 'Call the plumber' }
  let page: Page

  async function newUserContext(): Promise<BrowserContext> {
    // ignoreHTTPSErrors stands in for trusting the sandbox's self-signed certificate (realtime is wss://).
    const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: baseUrl, colorScheme: 'light' })
    context.setDefaultTimeout(UI_TIMEOUT)
    contexts.push(context)
    return context
  }

  const todoItem = (tab: Page, content: string) => tab.getByRole('list', { name: 'Todos' }).getByRole('listitem').filter({ hasText: content })

  async function addTodo(tab: Page, content: string) {
    await tab.getByLabel('New todo').fill(content)
    await tab.getByRole('button', { name: 'Add' }).click()
    await todoItem(tab, content).waitFor()
    // A saved todo empties the field.
    await expect.poll(() => tab.getByLabel('New todo').inputValue(), poll).toBe('')
  }

  /** Waits until the todos page is hydrated and its three subscriptions (create, update, delete) are live. */
  const live = (tab: Page) => expect.poll(() => liveSubscriptions(tab), poll).toBe(3)

  const pathAndQuery = (tab: Page) => {
    const url = new URL(tab.url())
    return { origin: url.origin, path: url.pathname, redirect: url.searchParams.get('redirect') }
  }

  const step = storySteps(problems)

  beforeAll(async () => {
    browser = await chromium.launch(await launchOptions())
  })
  afterAll(async () => {
    for (const context of contexts) await context.close()
    await browser?.close()
  })

  step('a new user is sent to sign in, creates an account and lands on their todos', async () => {
    page = await watchedPage(await newUserContext(), 'first user', problems)
    await page.goto('/todos')
    expect(pathAndQuery(page)).toEqual({ origin, path: '/sign-in', redirect: '/todos' })

    await signUpInAuthenticator(page, messagesUrl, first.email, password)
    await page.waitForURL(url => url.pathname === '/todos')
    await page.getByRole('heading', { name: 'Your todos' }).waitFor()
    await page.getByText('Nothing to do yet').waitFor()
  })

  step('confirming the sign-up put the user in Members (the postConfirmation trigger), shown on the server-rendered profile', async () => {
    const response = await page.goto('/profile')
    const html = await response!.text()
    expect(html).toMatch(/<dt>Groups<\/dt><dd>Members<\/dd>/)
    expect(await page.getByRole('definition').allInnerTexts()).toContain('Members')
    // The todoSummary query, computed by a function, rendered on the server.
    expect(html).toContain('0 todos: 0 done, 0 open.')
    await page.goto('/todos')
    await live(page)
  })

  step('adds two todos, and an empty or overlong one is refused without losing what was typed', async () => {
    for (const content of first.todos) await addTodo(page, content)
    await expect.poll(() => page.getByRole('list', { name: 'Todos' }).getByRole('listitem').allInnerTexts(), poll)
      .toEqual(first.todos.map(content => expect.stringContaining(content)))

    const field = page.getByLabel('New todo')
    for (const [typed, refusal] of [
      ['   ', 'cannot be empty'],
      ['x'.repeat(501), 'Keep it under 500 characters: this one has 501'],
    ] as const) {
      await field.fill(typed)
      await page.getByRole('button', { name: 'Add' }).click()
      await expect.poll(() => page.getByRole('alert').allInnerTexts(), poll).toEqual([expect.stringContaining(refusal)])
      expect(await field.inputValue()).toBe(typed)
      expect(await page.getByRole('list', { name: 'Todos' }).getByRole('listitem').count()).toBe(2)
    }
  })

  step('after a reload the todos come in the server-rendered HTML', async () => {
    const response = await page.reload()
    expect(response?.status()).toBe(200)
    expect(await serverRenderedTodos(page, await response!.text())).toEqual(first.todos.map(content => ({ content, done: false })))
  })

  step('marks one done and deletes the other, and both changes survive a reload', async () => {
    const [done, deleted] = first.todos as [string, string]
    await live(page)
    await page.getByRole('checkbox', { name: done }).check()
    // The summary counts what the server saved, not the checkbox the browser ticked.
    await page.getByText('1 of 2 left to do').waitFor()
    await page.getByRole('button', { name: `Delete “${deleted}”` }).click()
    await todoItem(page, deleted).waitFor({ state: 'detached' })
    await page.getByText('0 of 1 left to do').waitFor()

    const response = await page.reload()
    const html = await response!.text()
    expect(await serverRenderedTodos(page, html)).toEqual([{ content: done, done: true }])
    expect(html).not.toContain(deleted)
    expect(await page.getByRole('checkbox', { name: done }).isChecked()).toBe(true)
    expect(await todoItem(page, deleted).count()).toBe(0)
  })

  step('the profile\'s summary, computed by a function, counts what is left, and a client-side visit asks it again', async () => {
    await page.getByRole('link', { name: 'Profile' }).click()
    await page.waitForURL(url => url.pathname === '/profile')
    await expect.poll(() => page.getByTestId('todo-summary').innerText(), poll).toBe('1 todo: 1 done, 0 open.')
    const html = await (await page.reload())!.text()
    expect(html).toContain('1 todo: 1 done, 0 open.')
  })

  step('exports the todos from the REST API in the browser, and through the app\'s server', async () => {
    const [done] = first.todos as [string, string]
    const downloaded = async (click: () => Promise<void>) => {
      const [download] = await Promise.all([page.waitForEvent('download'), click()])
      const stream = await download.createReadStream()
      let text = ''
      for await (const chunk of stream) text += String(chunk)
      return { name: download.suggestedFilename(), text }
    }
    await hydrated(page)
    const csv = await downloaded(() => page.getByRole('button', { name: 'Download as CSV' }).click())
    expect(csv.name).toMatch(/^todos-\d{4}-\d{2}-\d{2}\.csv$/)
    expect(csv.text.split('\r\n')).toEqual(['content,done,createdAt', expect.stringMatching(new RegExp(`^${done},true,\\d{4}-`)), ''])
    const json = await downloaded(() => page.getByRole('button', { name: 'Download as JSON' }).click())
    expect(JSON.parse(json.text)).toMatchObject({ todos: [{ content: done, done: true }] })
    const viaServer = await downloaded(() => page.getByRole('link', { name: 'CSV through the server' }).click())
    expect(viaServer.text).toBe(csv.text)
    await page.goto('/todos')
  })

  step('a todo added in a second tab shows up in the first without a reload', async () => {
    await live(page)
    // Gone after any reload or full navigation of the first tab.
    await page.evaluate(() => Object.assign(window, { sameDocument: true }))

    const otherTab = await watchedPage(page.context(), 'first user, second tab', problems)
    await otherTab.goto('/todos')
    await otherTab.getByRole('checkbox', { name: first.todos[0] }).waitFor()
    await live(otherTab)
    await addTodo(otherTab, first.fromOtherTab)

    await todoItem(page, first.fromOtherTab).waitFor()
    await page.getByText('1 of 2 left to do').waitFor()
    expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true)
  })

  step('a browser that does not trust the sandbox\'s certificate still gets the list, and is told why live updates cannot connect', async () => {
    // No ignoreHTTPSErrors: the realtime socket (wss://, self-signed) cannot connect. Not watched for
    // console errors, since Chromium logs each refused connection attempt.
    const untrusting = await browser.newContext({ baseURL: baseUrl, colorScheme: 'light' })
    contexts.push(untrusting)
    await untrusting.addCookies(await page.context().cookies())
    const tab = await untrusting.newPage()
    await tab.goto('/todos')
    await todoItem(tab, first.fromOtherTab).waitFor()
    await tab.getByRole('alert').filter({ hasText: 'Live updates cannot connect' }).filter({ hasText: 'npm run sandbox:trust' }).waitFor({ timeout: UI_TIMEOUT })
    await tab.close()
  })

  step('a second user, sent to sign in with a redirect off the site, stays on it and sees none of the first user\'s todos', async () => {
    const second = await watchedPage(await newUserContext(), 'second user', problems)
    await second.goto('/sign-in?redirect=//evil.example')
    await signUpInAuthenticator(second, messagesUrl, `second-${Date.now()}@example.com`, password)
    await second.waitForURL(url => url.pathname === '/todos' || url.origin !== origin)
    expect(pathAndQuery(second)).toMatchObject({ origin, path: '/todos' })
    await second.getByText('Nothing to do yet').waitFor()
    await live(second)

    const response = await second.reload()
    const html = await response!.text()
    expect(html).toContain('Nothing to do yet')
    for (const content of [...first.todos, first.fromOtherTab]) expect(html).not.toContain(content)
    expect(await serverRenderedTodos(second, html)).toEqual([])
  })

  step('the first user signs out from the header and the todos page is closed to them again', async () => {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(url => url.pathname === '/')
    await page.getByText('You are not signed in').waitFor()
    expect(await page.getByRole('banner').getByText(first.email).count()).toBe(0)

    const response = await page.goto('/todos')
    expect(pathAndQuery(page)).toEqual({ origin, path: '/sign-in', redirect: '/todos' })
    // The server itself turned the request away: the session cookies are gone, not just the page state.
    expect(response?.request().redirectedFrom()?.url()).toBe(`${origin}/todos`)
    expect(await response!.text()).not.toContain(first.fromOtherTab)
  })

  step('having forgotten the password, the first user resets it with the sandbox\'s code and signs in with the new one', async () => {
    // Still on /sign-in?redirect=/todos from the step before.
    const newPassword = 'Another-Horse-7'
    await page.getByRole('button', { name: 'Forgot your password?' }).click()
    await page.getByLabel('Email').fill(first.email)
    await page.getByRole('button', { name: 'Send code' }).click()
    const code = page.getByLabel(/^Code/) // labelled "Code *"
    await code.waitFor()
    await code.fill(await latestCode(messagesUrl, first.email))
    await page.getByLabel('New Password', { exact: true }).fill(newPassword)
    await page.getByLabel('Confirm Password').fill(newPassword)
    await page.getByRole('button', { name: 'Submit' }).click()

    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    await page.getByLabel('Email').fill(first.email)
    await page.getByLabel('Password', { exact: true }).fill(newPassword)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.waitForURL(url => url.pathname === '/todos')
    await todoItem(page, first.fromOtherTab).waitFor()
  })
})
