/**
 * The console's Requests panel against a real sandbox of the app's backend, in Chromium at 390 px:
 * what the real aws-amplify client's requests came to, each refusal with the rule or policy that
 * decided in words (the owner rule of Todo, the role's storage policy, the user pool's wrong
 * password), filtered by service, by user and to refusals, by keyboard, and never a secret.
 */
import { readFile } from 'node:fs/promises'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { launchOptions } from '../../support/chromium'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Console-requests-1'
const WRONG_PASSWORD = 'Not-the-password-9'

interface User {
  client: AmplifyTestClient
  email: string
  identityId: string
  code: string
}

let sandbox: Sandbox
let stop: () => Promise<void>
let browser: Browser
let page: Page
let consoleUrl: URL
const clients: AmplifyTestClient[] = []
let ann: User
let bob: User
let todoId: string
let stolenKey: string

const at = (path: string) => new URL(path, consoleUrl).href
const entries = () => page.locator('ol.requests > li')
const entry = (text: string) => entries().filter({ hasText: text }).first()
const noHorizontalScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

async function newClient(): Promise<AmplifyTestClient> {
  const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never, certificate: await readFile(sandbox.certificatePath, 'utf8') })
  clients.push(client)
  return client
}

async function newUser(name: string): Promise<User> {
  const client = await newClient()
  const email = `${name}-${Date.now()}@example.com`
  await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
  const code = await latestCode(sandbox.messagesUrl, email)
  await client.confirmSignUp({ username: email, confirmationCode: code })
  await client.signIn({ username: email, password: PASSWORD })
  return { client, email, identityId: (await client.fetchAuthSession()).identityId!, code }
}

beforeAll(async () => {
  ;({ sandbox, stop } = await startTestSandbox())
  consoleUrl = new URL(sandbox.summary().find(line => line.trim().startsWith('Console'))!.trim().split(/\s+/)[1]!)
  ;[ann, bob] = await Promise.all([newUser('ann'), newUser('bob')])

  const created = await ann.client.create('Todo', { content: 'Ann\'s todo' })
  expect(created.errors).toBeUndefined()
  todoId = created.data!.id as string
  // Bob tries to change Ann's todo: the owner rule refuses him.
  const refused = await bob.client.update('Todo', { id: todoId, content: 'defaced' })
  expect(refused.errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
  // And to write into Ann's attachments: his role's policy allows his own folder only.
  stolenKey = `attachments/${ann.identityId}/planted.txt`
  const upload = await bob.client.storage.uploadData({ path: stolenKey, data: 'not yours', options: { customEndpoint: sandbox.storageEndpoint } })
  await expect(upload.result()).rejects.toMatchObject({ name: 'AccessDenied' })
  // Someone signs in as Ann with the wrong password.
  const stranger = await newClient()
  await expect(stranger.signIn({ username: ann.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ name: 'NotAuthorizedException' })

  browser = await chromium.launch(await launchOptions())
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
  await page.goto(consoleUrl.href)
})

afterAll(async () => {
  await browser?.close()
  await Promise.all(clients.map(client => client.close()))
  await stop?.()
})

describe('the console\'s Requests panel', () => {
  it('shows a refused update with who, the operation and model, and the owner rule that refused it', async () => {
    await page.getByRole('link', { name: 'Requests', exact: true }).click()
    await page.getByLabel('Refusals only').check()
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/refused=1/)
    const refusal = entry('Mutation.updateTodo on Todo')
    const text = await refusal.innerText()
    expect(text).toContain('refused')
    expect(text).toContain(bob.email)
    expect(text).toContain('Why: owner rule on Todo: the caller is not the owner')
    // Ann's own requests were allowed: none of them is among the refusals but the wrong password.
    expect(await entries().filter({ hasText: 'Mutation.createTodo' }).count()).toBe(0)
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('shows a refused storage write with the role, s3:PutObject and the key', async () => {
    const bucket = (sandbox.outputs.storage as { bucket_name: string }).bucket_name
    const record = sandbox.requests.list({ service: 'storage', refused: true })[0]!
    const text = await entry(`PutObject ${bucket}/${stolenKey}`).innerText()
    expect(text).toContain(bob.email)
    expect(text).toContain(`role ${record.who.role}`)
    expect(text).toContain(`Why: no policy of role ${record.who.role} allows s3:PutObject on arn:aws:s3:::${bucket}/${stolenKey}`)
    // Where his role may write instead: his own folder.
    expect(text).toContain(`attachments/${bob.identityId}/*`)
  })

  it('shows a wrong password as the user pool answered it', async () => {
    const text = await entry('RespondToAuthChallenge').innerText()
    expect(text).toContain(ann.email)
    expect(text).toContain('NotAuthorizedException: Incorrect username or password.')
  })

  it('filters by service and by user, by keyboard, with the filters kept in the URL it reloads', async () => {
    await page.goto(at('/requests'))
    await page.getByLabel('Service', { exact: true }).selectOption('storage')
    // From the select on to Refusals only, then Filter, and submit it.
    await page.getByLabel('Service', { exact: true }).focus()
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.waitForURL(/service=storage/)
    expect(await entries().count()).toBeGreaterThan(0)
    for (const text of await entries().locator('.meta').allInnerTexts()) expect(text).toContain('· Storage ·')

    await page.getByLabel('Service', { exact: true }).selectOption('')
    await page.getByLabel('User', { exact: true }).fill(bob.email)
    await page.getByLabel('User', { exact: true }).press('Enter')
    await page.waitForURL(/user=/)
    const who = await entries().locator('.who').allInnerTexts()
    expect(who.length).toBeGreaterThan(0)
    for (const text of who) expect(text).toContain(bob.email)
    expect(await page.locator('main').innerText()).not.toContain(ann.email)

    // The page reloads itself: Bob's next request shows without a click, the filter still on.
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('3')
    const before = await entries().count()
    await bob.client.get('Todo', { id: todoId })
    await expect.poll(() => entries().count(), { timeout: 10_000 }).toBeGreaterThan(before)
    expect(new URL(page.url()).searchParams.get('user')).toBe(bob.email)
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('shows no password, code, token or key', async () => {
    await page.goto(at('/requests'))
    const html = await page.content()
    const sessions = await Promise.all([ann, bob].map(user => user.client.fetchAuthSession()))
    const secrets = [
      PASSWORD,
      WRONG_PASSWORD,
      ...sessions.flatMap(session => [session.tokens!.accessToken, session.tokens!.idToken!, session.credentials!.secretAccessKey, session.credentials!.sessionToken!, session.credentials!.accessKeyId]),
    ]
    for (const secret of secrets) expect(html).not.toContain(secret)
    // The codes are six digits: as a word of their own (identity ids have runs of digits too).
    for (const code of [ann.code, bob.code]) expect(html).not.toMatch(new RegExp(`\\b${code}\\b`))
    // Not even a part of a token: no JWT-shaped text at all.
    expect(html).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/)
  })
})
