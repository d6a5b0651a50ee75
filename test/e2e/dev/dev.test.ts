import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { dirname, join, sep } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hydrated, signUpInAuthenticator } from '../../support/browser-tabs'
import { launchOptions } from '../../support/chromium'
import { projectRoot, scratchProject } from '../../support/project'
import { latestCode, testSynthCacheEnv } from '../../support/started-sandbox'
import { WatchedProcess } from '../../support/watched-process'
import { SEED_PASSWORD, SEED_USERS } from '../../../amplify/seed/people'

/** `npm run dev` as a developer runs it, in `cwd`; in its own process group so Ctrl-C can be played. */
class DevProcess extends WatchedProcess {
  readonly startedAt = performance.now()

  constructor(cwd: string, args: string[], env: NodeJS.ProcessEnv) {
    super(spawn('npm', ['run', 'dev', '--', ...args], { cwd, env, detached: true }), 'npm run dev')
  }

  /** Its exit code, or a rejection when it has not exited within `timeoutMs`. */
  async exit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`npm run dev still running after ${timeoutMs} ms:\n${this.output}`)), timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    }
    finally {
      clearTimeout(timer)
    }
  }

  /** SIGTERM to npm alone (a process manager), or SIGINT to the whole group (Ctrl-C in a terminal). */
  async stop(how: 'SIGTERM' | 'Ctrl-C', timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null) {
      if (how === 'SIGTERM') this.child.kill('SIGTERM')
      else process.kill(-this.child.pid!, 'SIGINT')
    }
    return this.exit(timeoutMs)
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL')
    }
    catch {
      // Already gone.
    }
  }
}

/**
 * A fresh-clone copy of the app (what git would check out, without `test/`) under the ignored
 * `.amplify/test/`, so the dev script's `amplify_outputs.json`, `.amplify/sandbox` and `.nuxt` are
 * its own while packages still resolve from the project's `node_modules`.
 */
async function scratchApp() {
  const project = await scratchProject()
  const { stdout } = await promisify(execFile)('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot, maxBuffer: 16 << 20 })
  for (const file of stdout.split('\0')) {
    if (!file || file.startsWith('amplify/') || file.startsWith('test/')) continue
    await mkdir(dirname(join(project.dir, file)), { recursive: true })
    // A tracked file deleted in the working tree is not part of a checkout either.
    await copyFile(join(projectRoot, file), join(project.dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }
  // A checkout after `npm ci` has its own node_modules, where Nuxt keeps Vite's dependency cache
  // (without one it would be filed under the project's). An empty one puts this copy's cache, new
  // and empty like a fresh install's, inside the copy, and removes it with it.
  await mkdir(join(project.dir, 'node_modules'))
  return { ...project, dir: await realpath(project.dir) }
}

/**
 * What a developer's shell has: none of the test runner's variables, which make nuxi and Nuxt act
 * differently; the tests' shared synth cache (synth is not this file's subject).
 */
function developerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const runnerOnly = (key: string) => ['NODE_ENV', 'TEST', 'FORCE_COLOR', 'AMPLIFY_OUTPUTS'].includes(key) || key.startsWith('VITEST')
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !runnerOnly(key))), NO_COLOR: '1', ...testSynthCacheEnv, ...extra }
}

/** `npm run <script>` in `cwd` as a developer runs it, to its end: its exit code and everything it printed. */
function npmRun(cwd: string, script: string): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', script], { cwd, env: developerEnv({}) })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.once('error', reject)
    child.once('close', code => resolve({ code, output }))
  })
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer()
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (listening) await new Promise(resolve => server.close(resolve))
  return listening
}

/** Processes working inside `dir` (Linux): whatever the dev script started there and left running. */
async function processesIn(dir: string): Promise<number[]> {
  if (process.platform !== 'linux') return []
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '')
    if (cwd === dir || cwd.startsWith(dir + sep)) pids.push(Number(entry))
  }
  return pids
}

async function expectNothingLeftIn(dir: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let left = await processesIn(dir)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 100))
    left = await processesIn(dir)
  }
  expect(left).toEqual([])
}

