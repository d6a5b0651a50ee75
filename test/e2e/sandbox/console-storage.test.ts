/**
 * The console's Storage panel against a real sandbox of the app's backend, in Chromium at 390 px:
 * files the real aws-amplify client uploads show in their folders and preview, a file uploaded
 * through the console's form is the file the client downloads, the download link gives the bytes
 * as an attachment, a delete is one the client sees, and a key full of markup stays text.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UPLOAD_LIMIT } from '../../../sandbox/console/storage'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { launchOptions } from '../../support/chromium'
import { projectRoot } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Console-storage-1'

let sandbox: Sandbox
let stop: () => Promise<void>
let browser: Browser
let context: BrowserContext
let page: Page
let consoleUrl: URL
let secret: string
let client: AmplifyTestClient
let bucket: string
let folder: string

const on = () => ({ customEndpoint: sandbox.storageEndpoint })
const at = (path: string) => new URL(path, consoleUrl).href
const folderUrl = (prefix: string) => at(`/storage/${encodeURIComponent(bucket)}?${new URLSearchParams({ prefix })}`)
const noHorizontalScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

beforeAll(async () => {
  ;({ sandbox, stop } = await startTestSandbox())
  consoleUrl = new URL(sandbox.summary().find(line => line.trim().startsWith('Console'))!.trim().split(/\s+/)[1]!)
  secret = consoleUrl.searchParams.get('secret')!
  bucket = (sandbox.outputs.storage as { bucket_name: string }).bucket_name
  client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never, certificate: await readFile(sandbox.certificatePath, 'utf8') })
  const email = `files-${Date.now()}@example.com`
  await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
  await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
  await client.signIn({ username: email, password: PASSWORD })
  // The app's rule: each user writes under attachments/<their identity id>/.
  folder = `attachments/${(await client.fetchAuthSession()).identityId}/`
  browser = await chromium.launch(await launchOptions())
  context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('dialog', dialog => void dialog.dismiss())
  await page.goto(consoleUrl.href)
})

afterAll(async () => {
  await browser?.close()
  await client?.close()
  await stop?.()
})

describe('the console\'s Storage panel', () => {
  it('shows a file the real client uploaded in its folder, and previews it as an image', async () => {
    const png = await readFile(join(projectRoot, 'amplify', 'storage', 'public', 'splash.png'))
    await (await client.storage.uploadData({ path: `${folder}photo.png`, data: { bytes: png, blob: true }, options: { ...on(), contentType: 'image/png' } })).result()

    await page.getByRole('link', { name: 'Storage', exact: true }).click()
    await page.getByRole('link', { name: 'todoFiles' }).click()
    await page.getByRole('link', { name: 'attachments/' }).click()
    await page.getByRole('link', { name: folder.split('/')[1]! + '/' }).click()
    const row = page.locator('ul.files > li', { hasText: 'photo.png' })
    expect(await row.locator('.meta').innerText()).toMatch(/^\d+(\.\d)? KB · image\/png · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    expect(await noHorizontalScroll()).toBe(true)

    await row.getByRole('link', { name: 'photo.png' }).click()
    const image = page.locator('.preview img')
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0)
    expect(await page.locator('dl').innerText()).toContain(`${png.length} bytes`)
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('shows a text file\'s text, and a key of markup, spaces and non-Latin letters as text', async () => {
    const name = 'Ünïcödé 日本 <script>alert("x")&amp; \'q\' <img src=x onerror=alert(2)>.txt'
    const text = 'Hello from the client.\n<b>not bold</b> & done\n'
    await (await client.storage.uploadData({ path: `${folder}${name}`, data: text, options: { ...on(), contentType: 'text/plain' } })).result()

    await page.goto(folderUrl(folder))
    expect(await page.locator('main script, main img').count()).toBe(0)
    await page.getByRole('link', { name, exact: true }).click()
    expect(await page.locator('h1').innerText()).toBe(name)
    expect(await page.locator('pre.text').innerText()).toBe(text)
    expect(await page.locator('main script, main img, main b').count()).toBe(0)
    expect(new URL(page.url()).searchParams.get('key')).toBe(`${folder}${name}`)
    expect(await noHorizontalScroll()).toBe(true)
  })

  it('serves a stored HTML page as plain text, never as a page of the console', async () => {
    await (await client.storage.uploadData({ path: `${folder}page.html`, data: '<script>document.title = "ran"</script><h1>hi</h1>', options: { ...on(), contentType: 'text/html' } })).result()
    const answer = await page.goto(at(`/storage/${encodeURIComponent(bucket)}/raw?${new URLSearchParams({ key: `${folder}page.html` })}`))
    expect(answer!.headers()['content-type']).toBe('text/plain; charset=utf-8')
    expect(answer!.headers()['x-content-type-options']).toBe('nosniff')
    expect(answer!.headers()['content-security-policy']).toContain('sandbox')
    expect(await page.title()).not.toBe('ran')
    expect(await page.locator('body').innerText()).toContain('<script>')
  })

  it('uploads through the form, and the real client downloads the same bytes', async () => {
    const bytes = randomBytes(200 * 1024)
    await page.goto(folderUrl(folder))
    await page.getByLabel('Files').setInputFiles({ name: 'from console.bin', mimeType: 'application/octet-stream', buffer: bytes })
    await page.getByRole('button', { name: 'Upload' }).click()
    await page.waitForURL(/done=/)
    expect(await page.getByRole('status').innerText()).toContain('Uploaded from console.bin')
    expect(await page.locator('ul.files').innerText()).toContain('from console.bin')

    const downloaded = await client.storage.downloadData({ path: `${folder}from console.bin`, options: on() })
    expect(Buffer.from(downloaded.body, 'base64').equals(bytes)).toBe(true)
  })

  it('gives the bytes as an attachment from the Download link', async () => {
    const bytes = randomBytes(64 * 1024)
    await (await client.storage.uploadData({ path: `${folder}report.bin`, data: { bytes, blob: true }, options: on() })).result()
    await page.goto(folderUrl(folder))
    await page.getByRole('link', { name: 'report.bin' }).click()
    expect(await page.locator('.preview').innerText()).toContain('No preview')

    const href = await page.getByRole('link', { name: 'Download' }).getAttribute('href')
    const answer = await page.request.get(at(href!))
    expect(answer.status()).toBe(200)
    expect(answer.headers()['content-disposition']).toBe('attachment; filename="report.bin"; filename*=UTF-8\'\'report.bin')
    expect(answer.headers()['content-type']).toBe('application/octet-stream')
    expect((await answer.body()).equals(bytes)).toBe(true)

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toBe('report.bin')
    expect((await readFile((await download.path())!)).equals(bytes)).toBe(true)
  })

  it('deletes a file, by keyboard, and the real client no longer lists it', async () => {
    const listed = async () => (await client.storage.list({ path: folder, options: on() })).items.map(item => item.path)
    expect(await listed()).toContain(`${folder}from console.bin`)
    await page.goto(at(`/storage/${encodeURIComponent(bucket)}/file?${new URLSearchParams({ key: `${folder}from console.bin` })}`))
    await page.locator('summary', { hasText: 'Delete…' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('button', { name: 'Delete from console.bin for good' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/done=/)
    expect(await page.getByRole('status').innerText()).toBe(`Deleted ${folder}from console.bin.`)
    expect(await page.locator('ul.files').innerText()).not.toContain('from console.bin')
    expect(await listed()).not.toContain(`${folder}from console.bin`)
  })

  it('refuses an upload over its limit with 413 before reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: Number(consoleUrl.port),
        method: 'POST',
        path: `/storage/${encodeURIComponent(bucket)}/upload`,
        headers: { 'authorization': `Bearer ${secret}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(UPLOAD_LIMIT + 1) },
      }, (res) => {
        resolve(res.statusCode!)
        req.destroy()
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(status).toBe(413)
  })
})
