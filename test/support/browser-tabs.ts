/**
 * Browser-side helpers for the e2e tier: tabs that record every error they show, and signing up
 * through the real Authenticator the way a person does.
 */
import type { BrowserContext, Page, Request, Route, WebSocket } from 'playwright-core'
import { expect, it } from 'vitest'
import { latestCode } from './started-sandbox'

/** How long a user-visible change may take before a wait gives up. */
export const UI_TIMEOUT = 15_000

/** What went wrong in a browser tab, as a developer would see it in the console. */
export interface PageProblem {
  page: string
  kind: 'pageerror' | 'console.error'
  text: string
}

/** Per tab: each open realtime socket and how many subscriptions AppSync acknowledged on it. */
const realtime = new WeakMap<Page, Map<WebSocket, number>>()

/**
 * A new tab of `context` whose uncaught exceptions and `console.error` lines land in `problems`,
 * labelled with `name` and the address the tab was on, and whose live subscriptions are counted
 * (see `liveSubscriptions`).
 */
export async function watchedPage(context: BrowserContext, name: string, problems: PageProblem[]): Promise<Page> {
  const page = await context.newPage()
  const where = () => `${name} at ${page.url()}`
  page.on('pageerror', error => problems.push({ page: where(), kind: 'pageerror', text: error.stack ?? error.message }))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ page: where(), kind: 'console.error', text: `${message.text()} (${message.location().url})` })
  })

  const sockets = new Map<WebSocket, number>()
  realtime.set(page, sockets)
  // A new document starts with no subscriptions (Chromium does not report the old one's sockets closed).
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) sockets.clear()
  })
  page.on('websocket', (socket) => {
    if (!socket.url().endsWith('/graphql/realtime')) return
    sockets.set(socket, 0)
    socket.on('framereceived', ({ payload }) => {
      const type = messageType(payload)
      // AppSync's realtime protocol: `start_ack` once a subscription is live, `complete` once it stopped.
      if (type === 'start_ack') sockets.set(socket, (sockets.get(socket) ?? 0) + 1)
      if (type === 'complete') sockets.set(socket, (sockets.get(socket) ?? 1) - 1)
    })
    socket.on('close', () => sockets.delete(socket))
  })
  return page
}

function messageType(payload: string | Buffer): string | undefined {
  try {
    return (JSON.parse(payload.toString()) as { type?: string }).type
  }
  catch {
    return undefined
  }
}

/**
 * Waits until Vue has hydrated the server-rendered page. Before that its buttons, checkboxes and
 * fields look ready but nothing listens: a click or a tick is lost, and hydration empties a field
 * typed into. `goto` and `reload` return at the load event, which hydration can trail by a few
 * hundred ms on a busy machine.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    type VueRoot = { __vue_app__?: { $nuxt?: { isHydrating?: boolean } } }
    return (document.querySelector('#__nuxt') as VueRoot | null)?.__vue_app__?.$nuxt?.isHydrating === false
  })
}

/**
 * How many GraphQL subscriptions of a tab from `watchedPage` are live right now. The todos page
 * opens its three once it is hydrated, so this is also "the page is interactive and will not miss
 * a change made elsewhere".
 */
export function liveSubscriptions(page: Page): number {
  let live = 0
  for (const count of realtime.get(page)?.values() ?? []) live += count
  return live
}

/**
 * Creates an account in the Authenticator on the current (sign-in) page, confirms it with the code
 * the sandbox "e-mailed", and waits until the header shows the new user signed in. The
 * Authenticator signs the user in by itself after the confirmation.
 */
export async function signUpInAuthenticator(page: Page, messagesUrl: string, email: string, password: string): Promise<void> {
  // A build made against another amplify_outputs.json (a developer's running sandbox, say) would
  // sign up there and its code would never come: stop such calls, and say why instead of timing out.
  const userPool = new URL(messagesUrl).origin
  const strays = (request: Request) => Boolean(request.headers()['x-amz-target']) && new URL(request.url()).origin !== userPool
  const guard = (route: Route) => (strays(route.request()) ? route.abort() : route.fallback())
  await page.route('**/*', guard)
  try {
    await page.getByRole('tab', { name: 'Create Account' }).click()
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password', { exact: true }).fill(password)
    await page.getByLabel('Confirm Password').fill(password)
    const [signUp] = await Promise.all([
      page.waitForRequest(request => request.headers()['x-amz-target'] === 'AWSCognitoIdentityProviderService.SignUp'),
      page.getByRole('button', { name: 'Create Account' }).click(),
    ])
    if (strays(signUp)) throw new Error(`The app sent its sign-up to ${signUp.url()}, not to the sandbox's user pool at ${userPool}: it was built against another amplify_outputs.json`)

    const code = page.getByLabel('Confirmation Code')
    await code.waitFor({ timeout: UI_TIMEOUT })
    // Offline, the step says where the code is: the sandbox console's Mail panel.
    const mail = page.getByRole('note').getByRole('link', { name: 'Mail panel of the sandbox console' })
    if (new URL(await mail.getAttribute('href') ?? '', page.url()).pathname !== '/mail') throw new Error(`The confirmation step links to ${await mail.getAttribute('href')}, not to the console's Mail`)
    await code.fill(await latestCode(messagesUrl, email))
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.getByRole('banner').getByText(email).waitFor({ timeout: UI_TIMEOUT })
  }
  finally {
    await page.unroute('**/*', guard)
  }
}

/** The todo list as the server rendered it into `html` (not as the browser shows it after hydration). */
export function serverRenderedTodos(page: Page, html: string): Promise<Array<{ content: string, done: boolean }>> {
  return page.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'text/html')
    return [...doc.querySelectorAll('ul[aria-label="Todos"] > li')].map(item => ({
      content: item.querySelector('label')?.textContent?.trim() ?? '',
      done: item.querySelector('input[type="checkbox"]')?.hasAttribute('checked') ?? false,
    }))
  }, html)
}

/**
 * The steps of one story, each a test. A step starts where the previous one left the people in it,
 * so once one fails the rest are skipped, naming it. A step fails on any problem a tab recorded
 * while it ran (see `watchedPage`), except those it names as expected.
 */
export function storySteps(problems: PageProblem[]) {
  let failedStep: string | undefined
  return (name: string, body: () => Promise<void>, expected: RegExp[] = []) => it(name, async ({ skip, onTestFailed }) => {
    skip(failedStep !== undefined, `an earlier step failed: ${failedStep}`)
    onTestFailed(() => {
      failedStep ??= name
    })
    problems.length = 0
    await body()
    expect(problems.filter(problem => !expected.some(pattern => pattern.test(problem.text)))).toEqual([])
  })
}
