/**
 * The README's story as newcomers live it, in headless Chromium with the real Authenticator: one
 * browser context per person, carrying its cookies from start to end.
 *
 * A browses as a guest, signs up, adds todos, attaches a file and shares a list. B, who already has
 * an account (and an identity in the identity pool, from another device), opens A's link as a
 * guest, signs in from the list page, edits, signs out and back in. A is added to Admin while
 * signed in, gets in from the 403 page without signing out, and still has their own files.
 *
 * Every page is reloaded at each step, and a step fails on any console error, page error or failed
 * request it does not name as expected.
 */
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject } from 'vitest'
import { UI_TIMEOUT, hydrated, signUpInAuthenticator, watchedPage, type PageProblem, storySteps } from '../../support/browser-tabs'
import { launchOptions } from '../../support/chromium'
import { newSignedInUser, type SignedInUser } from '../../support/signed-in-user'
import { addUserToGroup } from '../../support/user-pool-admin'

const { baseUrl, messagesUrl, outputsPath, dataDir } = inject('e2e')
const poll = { timeout: UI_TIMEOUT }
const PASSWORD = 'Correct-Horse-9'

/** A small text file, as a person picks one from disk. */
const textFile = (name: string) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(`notes for ${name}\n`) })

describe.sequential('a newcomer\'s journey, one browser per person', () => {
  let browser: Browser
  const contexts: BrowserContext[] = []
  const problems: PageProblem[] = []
  let a: Page
  let b: Page
  let bAccount: SignedInUser
  const aEmail = `journey-a-${Date.now()}@example.com`
  const todos = ['Water the plants', 'Book the train']
  let listPath: string

  async function person(name: string): Promise<Page> {
    // ignoreHTTPSErrors stands in for trusting the sandbox's certificate (realtime and Storage are
    // https); certificate.browser.test.ts covers a browser that does not.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: baseUrl })
    context.setDefaultTimeout(UI_TIMEOUT)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl })
    contexts.push(context)
    const page = await watchedPage(context, name, problems)
    // A request that got no answer, or an error answer, is a problem unless the step expects it.
    // (ERR_ABORTED is a request the page itself gave up: a navigation away, or a download.)
    page.on('requestfailed', request => request.failure()?.errorText === 'net::ERR_ABORTED' || problems.push({ page: `${name} at ${page.url()}`, kind: 'console.error', text: `request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})` }))
    page.on('response', async (response) => {
      if (response.status() < 400) return
      const where = `${name} at ${page.url()}`
      // AWS JSON services (the user pool, the identity pool) say which operation failed and why.
      const target = response.request().headers()['x-amz-target']
      const why = target ? ` ${target}(${response.request().postData()}): ${await response.text().catch(() => '(gone with its page)')}` : ''
      problems.push({ page: where, kind: 'console.error', text: `HTTP ${response.status()}: ${response.request().method()} ${response.url()}${why}` })
    })
    return page
  }

  /** One step of the story; later steps are skipped once one fails (they build on it). */
  const step = storySteps(problems)

  /** Reloads the tab and waits until the page shows `visible` again, rendered by the server, and takes input. */
  async function reload(tab: Page, visible: string): Promise<void> {
    const response = await tab.reload()
    expect(response?.status(), `reload of ${tab.url()}`).toBe(200)
    expect(await response!.text()).toContain(visible)
    await tab.getByText(visible).first().waitFor()
    await hydrated(tab)
  }

  /** The home page's picture, signed with the visitor's own credentials, has loaded. */
  async function pictureShows(tab: Page): Promise<void> {
    const picture = tab.locator('img.splash')
    await picture.waitFor()
    await expect.poll(() => picture.evaluate(img => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), poll).toBe(true)
  }

  const row = (tab: Page, content: string) => tab.getByRole('list', { name: 'Todos' }).getByRole('listitem').filter({ hasText: content })
  const item = (tab: Page, content: string) => tab.getByRole('list', { name: 'Shared items' }).getByRole('checkbox', { name: content })

  async function signInAs(tab: Page, email: string): Promise<void> {
    await tab.getByLabel('Email').fill(email)
    await tab.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click()
    await tab.getByRole('banner').getByText(email).waitFor()
  }

  beforeAll(async () => {
    browser = await chromium.launch(await launchOptions())
    // B signed up elsewhere long ago and used the app there: B's account has its own identity.
    bAccount = await newSignedInUser(outputsPath, messagesUrl, 'journey-b')
    expect((await fetchAuthSession(bAccount.context)).identityId).toMatch(/^us-east-1:/)
  })
  afterAll(async () => {
    for (const context of contexts) await context.close()
    await browser?.close()
  })

  step('A visits the home page as a guest, then signs up from the header and comes back to it', async () => {
    a = await person('A')
    await a.goto('/')
    await pictureShows(a)
    await reload(a, 'You are not signed in.')
    await pictureShows(a)
    await a.getByRole('banner').getByRole('link', { name: 'Sign in' }).click()
    await a.waitForURL(url => url.pathname === '/sign-in')
    await signUpInAuthenticator(a, messagesUrl, aEmail, PASSWORD)
    await a.waitForURL(url => url.pathname === '/')
    await reload(a, 'You are signed in as')
    await pictureShows(a)
  })

  step('A adds todos and attaches a file, and the server renders both', async () => {
    await a.getByRole('link', { name: 'Go to your todos' }).click()
    await a.waitForURL(url => url.pathname === '/todos')
    for (const content of todos) {
      await a.getByLabel('New todo').fill(content)
      await a.getByRole('button', { name: 'Add' }).click()
      await row(a, content).waitFor()
    }
    await row(a, todos[0]!).getByLabel('Attach a file').setInputFiles(textFile('watering.txt'))
    await row(a, todos[0]!).getByRole('link', { name: 'watering.txt' }).waitFor()
    await reload(a, 'watering.txt')
    for (const content of todos) await row(a, content).waitFor()
  })

  step('A publishes the list, copies its link and adds B as an editor', async () => {
    await a.getByLabel('Share these todos').fill('Weekend')
    await a.getByRole('button', { name: 'Publish' }).click()
    await a.waitForURL(url => url.pathname.startsWith('/lists/'))
    listPath = new URL(a.url()).pathname
    const link = a.getByLabel('Link to this list')
    expect(await link.inputValue()).toBe(new URL(listPath, baseUrl).href)
    await a.getByRole('button', { name: 'Copy link' }).click()
    await a.getByText('Link copied.').waitFor()
    expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(new URL(listPath, baseUrl).href)

    await a.getByLabel('Add an editor').fill(bAccount.email)
    await a.getByRole('button', { name: 'Add', exact: true }).click()
    await a.getByRole('list', { name: 'Editors' }).getByText(bAccount.email).waitFor()
    await reload(a, 'You published this list.')
  })

  step('B opens the link as a guest, signs in there with their existing account, lands back on the list and edits it', async () => {
    b = await person('B')
    const first = await b.goto(listPath)
    expect(first?.status()).toBe(200)
    await b.getByText('Read-only.').waitFor()
    await reload(b, 'Read-only.')
    await b.getByRole('main').getByRole('link', { name: 'Sign in' }).click()
    await b.waitForURL(url => url.pathname === '/sign-in')
    await signInAs(b, bAccount.email)
    await b.waitForURL(url => url.pathname === listPath)
    await b.getByText('You can edit this list.').waitFor()
    await item(b, todos[0]!).check()
    await expect.poll(() => item(b, todos[0]!).isChecked(), poll).toBe(true)
    // A, still on the list, sees it live.
    await expect.poll(() => item(a, todos[0]!).isChecked(), poll).toBe(true)
    await reload(b, 'You can edit this list.')
    expect(await item(b, todos[0]!).isChecked()).toBe(true)
  })

  step('B\'s session works on every page after the guest visit, rendered on the server and in the browser', async () => {
    for (const [path, visible] of [['/todos', 'Nothing to do yet.'], ['/lists', 'Weekend'], ['/profile', bAccount.email], ['/', 'You are signed in as']] as const) {
      // In the browser (a link, client-side), then on the server (a reload).
      await b.evaluate(to => (document.querySelector('#__nuxt') as unknown as { __vue_app__: { config: { globalProperties: { $router: { push(path: string): Promise<unknown> } } } } }).__vue_app__.config.globalProperties.$router.push(to), path)
      await b.waitForURL(url => url.pathname === path)
      await b.getByText(visible).first().waitFor()
      await reload(b, visible)
      expect(await b.getByRole('alert').count(), `alerts on ${path}`).toBe(0)
    }
    await pictureShows(b)
  })

  step('B signs out, reads the list as a guest again, and signs back in', async () => {
    await b.getByRole('button', { name: 'Sign out' }).click()
    await b.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor()
    await reload(b, 'You are not signed in.')
    await pictureShows(b)
    await b.goto(listPath)
    await reload(b, 'Read-only.')
    await b.getByRole('main').getByRole('link', { name: 'Sign in' }).click()
    await signInAs(b, bAccount.email)
    await b.waitForURL(url => url.pathname === listPath)
    await reload(b, 'You can edit this list.')
  })

  step('A is added to Admin while signed in and gets in from the 403 page, without signing out', async () => {
    await addUserToGroup({ dataDir, outputsPath, username: aEmail, group: 'Admin' })
    const refused = await a.goto('/admin')
    expect(refused?.status()).toBe(403)
    await a.getByRole('heading', { name: 'Not allowed' }).waitFor()
    await hydrated(a)
    await a.getByRole('button', { name: 'Refresh my session and try again' }).click()
    await a.getByRole('heading', { name: 'Admin: every shared list' }).waitFor()
    await a.getByRole('link', { name: 'Weekend', exact: true }).waitFor()
    await reload(a, 'Admin: every shared list')
  }, [/HTTP 403: GET .*\/admin$/, /status of 403/])

  step('as an Admin, A still attaches, opens and removes their own files, and sees the home picture', async () => {
    await a.goto('/todos')
    await a.getByRole('link', { name: 'watering.txt' }).waitFor()
    await hydrated(a)
    await row(a, todos[1]!).getByLabel('Attach a file').setInputFiles(textFile('tickets.txt'))
    const opened = row(a, todos[1]!).getByRole('link', { name: 'tickets.txt' })
    await opened.waitFor()
    const [download] = await Promise.all([a.waitForEvent('download'), opened.click()])
    expect(download.suggestedFilename()).toBe('tickets.txt')
    await row(a, todos[1]!).getByRole('button', { name: 'Remove tickets.txt' }).click()
    await opened.waitFor({ state: 'detached' })
    await reload(a, 'watering.txt')
    expect(await a.getByText('tickets.txt').count()).toBe(0)
    // The todo with a file goes with its file.
    await row(a, todos[0]!).getByRole('button', { name: `Delete “${todos[0]}”` }).click()
    await row(a, todos[0]!).waitFor({ state: 'detached' })
    await reload(a, todos[1]!)
    expect(await a.getByText('watering.txt').count()).toBe(0)
    await a.goto('/')
    await pictureShows(a)
    await reload(a, 'You are signed in as')
    await pictureShows(a)
  })
})