/** GET `url` until it answers 200: nuxi answers 503 with a loading page while the first build runs. */
async function getWhenReady(url: string, timeoutMs: number): Promise<{ status: number, type: string | null, body: string }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      // A cold `nuxi dev` once left its first request hanging: give each attempt its own timeout.
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(30_000, Math.max(1_000, deadline - Date.now()))) })
      const body = await response.text()
      if (response.status === 200 || Date.now() > deadline) return { status: response.status, type: response.headers.get('content-type'), body }
    }
    catch (error) {
      if (Date.now() > deadline) throw error
    }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

const urlLine = /Local:\s+(http:\/\/127\.0\.0\.1:(\d+)\/)/

describe('npm run dev', () => {
  let app: Awaited<ReturnType<typeof scratchApp>>
  let dev: DevProcess | undefined
  const ports = { app: 0, auth: 0, data: 0, storage: 0, rest: 0, console: 0 }

  beforeAll(async () => {
    app = await scratchApp()
    ports.app = await freePort()
    ports.auth = await freePort()
    ports.data = await freePort()
    ports.storage = await freePort()
    ports.rest = await freePort()
    ports.console = await freePort()
  })
  afterAll(async () => {
    dev?.kill()
    // Whatever a failed test left running (nuxi is in its own process group, out of dev's reach).
    for (const pid of app ? await processesIn(app.dir) : []) {
      try {
        process.kill(pid, 'SIGKILL')
      }
      catch {
        // Exited meanwhile.
      }
    }
    await app?.remove()
  })

  it('starts the offline sandbox, then nuxi dev on 127.0.0.1, and prints the URL within 60 s', async () => {
    dev = new DevProcess(app.dir, ['--port', String(ports.app)], developerEnv({ SANDBOX_AUTH_PORT: String(ports.auth), SANDBOX_DATA_PORT: String(ports.data), SANDBOX_STORAGE_PORT: String(ports.storage), SANDBOX_REST_PORT: String(ports.rest), SANDBOX_CONSOLE_PORT: String(ports.console) }))
    const ready = await dev.waitFor(/Offline sandbox ready in/, 60_000)
    const [, url] = await dev.waitFor(urlLine, 60_000)
    expect((performance.now() - dev.startedAt) / 1000).toBeLessThan(60)
    expect(url).toBe(`http://127.0.0.1:${ports.app}/`)
    // nuxi starts only once the sandbox has written the outputs the app is built against.
    expect(dev.output.indexOf(url!)).toBeGreaterThan(ready.index!)
    const outputs = JSON.parse(await readFile(join(app.dir, 'amplify_outputs.json'), 'utf8')) as { custom: { offlineSandbox: { userPoolEndpoint: string } } }
    expect(outputs.custom.offlineSandbox.userPoolEndpoint).toBe(`http://127.0.0.1:${ports.auth}`)
  })

  it('serves the signed-out home page', async () => {
    const page = await getWhenReady(`http://127.0.0.1:${ports.app}/`, 120_000)
    expect(page.status).toBe(200)
    expect(page.type).toMatch(/text\/html/)
    expect(page.body).toContain('You are not signed in')
  })

  it('prints sign-up codes in the same terminal', async () => {
    const outputs = JSON.parse(await readFile(join(app.dir, 'amplify_outputs.json'), 'utf8')) as {
      auth: { user_pool_client_id: string }
      custom: { offlineSandbox: { userPoolEndpoint: string, messagesUrl: string } }
    }
    const email = `dev-${Date.now()}@example.com`
    const response = await fetch(outputs.custom.offlineSandbox.userPoolEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' },
      body: JSON.stringify({ ClientId: outputs.auth.user_pool_client_id, Username: email, Password: 'Dev-pass-1', UserAttributes: [{ Name: 'email', Value: email }] }),
      signal: AbortSignal.timeout(10_000),
    })
    expect(response.status).toBe(200)
    const [, printed] = await dev!.waitFor(new RegExp(`sign-up code for ${email.replace(/[.+]/g, '\\$&')}: (\\d+)`), 10_000)
    expect(printed).toBe(await latestCode(outputs.custom.offlineSandbox.messagesUrl, email))
  })

  describe('in Chromium', () => {
    /** A cold dev server compiles each page on its first visit: far slower than a built app. */
    const COLD_PAGE_MS = 60_000
    let browser: Browser
    let page: Page
    /** Every document the tab loaded: one per `goto`, more when something reloaded the page. */
    const documents: string[] = []
    const base = () => `http://127.0.0.1:${ports.app}`
    /** What the console showed on `/` and `/sign-in`, the first pages of a fresh install. */
    let onFirstPages: typeof problems | undefined
    /** Console warnings and errors and uncaught exceptions, with the script or page they came from. */
    const problems: Array<{ type: string, text: string, source: string }> = []
    const problemsSince = (from: number, types = ['warning', 'error', 'pageerror']) => problems.slice(from)
      .filter(problem => types.includes(problem.type))
      // The browser's own line for a document answered 403 or 404: it reports the status the test asks for.
      .filter(problem => !(documents.includes(problem.source) && /^Failed to load resource: the server responded with a status of 40[34]\b/.test(problem.text)))

    beforeAll(async () => {
      browser = await chromium.launch(await launchOptions())
      // ignoreHTTPSErrors stands in for trusting the sandbox's self-signed certificate (Storage, realtime).
      const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base() })
      context.setDefaultTimeout(COLD_PAGE_MS)
      page = await context.newPage()
      page.on('console', (message) => {
        if (message.type() === 'warning' || message.type() === 'error') problems.push({ type: message.type(), text: message.text(), source: message.location().url })
      })
      page.on('pageerror', error => problems.push({ type: 'pageerror', text: error.stack ?? error.message, source: page.url() }))
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents.push(request.url())
      })
    })
    afterAll(async () => {
      await browser?.close()
    })

    it('has every browser dependency optimized before the first page: no reload, and the first click lands', async () => {
      const outputs = JSON.parse(await readFile(join(app.dir, 'amplify_outputs.json'), 'utf8')) as { custom: { offlineSandbox: { messagesUrl: string } } }
      expect((await page.goto('/'))?.status()).toBe(200)
      await page.getByText('You are not signed in').waitFor()
      // A full reload would start a new document without this.
      await page.evaluate(() => Object.assign(window, { __marker: 1 }))
      // Before hydration the link is a plain one, whose click loads a new document by design.
      await hydrated(page)
      await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click()
      await page.getByRole('tab', { name: 'Create Account' }).waitFor()
      expect(new URL(page.url()).pathname).toBe('/sign-in')
      onFirstPages = problemsSince(0)

      // Signed in, every page that loads more of Amplify: the data client and realtime, REST, Storage.
      await signUpInAuthenticator(page, outputs.custom.offlineSandbox.messagesUrl, `dev-browser-${Date.now()}@example.com`, 'Dev-pass-1')
      await page.getByRole('banner').getByRole('link', { name: 'Your todos' }).click()
      await page.getByLabel('New todo').fill('Pack the tent')
      await page.getByRole('button', { name: 'Add' }).click()
      await page.getByRole('list', { name: 'Todos' }).getByText('Pack the tent').waitFor()
      await page.getByLabel('Share these todos').fill('Camping trip')
      await page.getByRole('button', { name: 'Publish' }).click()
      await page.getByRole('heading', { name: 'Camping trip' }).waitFor()
      expect(new URL(page.url()).pathname).toMatch(/^\/lists\/./)
      await page.getByRole('banner').getByRole('link', { name: 'Profile' }).click()
      await page.getByText('1 todo: 0 done, 1 open').waitFor()
      await page.getByRole('banner').getByRole('link', { name: 'Shared lists' }).click()
      await page.getByRole('link', { name: 'Camping trip' }).waitFor()

      expect(await page.evaluate(() => (window as { __marker?: number }).__marker)).toBe(1)
      expect(documents).toEqual([`${base()}/`])
      // Vite says so when it finds a dependency late, and then reloads every open page.
      expect(dev!.output).not.toMatch(/new dependencies optimized|optimized dependencies changed|discovered while scanning|optimizeDeps/)
      // This run's own cache, in the copy: the dependencies were optimized from nothing.
      expect(existsSync(join(app.dir, 'node_modules/.cache/vite/client/deps/_metadata.json'))).toBe(true)
    }, 300_000)

    it('logs no warning or error in the console on / and /sign-in', () => {
      expect(onFirstPages).toEqual([])
    })

    it('shows the expected 403 and 404 as the app\'s error page, with no dev overlay and no console error', async () => {
      const cases = [
        // The user signed up above is not in the Admin group.
        { path: '/admin', status: 403, title: 'Not allowed' },
        { path: '/no-such-page', status: 404, title: 'Page not found' },
        { path: '/lists/no-such-list', status: 404, title: 'Page not found' },
      ]
      for (const { path, status, title } of cases) {
        const from = problems.length
        expect((await page.goto(path))?.status(), path).toBe(status)
        await page.getByRole('heading', { name: title }).waitFor()
        // The browser has run the app on the page: what it logs while hydrating is in by now.
        await hydrated(page)
        expect(await page.locator('nuxt-error-overlay').count(), path).toBe(0)
        expect(problemsSince(from, ['error', 'pageerror']), path).toEqual([])
      }
      // The same pages reached by a link in the app (the router's push is what a NuxtLink does).
      await page.goto('/')
      await hydrated(page)
      for (const { path, title } of cases.filter(({ path }) => path !== '/admin')) {
        const from = problems.length
        await page.evaluate(to => (window as { useNuxtApp?: () => { $router: { push(to: string): Promise<unknown> } } }).useNuxtApp!().$router.push(to), path)
        // Vue only logs an error a page throws there, and shows nothing: whichever comes first. Polled,
        // since Nuxt 4.6 loads a path that matches no page as a new document (experimental.serverPathFallback).
        const heading = page.getByRole('heading', { name: title })
        const errors = () => problemsSince(from, ['error', 'pageerror'])
        await expect.poll(async () => errors().length > 0 || await heading.isVisible(), { timeout: COLD_PAGE_MS }).toBe(true)
        expect(errors(), path).toEqual([])
        expect(await heading.isVisible(), path).toBe(true)
        // After a new document (Nuxt 4.6), the button works once that is hydrated too.
        await hydrated(page)
        await page.getByRole('button', { name: 'Back to the home page' }).click()
        await page.getByRole('heading', { name: 'Nuxt 3 on AWS Amplify Gen 2' }).waitFor()
      }
    }, 150_000)

    it('fills the running sandbox from amplify/seed/seed.ts with npm run sandbox:seed, which the app then shows', async () => {
      const seeded = await npmRun(app.dir, 'sandbox:seed')
      expect(seeded.code, seeded.output).toBe(0)
      expect(seeded.output).toContain(`Created ${SEED_USERS.ann} (password ${SEED_PASSWORD})`)
      expect(seeded.output).toContain('Seeded the offline sandbox from amplify/seed/seed.ts.')

      // Ann, signed in through the Authenticator with the seeded password, in a browser of her own.
      const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base() })
      context.setDefaultTimeout(COLD_PAGE_MS)
      try {
        const ann = await context.newPage()
        // Not waiting for 'load': on a cold dev server a fresh browser's first page fetches hundreds of
        // modules, and what counts is that the app is running (hydrated), not the last of them.
        await ann.goto('/sign-in', { waitUntil: 'domcontentloaded' })
        await hydrated(ann)
        await ann.getByLabel('Email').fill(SEED_USERS.ann)
        await ann.getByLabel('Password', { exact: true }).fill(SEED_PASSWORD)
        await ann.getByRole('button', { name: 'Sign in', exact: true }).click()
        await ann.getByRole('banner').getByText(SEED_USERS.ann).waitFor()
        await ann.goto('/todos', { waitUntil: 'domcontentloaded' })
        const todos = ann.getByRole('list', { name: 'Todos' })
        for (const content of ['Plan the team offsite', 'Book the venue', 'Send the invitations']) await todos.getByText(content).waitFor()
        // The picture the seed attached, from the sandbox's Storage under Ann's identity.
        const picture = todos.getByRole('img', { name: 'venue.png' })
        await expect.poll(() => picture.evaluate(img => (img as HTMLImageElement).naturalWidth), { timeout: COLD_PAGE_MS }).toBeGreaterThan(0)
        // The seed put her in Admin: /admin lets her in and lists the list she published.
        expect((await ann.goto('/admin', { waitUntil: 'domcontentloaded' }))?.status()).toBe(200)
        await ann.getByRole('link', { name: 'Offsite checklist' }).waitFor()
      }
      finally {
        await context.close()
      }

      // Run again, it adds nothing: the users exist, and they have their todos.
      const again = await npmRun(app.dir, 'sandbox:seed')
      expect(again.code, again.output).toBe(0)
      expect(again.output).not.toContain('Created')
    }, 180_000)
  })

  it('answers an unknown address with the app\'s 404 page, as a browser asks for it', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.app}/no-such-page`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(30_000) })
    expect(response.status).toBe(404)
    const html = await response.text()
    expect(html).toContain('Page not found')
    expect(html).toContain('There is no page at this address.')
    expect(html).not.toContain('<nuxt-error-overlay')
  })

  it('answers 401 JSON without a stack trace: a missing session is no crash', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.app}/api/current-user`, { signal: AbortSignal.timeout(30_000) })
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const body = await response.json() as Record<string, unknown>
    expect(body).toMatchObject({ statusCode: 401, message: 'Sign in to continue.' })
    expect(body).not.toHaveProperty('stack')
  })

  it('prints nothing per request', async () => {
    const requests = 10
    const before = dev!.output.length
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`http://127.0.0.1:${ports.app}${i % 2 ? '/sign-in' : '/'}`, { signal: AbortSignal.timeout(30_000) })
      expect(response.status).toBe(200)
      await response.text()
    }
    // One more page: what the last requests left for the next one to print (nuxi prints a
    // module reload on the request after it) is printed by now.
    await (await fetch(`http://127.0.0.1:${ports.app}/`, { signal: AbortSignal.timeout(30_000) })).text()
    expect(dev!.output.slice(before).split('\n').filter(line => line.trim())).toEqual([])
  })

  it('stops everything on SIGTERM, exiting 0 and freeing its ports', async () => {
    expect(await dev!.stop('SIGTERM')).toBe(0)
    expect(dev!.output).not.toMatch(/error while stopping/i)
    await expectNothingLeftIn(app.dir)
    expect(await canListen(ports.app)).toBe(true)
    expect(await canListen(ports.auth)).toBe(true)
    expect(await canListen(ports.data)).toBe(true)
  })

  it('does not start nuxi when the sandbox cannot start, and says why', async () => {
    const squatter = createServer()
    await new Promise<void>(resolve => squatter.listen(ports.auth, '127.0.0.1', resolve))
    try {
      dev = new DevProcess(app.dir, ['--port', String(ports.app)], developerEnv({ SANDBOX_AUTH_PORT: String(ports.auth), SANDBOX_DATA_PORT: String(ports.data), SANDBOX_STORAGE_PORT: String(ports.storage), SANDBOX_REST_PORT: String(ports.rest), SANDBOX_CONSOLE_PORT: String(ports.console) }))
      expect(await dev.exit(60_000)).not.toBe(0)
      expect(dev.output).toContain(`Port ${ports.auth} (auth) is in use`)
      expect(dev.output).not.toMatch(/Nuxt \d|Local:/)
      await expectNothingLeftIn(app.dir)
    }
    finally {
      await new Promise(resolve => squatter.close(resolve))
    }
  })

  it('next to a cloud amplify_outputs.json runs nuxi dev alone on that backend, and stops on Ctrl-C', async () => {
    const cloud = `${JSON.stringify({ version: '1.4', auth: { user_pool_id: 'us-east-1_cloud', aws_region: 'us-east-1', user_pool_client_id: 'cloud' } })}\n`
    await writeFile(join(app.dir, 'amplify_outputs.json'), cloud)
    dev = new DevProcess(app.dir, ['--port', String(ports.app)], developerEnv({ SANDBOX_AUTH_PORT: String(ports.auth), SANDBOX_DATA_PORT: String(ports.data), SANDBOX_STORAGE_PORT: String(ports.storage), SANDBOX_REST_PORT: String(ports.rest), SANDBOX_CONSOLE_PORT: String(ports.console) }))
    await dev.waitFor(/Using the cloud backend in amplify_outputs\.json/, 30_000)
    await dev.waitFor(urlLine, 60_000)
    expect(dev.output).not.toMatch(/Offline sandbox ready/)
    expect(await canListen(ports.auth)).toBe(true)
    expect(await dev.stop('Ctrl-C')).toBe(0)
    await expectNothingLeftIn(app.dir)
    expect(await readFile(join(app.dir, 'amplify_outputs.json'), 'utf8')).toBe(cloud)
  })
})
