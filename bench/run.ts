/**
 * `npm run bench`: the sandbox's start times, then one production build of the app against an
 * offline sandbox and its server on loopback: what a request and a server render cost its CPU and
 * how many backend round trips a render makes (server-cost.ts), how many compressed bytes a first
 * visit downloads, Storage throughput and function invocation overhead.
 * Prints a table with targets; exits 0 on a missed target, non-zero only when something broke.
 */
import { request } from 'node:http'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { chromium, type Browser } from 'playwright-core'
import type { Sandbox } from '../sandbox'
import { lambdaLatency } from './lambda'
import { formatLoad, median, sandboxStartTimes, START_TARGETS, type StartKind } from './sandbox-start'
import { serverCosts } from './server-cost'
import { storageThroughput } from './storage'
import { launchOptions } from '../test/support/chromium'

const KB = 1000
/** A declaration only the Authenticator's stylesheet (@aws-amplify/ui-vue/styles.css) contains. */
const AUTHENTICATOR_CSS = /--amplify-components-authenticator-max-width:/g

interface Row { what: string, value: string, target?: string, pass?: boolean }
const rows: Row[] = []
/** Printed under the table: details too long for a cell. */
const notes: string[] = []
const row = (what: string, value: string, target?: string, pass?: boolean) => rows.push({ what, value, target, pass })

// Everything started is stopped in reverse order, once, on success, error or Ctrl-C.
const cleanups: Array<() => Promise<unknown>> = []
let stopping: Promise<void> | undefined
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup:', error))
  })()
  return stopping
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`)
    void stopAll().finally(() => process.exit(130))
  })
}

const step = (text: string) => console.log(`· ${text}`)

async function main() {
  // First, while nothing else of the bench runs: these are wall-clock times.
  await sandboxStart()
  const { app, rows: costRows, notes: costNotes } = await serverCosts(cleanups)
  rows.push(...costRows)
  notes.push(...costNotes)
  await firstLoad(app.baseUrl)
  await storage(app.sandbox)
  await functions()
}

// First-load bytes ---------------------------------------------------------------------------

/** A GET that reports the bytes on the wire, undecoded. */
function rawGet(url: string, acceptEncoding: string): Promise<{ status: number, encoding: string | undefined, body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode!, encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }))
      response.on('error', reject)
    }).on('error', reject).end()
  })
}

function decode(body: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return gunzipSync(body).toString()
  if (encoding === 'br') return brotliDecompressSync(body).toString()
  return body.toString()
}

const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} kB`
const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0

/** The HTML and every stylesheet, modulepreload and script it names, as sent compressed. */
async function staticBytes(baseUrl: string, path: string) {
  const page = await rawGet(new URL(path, baseUrl).href, 'gzip, br')
  if (page.status !== 200) throw new Error(`${path} answered ${page.status}`)
  const html = decode(page.body, page.encoding)
  const uncompressed: string[] = page.encoding ? [] : [`${path} (HTML)`]
  const assets = new Set<string>()
  for (const tag of html.match(/<link\b[^>]*>|<script\b[^>]*>/g) ?? []) {
    const rel = tag.match(/\brel="([^"]*)"/)?.[1]
    const href = tag.startsWith('<link') ? (rel === 'stylesheet' || rel === 'modulepreload' ? tag.match(/\bhref="([^"]*)"/)?.[1] : undefined) : tag.match(/\bsrc="([^"]*)"/)?.[1]
    if (href) assets.add(new URL(href, baseUrl).href)
  }
  let assetBytes = 0
  for (const asset of assets) {
    const response = await rawGet(asset, 'gzip')
    if (response.status !== 200) throw new Error(`${asset} answered ${response.status}`)
    if (!response.encoding) uncompressed.push(`${new URL(asset).pathname} (${response.body.length} B)`)
    assetBytes += response.body.length
  }
  return { htmlBytes: page.body.length, htmlEncoding: page.encoding, inlineAuthenticatorCss: count(html, AUTHENTICATOR_CSS), assets: assets.size, assetBytes, uncompressed }
}

