/**
 * The console's Functions panel against a real sandbox of the functions fixture (every user pool
 * trigger, a secret, a schedule, storage triggers), in Chromium at 390 px: invocations the backend
 * makes (a real aws-amplify sign-up, a signed Lambda Invoke API call, an upload in the Storage
 * panel) show with who called, the duration and the log lines; the console invokes a function with
 * a JSON event and keeps bad JSON; schedules show their next run and run now; secrets by name only.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { confirmSignUp, signUp } from 'aws-amplify/auth'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { openSecrets } from '../../../sandbox/ssm/secrets'
import { launchOptions } from '../../support/chromium'
import { manualClock } from '../../support/manual-clock'
import { projectRoot, scratchProject } from '../../support/project'
import { adminCredentials } from '../../support/sandbox-s3'
import { amplifyContext } from '../../support/signed-in-user'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const SIGNATURE = '— a value only the function may see'

let project: Awaited<ReturnType<typeof scratchProject>>
let work: string
let sandbox: Sandbox
let stop: () => Promise<void>
let browser: Browser
let page: Page
let consoleUrl: URL
// Mid-minute: the schedule's next run is the next minute's start, and nothing fires unless the test moves the clock.
const clock = manualClock(new Date('2026-03-02T09:00:30Z'))

const at = (path: string) => new URL(path, consoleUrl).href
const newest = () => page.locator('ol.invocations > li').first()
const noHorizontalScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

beforeAll(async () => {
  project = await scratchProject('functions')
  await mkdir(join(projectRoot, '.amplify', 'test'), { recursive: true })
  work = await mkdtemp(join(projectRoot, '.amplify', 'test', 'console-functions-'))
  await openSecrets(join(work, 'data')).set('MAIL_SIGNATURE', SIGNATURE)
  ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, dataDir: join(work, 'data'), outputsPath: join(work, 'amplify_outputs.json'), clock }))
  consoleUrl = new URL(sandbox.summary().find(line => line.trim().startsWith('Console'))!.trim().split(/\s+/)[1]!)
  browser = await chromium.launch(await launchOptions())
  page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
  page.setDefaultTimeout(10_000)
  await page.goto(consoleUrl.href)
})

afterAll(async () => {
  await browser?.close()
  await stop?.()
  await project?.remove()
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the console\'s Functions panel', () => {
  it('lists each function with its settings and the names of its secrets, never their values', async () => {
    await page.getByRole('link', { name: 'Functions', exact: true }).click()
    const listed = await page.locator('ul.functions').innerText()
    for (const name of ['custom-message', 'echo', 'on-upload', 'post-confirmation', 'pre-sign-up', 'tick']) expect(listed).toContain(name)
    const customMessage = page.locator('ul.functions > li', { hasText: 'custom-message' })
    expect(await customMessage.innerText()).toMatch(/Secrets \(names only\): MAIL_SIGNATURE set/)
    expect(await page.content()).not.toContain(SIGNATURE)
    await customMessage.getByRole('link', { name: 'custom-message' }).click()
    expect(await page.locator('main').innerText()).toContain('MAIL_SIGNATURE')
    expect(await page.content()).not.toContain(SIGNATURE)
    await page.goto(at('/functions/echo'))
    expect(await page.locator('main').innerText()).toContain('No secrets.')
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('shows the triggers a real sign-up runs, with who called, the duration and the log lines', async () => {
    const { context } = await amplifyContext(sandbox.outputsPath)
    const email = `console-${Date.now()}@example.com`
    await signUp(context, { username: email, password: 'Correct-Horse-9', options: { userAttributes: { email } } })
    await confirmSignUp(context, { username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })

    await page.goto(at('/functions'))
    expect(await page.locator('ul.functions > li', { hasText: 'pre-sign-up' }).innerText()).toContain('by Cognito trigger PreSignUp')
    await page.getByRole('link', { name: 'pre-sign-up' }).click()
    const call = newest()
    expect(await call.locator('.caller').innerText()).toBe('Cognito trigger PreSignUp')
    expect(await call.locator('.duration').innerText()).toMatch(/^\d+ ms$/)
    expect(await call.locator('pre.logs').innerText()).toMatch(new RegExp(`sign-up of ${email.replace(/\./g, '\\.')} from \\w+`))
    await call.locator('summary', { hasText: 'Event' }).click()
    expect(await call.innerText()).toContain('"triggerSource": "PreSignUp_SignUp"')

    await page.goto(at('/functions/post-confirmation'))
    expect(await newest().locator('.caller').innerText()).toBe('Cognito trigger PostConfirmation')
    expect(await newest().innerText()).toContain('ok')
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('invokes a function with a JSON event and shows its result and log lines', async () => {
    await page.goto(at('/functions/tick'))
    await page.getByLabel('Event (JSON)').fill('{ "hello": "console" }')
    await page.getByRole('button', { name: 'Invoke' }).click()
    await page.waitForURL(/done=/)
    expect(await page.getByRole('status').innerText()).toMatch(/^Invoked tick: it answered in \d+ ms\.$/)
    expect(await newest().locator('.caller').innerText()).toBe('console')
    expect(await newest().locator('pre.logs').innerText()).toBe('tick {"hello":"console"}')
    // The event invoked last is there to invoke again.
    expect(JSON.parse(await page.getByLabel('Event (JSON)').inputValue())).toEqual({ hello: 'console' })

    await page.goto(at('/functions/echo'))
    await page.getByLabel('Event (JSON)').fill('{"fail": "bad input"}')
    await page.getByRole('button', { name: 'Invoke' }).click()
    await page.waitForURL(/done=/)
    expect(await page.getByRole('status').innerText()).toContain('failed after')
    expect(await newest().innerText()).toContain('TypeError: bad input')
    expect(await newest().locator('pre.logs').innerText()).toContain('Invoke Error')
  })

  it('keeps bad JSON in the form, says what is wrong and invokes nothing', async () => {
    await page.goto(at('/functions/echo'))
    const before = await page.locator('ol.invocations > li').count()
    const text = '{"n": 1,\n  oops'
    await page.getByLabel('Event (JSON)').fill(text)
    const [answer] = await Promise.all([page.waitForResponse(response => response.request().method() === 'POST'), page.getByRole('button', { name: 'Invoke' }).click()])
    expect(answer.status()).toBe(400)
    expect(await page.getByLabel('Event (JSON)').inputValue()).toBe(text)
    expect(await page.getByRole('alert').innerText()).toMatch(/^That is not JSON: /)
    expect(await page.locator('ol.invocations > li').count()).toBe(before)
  })

  it('records a Lambda Invoke API call as made by the role that signed it', async () => {
    const lambda = new LambdaClient({ endpoint: sandbox.userPoolEndpoint, region: 'us-east-1', credentials: await adminCredentials(join(work, 'data')), maxAttempts: 1 })
    try {
      await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{"from":"sdk"}') }))
    }
    finally {
      lambda.destroy()
    }
    await page.goto(at('/functions/echo'))
    expect(await newest().locator('.caller').innerText()).toBe('Lambda Invoke API by amplify-sandbox-admin')
    expect(await newest().innerText()).toContain('"from": "sdk"')
  })

  it('shows a schedule\'s next run, runs it now as the schedule would, and records its own firing', async () => {
    await page.goto(at('/functions'))
    const tick = page.locator('ul.functions > li', { hasText: 'tick' })
    expect(await tick.locator('.schedules').innerText()).toContain('next run 2026-03-02 09:01 UTC')
    await tick.getByRole('button', { name: 'Run now' }).click()
    await page.waitForURL(/\/functions\/tick\?done=/)
    expect(await newest().locator('.caller').innerText()).toMatch(/^console: Run now of /)
    // What EventBridge Scheduler sends a Gen 2 function without an Input: {}.
    expect(await newest().locator('pre.logs').innerText()).toBe('tick {}')

    clock.advance(60_000)
    await expect.poll(async () => {
      await page.reload()
      return newest().locator('.caller').innerText()
    }, { timeout: 15_000 }).toMatch(/^schedule /)
    expect(await page.locator('.schedules').innerText()).toContain('next run 2026-03-02 09:02 UTC')
  })

  it('shows the storage trigger that an upload in the Storage panel runs, called by S3', async () => {
    const bucket = (sandbox.outputs.storage as { bucket_name: string }).bucket_name
    await page.goto(at(`/storage/${encodeURIComponent(bucket)}?prefix=public/`))
    await page.getByLabel('Files').setInputFiles({ name: 'a note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
    await page.getByRole('button', { name: 'Upload' }).click()
    await page.waitForURL(/done=/)
    // S3 notifies asynchronously: the upload was answered before the function ran.
    await expect.poll(async () => {
      await page.goto(at('/functions/on-upload'))
      return newest().locator('pre.logs').count()
    }, { timeout: 15_000 }).toBe(1)
    expect(await newest().locator('.caller').innerText()).toBe(`S3 notification ObjectCreated:Put in ${bucket}`)
    expect(await newest().locator('pre.logs').innerText()).toBe(`uploaded ObjectCreated:Put ${bucket} public/a note.txt 5`)
  })
})
