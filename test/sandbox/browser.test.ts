/**
 * The offline sandbox from a real browser: Debian's Chromium runs a page built from the real
 * aws-amplify client. Its calls to the user pool and GraphQL API are cross-origin (CORS), and
 * realtime goes over wss:// to the sandbox's self-signed certificate.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../sandbox'
import { launchOptions } from '../support/chromium'
import { projectRoot } from '../support/project'
import { latestCode, startTestSandbox } from '../support/sandbox'

const password = 'Sandbox-pass-1'

describe('offline sandbox in a browser', () => {
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let site: Server
  let siteUrl: string
  let browser: Browser

  /** A page of the test app, after a new user signed up, confirmed and signed in through it. */
  const signedInPage = async (name: string): Promise<Page> => {
    // Each context is a fresh profile: its own localStorage, so its own signed-in user. The
    // certificate exception stands in for the README's one-time step (trusting the sandbox's cert).
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    const page = await context.newPage()
    // What the page's console would show a developer (a CORS refusal, say) ends up in the test log.
    page.on('console', m => m.type() === 'error' && console.log(`[${name}'s page] ${m.text()}`))
    page.on('pageerror', e => console.log(`[${name}'s page] ${e.message}`))
    await page.goto(siteUrl)
    await page.waitForFunction(() => 'sandboxApp' in window)
    const email = `${name}-${Date.now()}@example.com`
    await page.evaluate(([e, p]) => window.sandboxApp.signUp(e!, p!), [email, password])
    const code = await latestCode(sandbox.messagesUrl, email)
    await page.evaluate(([e, c]) => window.sandboxApp.confirmSignUp(e!, c!), [email, code])
    expect(await page.evaluate(([e, p]) => window.sandboxApp.signIn(e!, p!), [email, password])).toMatchObject({ isSignedIn: true })
    return page
  }

  beforeAll(async () => {
    ;({ sandbox, stop } = await startTestSandbox())
    const bundle = await build({
      entryPoints: [join(projectRoot, 'test/support/browser/app.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
    })
    const files: Record<string, [string, string]> = {
      '/': ['text/html', '<!doctype html><html><head><script type="module" src="/app.js"></script></head><body></body></html>'],
      '/app.js': ['text/javascript', bundle.outputFiles[0]!.text],
      '/amplify_outputs.json': ['application/json', await readFile(sandbox.outputsPath, 'utf8')],
      '/favicon.ico': ['image/x-icon', ''],
    }
    site = createServer((req, res) => {
      const file = files[new URL(req.url ?? '/', 'http://localhost').pathname]
      res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' }).end(file?.[1] ?? 'not found')
    })
    await new Promise<void>(resolve => site.listen(0, '127.0.0.1', resolve))
    // localhost, not 127.0.0.1: the page's origin differs from the sandbox's, as a Nuxt app's does.
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`
    browser = await chromium.launch(launchOptions())
  })
  afterAll(async () => {
    await browser?.close()
    site?.close()
    await stop?.()
  })

  it('signs in with SRP, writes and reads todos, and gets only its own live events', async () => {
    const alice = await signedInPage('alice')
    const bob = await signedInPage('bob')
    // A second tab of alice's: same profile, same session.
    const aliceTab = await alice.context().newPage()
    await aliceTab.goto(siteUrl)
    await aliceTab.waitForFunction(() => 'sandboxApp' in window)
    expect(await aliceTab.evaluate(() => window.sandboxApp.currentUserId())).toBe(await alice.evaluate(() => window.sandboxApp.currentUserId()))

    await alice.evaluate(() => window.sandboxApp.watchTodos())
    await bob.evaluate(() => window.sandboxApp.watchTodos())

    expect(await bob.evaluate(() => window.sandboxApp.create('from bob'))).toBe('from bob')
    expect(await aliceTab.evaluate(() => window.sandboxApp.create('from alice, other tab'))).toBe('from alice, other tab')

    await alice.waitForFunction(() => window.sandboxApp.received().length > 0)
    await bob.waitForFunction(() => window.sandboxApp.received().length > 0)
    expect(await alice.evaluate(() => window.sandboxApp.received())).toEqual(['from alice, other tab'])
    expect(await bob.evaluate(() => window.sandboxApp.received())).toEqual(['from bob'])
    expect(await alice.evaluate(() => window.sandboxApp.list())).toEqual(['from alice, other tab'])
  })
})
