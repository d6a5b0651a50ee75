/**
 * A browser that does not trust the offline sandbox's certificate (no `ignoreHTTPSErrors` here):
 * every page says so with the one command that fixes it, a failed upload and the live updates say
 * it again where they fail, nothing shows a bare "Network Error", and a todo with no files is
 * deleted without touching Storage at all.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { UI_TIMEOUT, hydrated, watchedPage, type PageProblem } from '../../support/browser-tabs'
import { launchOptions } from '../../support/chromium'
import { browserCookies, newSignedInUser } from '../../support/signed-in-user'

const { baseUrl, messagesUrl, outputsPath, storageEndpoint } = inject('e2e')
const poll = { timeout: UI_TIMEOUT }
/**
 * What Chromium logs for each request it refused for the certificate, and what aws-amplify's
 * Storage logs of its own for each retry of it: expected in this file only.
 */
const REFUSED_CERTIFICATE = /ERR_CERT_AUTHORITY_INVALID|ERR_CERT_COMMON_NAME_INVALID|ERR_CERT_INVALID|xhr-http-handler - Network Error/

describe.sequential('a browser that does not trust the sandbox\'s certificate', () => {
  let browser: Browser
  let context: BrowserContext
  let tab: Page
  const problems: PageProblem[] = []
  /** Requests to the Storage endpoint other than the certificate check. */
  const storageCalls: string[] = []

  beforeAll(async () => {
    browser = await chromium.launch(await launchOptions())
    const user = await newSignedInUser(outputsPath, messagesUrl, 'untrusting')
    context = await browser.newContext({ baseURL: baseUrl })
    context.setDefaultTimeout(UI_TIMEOUT)
    await context.addCookies(browserCookies(user, baseUrl))
    tab = await watchedPage(context, 'untrusting', problems)
    tab.on('request', (request) => {
      const url = new URL(request.url())
      if (url.host === storageEndpoint && url.pathname !== '/__sandbox/tls-check') storageCalls.push(`${request.method()} ${url.pathname}`)
    })
  })
  afterAll(async () => {
    await context?.close()
    await browser?.close()
  })

  const notice = () => tab.getByRole('alert', { name: 'Offline sandbox certificate' })
  const unexpected = () => problems.filter(problem => !REFUSED_CERTIFICATE.test(problem.text))

  it('is told on the page, with the command that fixes it', async () => {
    await tab.goto('/')
    await notice().waitFor()
    expect(await notice().textContent()).toContain('npm run sandbox:trust')
    // The home picture cannot load: the page says so rather than showing a broken image.
    await tab.getByText('The picture could not be loaded.').waitFor()
    expect(await tab.locator('img.splash').count()).toBe(0)
    expect(unexpected()).toEqual([])
  })

  it('adds a todo and deletes it, never asking Storage', async () => {
    await tab.goto('/todos')
    storageCalls.length = 0
    await notice().waitFor()
    const content = `No files here ${Date.now()}`
    await tab.getByLabel('New todo').fill(content)
    await tab.getByRole('button', { name: 'Add' }).click()
    const row = tab.getByRole('list', { name: 'Todos' }).getByRole('listitem').filter({ hasText: content })
    await row.waitFor()
    await row.getByRole('button', { name: `Delete “${content}”` }).click()
    await row.waitFor({ state: 'detached' })
    await tab.reload()
    await tab.getByText('Nothing to do yet.').waitFor()
    expect(storageCalls).toEqual([])
    expect(await tab.getByText('Network Error').count()).toBe(0)
    expect(unexpected()).toEqual([])
  })

  it('is told again where an upload and live updates fail, never a bare "Network Error"', async () => {
    const content = `With a file ${Date.now()}`
    await hydrated(tab)
    await tab.getByLabel('New todo').fill(content)
    await tab.getByRole('button', { name: 'Add' }).click()
    const row = tab.getByRole('list', { name: 'Todos' }).getByRole('listitem').filter({ hasText: content })
    await row.getByLabel('Attach a file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes\n') })
    await row.getByText('notes.txt could not be uploaded: your browser does not trust the offline sandbox\'s certificate. Run `npm run sandbox:trust`').waitFor()
    await expect.poll(() => tab.getByRole('alert').filter({ hasText: 'Live updates cannot connect' }).textContent(), poll).toContain('npm run sandbox:trust')
    expect(await tab.getByText('Network Error').count()).toBe(0)
    expect(unexpected()).toEqual([])
  })
})