/** `npm run sandbox` cold, warm and reloading after an edit (bench/sandbox-start.ts says how). */
async function sandboxStart() {
  step('npm run sandbox in a scratch clone: 3 cold starts, 3 warm starts (each with the console\'s first load), 3 reloads')
  const { runs, load } = await sandboxStartTimes({ runs: 3, log: line => step(line) })
  for (const kind of Object.keys(START_TARGETS) as StartKind[]) {
    const m = median(runs[kind])
    const what = kind === 'reload' ? 'Sandbox reload after an edit' : kind === 'console' ? 'Console first load after a warm start' : `Sandbox ${kind} start`
    const digits = kind === 'console' ? 2 : 1
    row(`${what}, median`, `${m.toFixed(digits)} s (${runs[kind].map(s => s.toFixed(digits)).join(', ')})`, `< ${START_TARGETS[kind]} s`, m < START_TARGETS[kind])
  }
  notes.push(`Sandbox start rows: wall time from spawning \`npm run sandbox\` to its ready line; load average before ${formatLoad(load.before)}, after ${formatLoad(load.after)}.`)
}

/** One function's cold start and the overhead of warm invocations (bench/lambda.ts says how). */
async function functions() {
  step('invoking a function locally, cold once and warm 200 times')
  const { coldMs, warmP50Ms, warmP99Ms } = await lambdaLatency()
  row('Function cold invocation', `${coldMs.toFixed(0)} ms`)
  row('Function warm invocation, overhead p50', `${warmP50Ms.toFixed(2)} ms (p99 ${warmP99Ms.toFixed(2)} ms)`, '< 5 ms', warmP50Ms < 5)
}

/** 50 MB up and down through the sandbox's local S3 (bench/storage.ts says how). */
async function storage(sandbox: Sandbox) {
  step('50 MB up and down through the sandbox\'s Storage')
  const { uploadMBps, downloadMBps } = await storageThroughput(sandbox)
  row('Storage upload, 50 MB', `${Math.round(uploadMBps)} MB/s`, '>= 100 MB/s', uploadMBps >= 100)
  row('Storage download, 50 MB', `${Math.round(downloadMBps)} MB/s`, '>= 100 MB/s', downloadMBps >= 100)
}

/**
 * What a first visit in Chromium downloads from the app: every same-origin response, as encoded on
 * the wire. "To render" is what the page requested until it had loaded and shown `ready`; later
 * requests are NuxtLink prefetches of the pages it links to (at idle, not needed for this page).
 * Timings come from the page's own Resource Timing entries, so they share one clock.
 */
async function browserBytes(browser: Browser, baseUrl: string, path: string, ready: string) {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    // A string, not a function: tsx would wrap a named function in a `__name` helper the page lacks.
    await page.addInitScript(`new MutationObserver(() => {
      if (window.benchReadyAt === undefined && document.querySelector(${JSON.stringify(ready)})) window.benchReadyAt = performance.now()
    }).observe(document, { childList: true, subtree: true })`)
    const origin = new URL(baseUrl).origin
    const seen: Array<Promise<{ url: string, bytes: number, encoding: string | undefined, authenticatorCss: number }>> = []
    page.on('response', (response) => {
      if (new URL(response.url()).origin !== origin) return
      seen.push((async () => {
        await response.finished()
        const [sizes, headers, body] = await Promise.all([response.request().sizes(), response.allHeaders(), response.body().catch(() => Buffer.alloc(0))])
        const text = /text\/(css|html)/.test(headers['content-type'] ?? '') ? body.toString() : ''
        // A response served from the prefetch cache has nothing on the wire (Playwright reports it negative).
        return { url: response.url(), bytes: Math.max(0, sizes.responseBodySize), encoding: headers['content-encoding'], authenticatorCss: count(text, AUTHENTICATOR_CSS) }
      })())
    })
    const response = await page.goto(new URL(path, baseUrl).href, { waitUntil: 'load' })
    if (response?.status() !== 200) throw new Error(`${path} answered ${response?.status()} in Chromium`)
    await page.waitForSelector(ready, { timeout: 15_000 })
    await page.waitForLoadState('networkidle')
    const timing = await page.evaluate(() => ({
      readyAt: (window as unknown as { benchReadyAt?: number }).benchReadyAt ?? 0,
      loadAt: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventStart,
      started: performance.getEntriesByType('resource').map(entry => ({ url: entry.name, at: entry.startTime })),
    }))
    const renderedBy = Math.max(timing.readyAt, timing.loadAt)
    const firstRequest = new Map<string, number>([[page.url(), 0]])
    for (const { url, at } of timing.started) firstRequest.set(url, Math.min(at, firstRequest.get(url) ?? Infinity))
    const responses = await Promise.all(seen)
    const sum = (list: typeof responses) => list.reduce((total, r) => total + r.bytes, 0)
    return {
      responses: responses.length,
      bytes: sum(responses),
      renderBytes: sum(responses.filter(r => (firstRequest.get(r.url) ?? Infinity) <= renderedBy)),
      // Empty bodies and cache hits have nothing to compress.
      uncompressed: responses.filter(r => !r.encoding && r.bytes > 0).map(r => `${new URL(r.url).pathname} (${r.bytes} B)`),
      authenticatorCssResponses: responses.filter(r => r.authenticatorCss > 0).length,
    }
  }
  finally {
    await context.close()
  }
}

