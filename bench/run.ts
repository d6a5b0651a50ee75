/**
 * `npm run bench`: one production build of the app against an offline sandbox, one server on
 * loopback, and two numbers that matter to users: how much a verified session costs per request
 * (against a bare JSON handler) and how many compressed bytes a first visit downloads.
 * Prints a table with targets; exits 0 on a missed target, non-zero only when something broke.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import autocannon, { type Result } from 'autocannon'
import { generateClient } from 'aws-amplify/data/server'
import { chromium, type Browser } from 'playwright-core'
import type { Schema } from '../amplify/data/resource'
import type { Sandbox } from '../sandbox'
import { lambdaLatency } from './lambda'
import { formatLoad, median, sandboxStartTimes, START_TARGETS, type StartKind } from './sandbox-start'
import { storageThroughput } from './storage'
import { AppServer, buildApp, startBuiltApp } from '../test/support/built-app'
import { launchOptions } from '../test/support/chromium'
import { projectRoot } from '../test/support/project'
import { amplifyContext, newSignedInUser, type SignedInUser } from '../test/support/signed-in-user'
import { IN_MEMORY_TODOS } from './in-memory/todos'

const CONNECTIONS = 50
/** Server renders are slower than API answers: fewer connections keep latency readable. */
const SSR_CONNECTIONS = 10
const WARMUP_SECONDS = 2
const SECONDS = 10
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
  step('starting the offline sandbox and building the app against it (about 40 s)')
  const app = await startBuiltApp('bench')
  cleanups.push(app.stop)
  const { baseUrl, sandbox } = app
  step(`app server on ${baseUrl}; signing in a user`)

  const user = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'bench')
  const check = await fetch(`${baseUrl}/api/current-user`, { headers: { cookie: user.cookieHeader } })
  if (check.status !== 200) throw new Error(`/api/current-user answered ${check.status} to a fresh session: ${await check.text()}`)

  await throughput(baseUrl, user.cookieHeader)
  await serverRender(baseUrl, sandbox, user)
  await guestRender(baseUrl, sandbox.outputsPath, user)
  await firstLoad(baseUrl)
  await storage(sandbox)
  await functions()
}

// Requests per second ------------------------------------------------------------------------

