/**
 * The sandbox console against a real sandbox: the URL in the ready block lets a browser in, the
 * overview shows what runs and what does not, a code the real aws-amplify client's sign-up sends
 * shows in Mail, and everything that is not the developer's own browser or script is refused.
 */
import { createServer, request as httpRequest } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { signIn, signUp } from 'aws-amplify/auth'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretCookieName } from '../../../sandbox/console/guard'
import type { Sandbox } from '../../../sandbox/index'
import { launchOptions } from '../../support/chromium'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { amplifyContext, newSignedInUser, refreshSession } from '../../support/signed-in-user'
import { startTestSandbox } from '../../support/started-sandbox'

let sandbox: Sandbox
let stop: () => Promise<void>
let browser: Browser
let url: URL
let secret: string

/** One raw HTTP request, so `Host`, `Origin` and the rest are exactly what the test says. */
function raw(path: string, options: { method?: string, headers?: Record<string, string>, host?: string } = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: options.host ?? '127.0.0.1', port: Number(url.port), path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${url.port}`, ...options.headers }, setHost: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject).end()
  })
}

const withSecret = () => ({ cookie: `${secretCookieName(Number(url.port))}=${secret}` })

beforeAll(async () => {
  ;({ sandbox, stop } = await startTestSandbox())
  const line = sandbox.summary().find(l => l.trim().startsWith('Console'))
  url = new URL(line!.trim().split(/\s+/)[1]!)
  secret = url.searchParams.get('secret')!
  browser = await chromium.launch(await launchOptions())
})

afterAll(async () => {
  await browser?.close()
  await stop?.()
})

describe('the sandbox console', () => {
  it('is printed in the ready block with its secret, on 127.0.0.1', () => {
    expect(url.hostname).toBe('127.0.0.1')
    expect(secret).toMatch(/^[\w-]{32}$/)
  })

  it('shows each local service with its endpoint, and what is not served, in a browser at 390 px', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const page = await context.newPage()
      const problems: string[] = []
      page.on('console', message => message.type() === 'error' && problems.push(message.text()))
      await page.goto(url.href)
      // The secret leaves the address bar; a cookie carries it from here on.
      expect(new URL(page.url()).search).toBe('')
      expect(await page.locator('h1').innerText()).toBe('Local services')
      const overview = await page.locator('main').innerText()
      expect(overview).toContain(sandbox.userPoolEndpoint)
      expect(overview).toContain(sandbox.graphqlUrl)
      expect(overview).toContain('Not served offline')
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      // By keyboard: the panels are links in the tab order.
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      await page.keyboard.press('Enter')
      await page.waitForURL(/\/mail$/)
      expect(problems).toEqual([])
    }
    finally {
      await context.close()
    }
  })

  it('shows the code a real sign-up sends, newest first and large, and updates without a click', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(new URL(`/mail?secret=${secret}`, url).href)
      const { context: amplify } = await amplifyContext(sandbox.outputsPath)
      const email = `console-${Date.now()}@example.com`
      await signUp(amplify, { username: email, password: 'Correct-Horse-9', options: { userAttributes: { email } } })
      const sent = sandbox.userPool.messages(email).at(-1)!
      const first = page.locator('ol.mail > li').first()
      await expect.poll(() => first.innerText(), { timeout: 10_000 }).toContain(email)
      expect(await first.locator('.code').innerText()).toBe(sent.code)
      expect(await first.locator('.code').evaluate(element => Number.parseFloat(getComputedStyle(element).fontSize))).toBeGreaterThanOrEqual(32)
    }
    finally {
      await context.close()
    }
  })

  it('lists and finds users, and changes their groups with the effect Cognito gives it', async () => {
    const user = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'console')
    const other = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'other')
    const groupsOf = async () => {
      await refreshSession(user)
      return (await fetchAuthSession(user.context)).tokens?.idToken?.payload['cognito:groups'] ?? []
    }
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const page = await context.newPage()
      page.setDefaultTimeout(5_000)
      await page.goto(new URL(`/users?secret=${secret}`, url).href)
      const listed = await page.locator('ul.users').innerText()
      expect(listed).toContain(user.email)
      expect(listed).toContain(other.email)
      // The post-confirmation trigger put both in Members.
      expect(listed).toContain('Members')

      await page.getByLabel('Search users').fill(user.email.slice(0, 14))
      await page.getByLabel('Search users').press('Enter')
      await page.waitForURL(/q=/)
      expect(await page.locator('ul.users > li').count()).toBe(1)
      expect(await page.locator('ul.users').innerText()).not.toContain(other.email)

      expect(await groupsOf()).not.toContain('Admin')
      await page.getByLabel(`Group for ${user.email}`).selectOption('Admin')
      await page.getByRole('button', { name: 'Add to group' }).click()
      await page.waitForURL(/done=/)
      expect(await page.getByRole('status').innerText()).toContain(`Added ${user.email} to Admin`)
      // Still the search it was made from.
      expect(await page.locator('ul.users > li').count()).toBe(1)
      expect(await groupsOf()).toContain('Admin')

      await page.getByRole('button', { name: `Remove ${user.email} from Admin` }).click()
      await page.waitForURL(/Removed/)
      expect(await groupsOf()).not.toContain('Admin')
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    }
    finally {
      await context.close()
    }
  })

  it('confirms, disables, enables and deletes users, each with the effect Cognito gives it', async () => {
    const user = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'lifecycle')
    const { context: newcomer } = await amplifyContext(sandbox.outputsPath)
    const pending = `pending-${Date.now()}@example.com`
    await signUp(newcomer, { username: pending, password: 'Correct-Horse-9', options: { userAttributes: { email: pending } } })
    const signInAs = async (email: string) => {
      const { context: fresh } = await amplifyContext(sandbox.outputsPath)
      return signIn(fresh, { username: email, password: 'Correct-Horse-9' })
    }
    expect(await signInAs(pending)).toMatchObject({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_UP' } })

    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      page.setDefaultTimeout(5_000)
      const row = (email: string) => page.locator('ul.users > li', { hasText: email })
      await page.goto(new URL(`/users?secret=${secret}`, url).href)

      await row(pending).getByRole('button', { name: 'Confirm' }).click()
      await page.waitForURL(/done=/)
      expect(await page.getByRole('status').innerText()).toContain(`Confirmed ${pending}`)
      expect(await row(pending).innerText()).toContain('confirmed')
      expect(await signInAs(pending)).toMatchObject({ isSignedIn: true })

      await row(user.email).getByRole('button', { name: 'Disable' }).click()
      await page.waitForURL(/Disabled/)
      expect(await row(user.email).innerText()).toContain('disabled')
      // The open session ends: its refresh is refused (Amplify then drops the tokens), and so is a new sign-in.
      const holdsSession = () => [...user.cookies.keys()].some(name => name.endsWith('.accessToken'))
      expect(holdsSession()).toBe(true)
      await refreshSession(user).catch(() => {})
      expect(holdsSession()).toBe(false)
      await expect(signInAs(user.email)).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'User is disabled.' })

      await row(user.email).getByRole('button', { name: 'Enable' }).click()
      await page.waitForURL(/Enabled/)
      expect(await signInAs(user.email)).toMatchObject({ isSignedIn: true })

      await row(pending).getByText('Delete…').click()
      await row(pending).getByRole('button', { name: `Delete ${pending} for good` }).click()
      await page.waitForURL(/Deleted/)
      expect(await page.locator('ul.users').innerText()).not.toContain(pending)
      // Gen 2's client hides whether a user exists, so a deleted one reads as a wrong password.
      await expect(signInAs(pending)).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' })
      expect(sandbox.userPool.users().some(u => u.attributes.email === pending)).toBe(false)
    }
    finally {
      await context.close()
    }
  })

  it('creates a confirmed user, sets their password and edits their attributes, as the admin API would', async () => {
    const email = `made-${Date.now()}@example.com`
    const signInAs = async (username: string, password: string) => {
      const { context: fresh } = await amplifyContext(sandbox.outputsPath)
      return signIn(fresh, { username, password })
    }
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const page = await context.newPage()
      page.setDefaultTimeout(5_000)
      await page.goto(new URL(`/users?secret=${secret}`, url).href)
      await page.getByText('New user…').click()
      await page.getByLabel('E-mail of the new user').fill(email)
      await page.getByLabel('Password of the new user').fill('weak')
      await page.getByRole('button', { name: 'Create confirmed user' }).click()
      // The pool's policy refuses it, in Cognito's words; nothing is made, and the e-mail typed stays.
      expect(await page.getByRole('alert').innerText()).toContain('InvalidPasswordException')
      expect(sandbox.userPool.users().some(u => u.attributes.email === email)).toBe(false)
      expect(await page.getByLabel('E-mail of the new user').inputValue()).toBe(email)
      await page.getByLabel('Password of the new user').fill('Made-pass-1')
      await page.getByRole('button', { name: 'Create confirmed user' }).click()
      await page.waitForURL(/done=/)
      expect(await page.getByRole('status').innerText()).toContain(`Created ${email}`)
      // Confirmed with a verified e-mail: the real client signs in at once, with no challenge.
      expect(await signInAs(email, 'Made-pass-1')).toMatchObject({ isSignedIn: true })

      await page.getByRole('link', { name: email }).click()
      await page.waitForURL(/\/users\/user\?u=/)
      await page.getByLabel(`New password for ${email}`).fill('Made-pass-2')
      await page.getByRole('button', { name: 'Set password' }).click()
      await page.waitForURL(/done=/)
      await expect(signInAs(email, 'Made-pass-1')).rejects.toMatchObject({ name: 'NotAuthorizedException' })
      expect(await signInAs(email, 'Made-pass-2')).toMatchObject({ isSignedIn: true })

      // A changed attribute and a new one, by keyboard-reachable inputs.
      await page.getByPlaceholder('New attribute, e.g. custom:team').fill('custom:team')
      await page.getByLabel(/^Attribute \d+ value$/).fill('blue')
      await page.getByRole('button', { name: 'Save attributes' }).click()
      await page.waitForURL(/done=/)
      expect(await page.getByRole('status').innerText()).toContain('Saved custom:team')
      expect(sandbox.userPool.users().find(u => u.attributes.email === email)?.attributes['custom:team']).toBe('blue')
      // The next sign-in's id token carries it.
      const { context: fresh } = await amplifyContext(sandbox.outputsPath)
      await signIn(fresh, { username: email, password: 'Made-pass-2' })
      expect((await fetchAuthSession(fresh)).tokens?.idToken?.payload['custom:team']).toBe('blue')
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    }
    finally {
      await context.close()
    }
  })

  it('opens Mail from the app\'s link (another port of this machine) for a browser that opened the console, and points others to the mailbox', async () => {
    // The app's "enter the code" step, as a page on another port of 127.0.0.1.
    const app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="http://127.0.0.1:${url.port}/mail">Mail panel of the sandbox console</a>`))
    await new Promise<void>(resolve => app.listen(0, '127.0.0.1', resolve))
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`
    const developer = await browser.newContext()
    const stranger = await browser.newContext()
    try {
      const page = await developer.newPage()
      await page.goto(url.href)
      await page.goto(appUrl)
      await page.getByRole('link', { name: 'Mail panel of the sandbox console' }).click()
      await page.waitForURL(/\/mail$/)
      expect(await page.locator('h1').innerText()).toBe('Mail the user pool sent')

      // A browser that never opened the printed URL has no secret: 401, and the mailbox a click away.
      const other = await stranger.newPage()
      await other.goto(appUrl)
      const [answer] = await Promise.all([other.waitForResponse(/\/mail$/), other.getByRole('link', { name: 'Mail panel of the sandbox console' }).click()])
      expect(answer.status()).toBe(401)
      await other.getByRole('link', { name: 'mailbox' }).click()
      await other.waitForURL(new RegExp(sandbox.messagesUrl.replace(/[.?]/g, '\\$&')))
      expect(await other.locator('h1').innerText()).toContain('Codes the offline sandbox would have e-mailed')
    }
    finally {
      await developer.close()
      await stranger.close()
      await new Promise(resolve => app.close(resolve))
    }
  })

  it('refuses a group change from another site, or without the secret, and changes nothing', async () => {
    const user = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'target')
    const body = new URLSearchParams({ user: user.email, group: 'Admin', member: 'true' }).toString()
    const post = (headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: Number(url.port), path: '/users/groups', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), ...headers } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject).end(body)
    })
    expect(await post({ ...withSecret(), origin: 'https://evil.example' })).toBe(403)
    expect(await post({ origin: `http://127.0.0.1:${url.port}` })).toBe(401)
    expect(sandbox.userPool.users().find(u => u.attributes.email === user.email)?.groups).not.toContain('Admin')
    // The same request from the console itself is made.
    expect(await post({ ...withSecret(), origin: `http://127.0.0.1:${url.port}` })).toBe(303)
    expect(sandbox.userPool.users().find(u => u.attributes.email === user.email)?.groups).toContain('Admin')
  })

  it('refuses a missing or wrong secret', async () => {
    expect((await raw('/')).status).toBe(401)
    expect((await raw('/mail', { headers: { cookie: `${secretCookieName(Number(url.port))}=${secret.slice(1)}x` } })).status).toBe(401)
    expect((await raw(`/?secret=${secret.slice(1)}x`)).status).toBe(401)
    expect((await raw('/mail', { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200)
  })

  it('refuses a Host that is not its own loopback address (DNS rebinding), even with the secret', async () => {
    const answer = await raw('/mail', { headers: { ...withSecret(), host: `rebind.example:${url.port}` } })
    expect(answer.status).toBe(421)
    expect(answer.body).not.toContain('@example.com')
  })

  it('refuses a cross-origin POST and a cross-site navigation, even with the secret cookie', async () => {
    expect((await raw('/', { method: 'POST', headers: { ...withSecret(), origin: 'https://evil.example' } })).status).toBe(403)
    expect((await raw('/mail', { headers: { ...withSecret(), 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
  })

  it('refuses a page on another site that tries to read it through the developer\'s browser', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(url.href) // the developer is logged in to the console in this browser
      // Another site, here a page on another origin, fetches the console with the browser's cookies.
      await page.goto('data:text/html,<title>elsewhere</title>')
      const read = await page.evaluate(async (target) => {
        try {
          const answer = await fetch(target, { credentials: 'include' })
          return `read ${answer.status}: ${(await answer.text()).slice(0, 50)}`
        }
        catch (error) {
          return `refused: ${(error as Error).message}`
        }
      }, new URL('/mail', url).href)
      expect(read).toMatch(/^refused/)
    }
    finally {
      await context.close()
    }
  })

  it('keeps serving after a request whose path is no URL, or whose HTTP is malformed', async () => {
    expect((await raw('//[', { headers: withSecret() })).status).toBe(400)
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(url.port) }, () => socket.end('GARBAGE\r\n\r\n'))
      let answer = ''
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk)).on('end', () => resolve(answer)).on('error', reject)
    })
    expect(garbage).toMatch(/^HTTP\/1\.1 400/)
    expect((await raw('/mail', { headers: withSecret() })).status).toBe(200)
  })

  it('cannot be reached at another address of this machine', async () => {
    // Bound to 127.0.0.1 alone: another loopback address (as a LAN address would be) finds no one.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.2', port: Number(url.port) })
      socket.once('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    })
    expect(outcome).toBe('ECONNREFUSED')
  })

  it('sends headers that keep pages from framing or sniffing it', async () => {
    const answer = await raw('/', { headers: withSecret() })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-security-policy']).toContain('frame-ancestors \'none\'')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
  })
})
