/**
 * Two-step sign-in in headless Chromium with the real Authenticator: a new user turns TOTP on at
 * `/profile` (reading the key from the page, as they would type it into an authenticator app),
 * signs out, and signs in again with a code from it. Codes are computed by the test (RFC 6238).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject } from 'vitest'
import { UI_TIMEOUT, hydrated, signUpInAuthenticator, storySteps, watchedPage, type PageProblem } from '../../support/browser-tabs'
import { launchOptions } from '../../support/chromium'
import { totp } from '../../support/totp'

const { baseUrl, messagesUrl } = inject('e2e')
const PASSWORD = 'Correct-Horse-9'

describe.sequential('two-step sign-in with an authenticator app', () => {
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const problems: PageProblem[] = []
  const email = `totp-${Date.now()}@example.com`
  let secret = ''
  const step = storySteps(problems)

  beforeAll(async () => {
    browser = await chromium.launch(await launchOptions())
    context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: baseUrl })
    context.setDefaultTimeout(UI_TIMEOUT)
    page = await watchedPage(context, 'user', problems)
  })
  afterAll(async () => {
    await context?.close()
    await browser?.close()
  })

  step('a new user turns TOTP on at /profile with the key the page shows and a code from it', async () => {
    await page.goto('/sign-in')
    await signUpInAuthenticator(page, messagesUrl, email, PASSWORD)
    const response = await page.goto('/profile')
    expect(await response!.text()).toContain('Two-step sign-in')
    await hydrated(page)

    await page.getByRole('button', { name: 'Turn on with an authenticator app' }).click()
    secret = (await page.getByTestId('totp-secret').textContent())!.trim()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await expect.poll(() => page.getByRole('img', { name: /QR code/ }).getAttribute('src'), { timeout: UI_TIMEOUT }).toMatch(/^data:image\/png;base64,/)

    await page.getByLabel('Code from your authenticator app').fill(totp(secret))
    await page.getByRole('button', { name: 'Turn on' }).click()
    await page.getByTestId('totp-on').waitFor()
    // The choice is the user pool's, not the page's: a fresh load shows it on.
    await page.reload()
    await page.getByTestId('totp-on').waitFor()
  })

  step('signed out, they sign in again through the Authenticator with a code from the app', async () => {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor()
    await page.goto('/sign-in')
    await hydrated(page)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()

    await page.getByText('Confirm TOTP Code').waitFor()
    // The code that turned TOTP on is spent for its 30 seconds; the app's next one is accepted.
    await page.getByLabel(/^Code/).fill(totp(secret, Date.now() + 30_000))
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.getByRole('banner').getByText(email).waitFor()
  })
})