async function load(url: string, headers: Record<string, string> = {}, connections = CONNECTIONS): Promise<Result> {
  step(`autocannon ${new URL(url).pathname}: ${connections} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s`)
  const run = autocannon({ url, connections, duration: SECONDS, headers, warmup: { connections, duration: WARMUP_SECONDS } })
  const stop = async () => run.stop()
  cleanups.push(stop)
  const result = await run
  cleanups.splice(cleanups.indexOf(stop), 1)
  const statuses = Object.keys(result.statusCodeStats)
  if (result.errors || result.timeouts || result.non2xx || statuses.some(status => status !== '200')) {
    throw new Error(`${url}: ${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  return result
}

async function throughput(baseUrl: string, cookie: string) {
  const bare = await load(`${baseUrl}/api/health`)
  const session = await load(`${baseUrl}/api/current-user`, { cookie })
  const ratio = session.requests.average / bare.requests.average
  const latency = (r: Result) => `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`
  row('/api/health req/s (bare JSON)', `${Math.round(bare.requests.average)} (${latency(bare)})`)
  row('/api/current-user req/s (all 200)', `${Math.round(session.requests.average)} (${latency(session)})`)
  row('current-user / health', `${ratio.toFixed(2)}x`, '>= 0.30x', ratio >= 0.3)
}

// Server render ------------------------------------------------------------------------------

/** How many todos the server put into the page's list markup. */
async function renderedTodos(url: string, cookie: string): Promise<number> {
  const response = await fetch(url, { headers: { cookie }, redirect: 'manual' })
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
  const list = (await response.text()).match(/<ul[^>]*aria-label="Todos"[^>]*>([\s\S]*?)<\/ul>/)?.[1] ?? ''
  return list.match(/<li\b/g)?.length ?? 0
}

/**
 * SSR /todos with 50 todos, as the app renders it (verified session, Amplify context, the list
 * from the local AppSync API), against the same page built with `$Amplify` and the session
 * answered from memory (bench/in-memory/): the difference is what Amplify costs a server render.
 */
async function serverRender(baseUrl: string, sandbox: Sandbox, user: SignedInUser) {
  const { outputsPath } = sandbox
  step(`adding ${IN_MEMORY_TODOS} todos for the bench user`)
  const { config } = await amplifyContext(outputsPath)
  const data = generateClient<Schema>({ config })
  for (let i = 0; i < IN_MEMORY_TODOS; i++) {
    const { errors } = await data.models.Todo.create(user.context, { content: `Bench todo number ${i}`, done: i % 3 === 0 })
    if (errors?.length) throw new Error(`Creating a todo failed: ${JSON.stringify(errors)}`)
  }
  step('building the same app with an in-memory $Amplify (bench/in-memory/)')
  const work = await mkdtemp(join(projectRoot, '.amplify', 'bench', 'in-memory-'))
  cleanups.push(() => rm(work, { recursive: true, force: true }))
  const output = await buildApp(outputsPath, work, {
    replacePlugins: {
      'plugins/01.amplify-apis.server.ts': 'bench/in-memory/amplify-apis.server.ts',
      'plugins/02.session.server.ts': 'bench/in-memory/session.server.ts',
    },
  })
  const server = new AppServer(output, { NODE_EXTRA_CA_CERTS: sandbox.certificatePath })
  cleanups.push(() => server.stop())
  const inMemoryUrl = await server.url

  const real = `${baseUrl}/todos`
  const memory = `${inMemoryUrl}/todos`
  for (const url of [real, memory]) {
    const count = await renderedTodos(url, user.cookieHeader)
    if (count !== IN_MEMORY_TODOS) throw new Error(`${url} rendered ${count} todos, not ${IN_MEMORY_TODOS}`)
  }
  const amplified = await load(real, { cookie: user.cookieHeader }, SSR_CONNECTIONS)
  const inMemory = await load(memory, { cookie: user.cookieHeader }, SSR_CONNECTIONS)
  const latency = (r: Result) => `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`
  row(`SSR /todos (${IN_MEMORY_TODOS} todos) req/s, Amplify`, `${Math.round(amplified.requests.average)} (${latency(amplified)})`)
  row(`SSR /todos (${IN_MEMORY_TODOS} todos) req/s, in memory`, `${Math.round(inMemory.requests.average)} (${latency(inMemory)})`)
  row('SSR /todos: Amplify / in memory', `${(amplified.requests.average / inMemory.requests.average).toFixed(2)}x`)
  notes.push(`SSR rows: ${SSR_CONNECTIONS} connections; the local AppSync API runs in the bench's own process, so the Amplify row includes its work.`)
}

/**
 * SSR of a published list with 50 items for a guest: identity-pool credentials for the guest (the
 * identity id comes back as a cookie, as a returning browser sends it), then the list from the
 * local AppSync API over IAM.
 */
async function guestRender(baseUrl: string, outputsPath: string, user: SignedInUser) {
  step(`publishing a list of ${IN_MEMORY_TODOS} items`)
  const { config } = await amplifyContext(outputsPath)
  const data = generateClient<Schema>({ config })
  const items = Array.from({ length: IN_MEMORY_TODOS }, (_, i) => ({ id: `item-${i}`, content: `Shared item number ${i}`, done: i % 4 === 0 }))
  const { data: list, errors } = await data.models.SharedList.create(user.context, { title: 'Bench list', items, editors: [] })
  if (errors?.length || !list) throw new Error(`Publishing failed: ${JSON.stringify(errors)}`)
  const url = `${baseUrl}/lists/${list.id}`
  const first = await fetch(url)
  const html = await first.text()
  if (first.status !== 200 || !html.includes(items.at(-1)!.content)) throw new Error(`${url} answered ${first.status} without the list for a guest`)
  const identity = first.headers.getSetCookie().find(cookie => cookie.split('=')[0]!.endsWith('.identityId'))
  if (!identity) throw new Error(`${url} gave the guest no identity cookie`)
  const guest = await load(url, { cookie: identity.split(';')[0]! }, SSR_CONNECTIONS)
  row(`SSR /lists/<id> (${IN_MEMORY_TODOS} items) req/s, guest`, `${Math.round(guest.requests.average)} (p50 ${guest.latency.p50} ms, p99 ${guest.latency.p99} ms)`)
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
  step('npm run sandbox in a scratch clone: 3 cold starts, 3 warm starts, 3 reloads')
  const { runs, load } = await sandboxStartTimes({ runs: 3, log: line => step(line) })
  for (const kind of Object.keys(START_TARGETS) as StartKind[]) {
    const m = median(runs[kind])
    row(`Sandbox ${kind}${kind === 'reload' ? ' after an edit' : ' start'}, median`, `${m.toFixed(1)} s (${runs[kind].map(s => s.toFixed(1)).join(', ')})`, `< ${START_TARGETS[kind]} s`, m < START_TARGETS[kind])
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