async function firstLoad(baseUrl: string) {
  step('first-load bytes: HTML + referenced assets, then Chromium')
  const browser = await chromium.launch(await launchOptions())
  cleanups.push(() => browser.close())
  const pages = [
    { path: '/', target: 90 * KB, ready: 'main' },
    { path: '/sign-in', target: 200 * KB, ready: '[data-amplify-authenticator]' },
  ]
  for (const { path, target, ready } of pages) {
    const plain = await staticBytes(baseUrl, path)
    const loaded = await browserBytes(browser, baseUrl, path, ready)
    row(`${path} HTML as sent`, `${kb(plain.htmlBytes)} ${plain.htmlEncoding ?? 'NOT COMPRESSED'}`)
    // The target holds for gzip, which every client accepts, and for what Chromium is actually sent (brotli).
    row(`${path} HTML + the ${plain.assets} files it links (gzip)`, kb(plain.htmlBytes + plain.assetBytes), `< ${kb(target)}`, plain.htmlBytes + plain.assetBytes < target)
    row(`${path} first visit in Chromium, to render`, kb(loaded.renderBytes), `< ${kb(target)}`, loaded.renderBytes < target)
    row(`${path} first visit in Chromium, all`, `${kb(loaded.bytes)} (${loaded.responses} responses)`)
    const uncompressed = [...new Set([...plain.uncompressed, ...loaded.uncompressed])]
    // Nitro precompresses public assets of 1 kB and more only; smaller ones go out as they are.
    if (uncompressed.length) notes.push(`${path}: sent uncompressed: ${uncompressed.join(', ')}`)
    if (path === '/sign-in') {
      const sends = loaded.authenticatorCssResponses
      row('Authenticator stylesheet sends', `${sends} (${plain.inlineAuthenticatorCss ? 'inlined in the HTML' : 'not inlined in the HTML'})`, '1', sends === 1)
    }
  }
}

function printTable() {
  const width = (pick: (r: Row) => string) => Math.max(...rows.map(r => pick(r).length))
  const w1 = width(r => r.what)
  const w2 = width(r => r.value)
  const w3 = Math.max(6, width(r => r.target ?? ''))
  console.log(`\n${'measure'.padEnd(w1)}  ${'value'.padEnd(w2)}  ${'target'.padEnd(w3)}  result`)
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS'
    console.log(`${r.what.padEnd(w1)}  ${r.value.padEnd(w2)}  ${(r.target ?? '').padEnd(w3)}  ${verdict}`)
  }
  console.log('')
  for (const note of notes) console.log(`- ${note}`)
  console.log(`- ${process.version}, loopback, one server process; kB = 1000 bytes of body as sent (compressed).`)
  console.log('- "to render": requested before the page loaded and showed its content; "all" adds NuxtLink prefetches of linked pages.')
}

try {
  await main()
  printTable()
  await stopAll()
}
catch (error) {
  if (rows.length) printTable()
  console.error('\nbench failed:', error)
  await stopAll()
  process.exit(1)
}
