/**
 * What the app's server spends per request, and how many backend round trips each server render
 * makes. Runs alone as `node --import tsx bench/server-cost.ts`; `npm run bench` runs it too.
 *
 * - **CPU per request**: the app's server process is pinned to one core and everything else (this
 *   process, its load generator, the offline sandbox) to the other. Its CPU time (user + system,
 *   from /proc) over an autocannon run, divided by the requests answered, is what one request
 *   costs it, whatever the load generator manages. Each row is the median of 5 rounds of 3 s, the
 *   rows taking turns, so a slow moment of the machine does not fall on one row only. Without two
 *   cores or /proc only requests per second are printed.
 * - **Round trips per render**: every request the offline sandbox receives is counted
 *   (`SandboxOptions.onRequest`) during ten renders one after another by a visitor who has been
 *   there before ("warm"), and during a first render ("cold"). This does not depend on the machine.
 * - **Baselines**: `/api/health`, a bare JSON handler in the same server (also sent a session's
 *   cookies), and a second build of the app with the Amplify plugins answering from memory and no
 *   Amplify Nitro plugin at all (`bench/in-memory/`): its `/api/health` is a bare Nitro handler (also
 *   measured with the app's server packages loaded), its `/` and `/todos` the same pages with no
 *   Amplify work.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import autocannon, { type Result } from 'autocannon'
import { generateClient } from 'aws-amplify/data/server'
import type { Schema } from '../amplify/data/resource'
import type { Sandbox, SandboxRequest } from '../sandbox'
import { AppServer, buildApp, startBuiltApp } from '../test/support/built-app'
import { projectRoot } from '../test/support/project'
import { amplifyContext, newSignedInUser } from '../test/support/signed-in-user'
import { IN_MEMORY_TODOS } from './in-memory/todos'
import { OTHER_NODE_MAJOR, otherNode } from './other-node'

const WARMUP_SECONDS = 2
/** Renders counted per route once warm. */
const COUNTED_RENDERS = 10
/** /proc/<pid>/stat counts CPU time in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
const TICK_US = 10_000

export interface CostRow {
  what: string
  value: string
  target?: string
  pass?: boolean
}

interface Load {
  /** Microseconds of the server's CPU per answered request, when it could be measured. */
  cpuUs?: number
  rps: number
  p50: number
  p99: number
}

const step = (text: string) => console.log(`· ${text}`)

/** The process's CPU time so far (all threads, user + system), in microseconds; undefined without /proc. */
function cpuTimeUs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces), from the closing parenthesis on.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_US
  }
  catch {
    return undefined
  }
}

/** Pins every thread of `pid` to `cores` ("0", "1", "0,1"); false when that cannot be done here. */
function pin(pid: number, cores: string): boolean {
  try {
    execFileSync('taskset', ['-acp', cores, String(pid)], { stdio: 'ignore' })
    return true
  }
  catch {
    return false
  }
}

async function autocannonRun(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Result> {
  const result = await autocannon({ url, connections, duration, headers })
  const statuses = Object.keys(result.statusCodeStats)
  if (result.errors || result.timeouts || result.non2xx || statuses.some(status => status !== '200')) {
    throw new Error(`${url}: ${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  return result
}

/** A warm-up, then 10 s of load with the server's CPU time read before and after. */
async function load(server: AppServer, url: string, headers: Record<string, string>, connections: number, measureCpu: boolean, warmup: number, seconds: number): Promise<Load> {
  step(`autocannon ${new URL(url).pathname}: ${connections} connections, ${warmup} s warm-up + ${seconds} s`)
  if (warmup) await autocannonRun(url, headers, connections, warmup)
  const before = measureCpu ? cpuTimeUs(server.pid) : undefined
  const result = await autocannonRun(url, headers, connections, seconds)
  const after = measureCpu ? cpuTimeUs(server.pid) : undefined
  const cpuUs = before !== undefined && after !== undefined ? (after - before) / result.requests.total : undefined
  return { cpuUs, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

interface LoadTarget {
  server: AppServer
  url: string
  headers: Record<string, string>
}

/** Rounds of the API rows, each row once per round in turn; each row's median counts. */
const ROUNDS = 5
const ROUND_SECONDS = 3

/** Each of `rows` loaded in turn, `ROUNDS` times: the median round of each (machine noise moves whole rounds). */
async function interleaved<Name extends string>(rows: Record<Name, LoadTarget>, measureCpu: boolean, connections = 50): Promise<Record<Name, Load>> {
  const runs = new Map<Name, Load[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { server, url, headers }] of Object.entries(rows) as Array<[Name, LoadTarget]>) {
      const result = await load(server, url, headers, connections, measureCpu, round === 0 ? WARMUP_SECONDS : 0, ROUND_SECONDS)
      runs.set(name, [...(runs.get(name) ?? []), result])
    }
  }
  const median = (list: Load[]) => [...list].sort((a, b) => (a.cpuUs ?? -a.rps) - (b.cpuUs ?? -b.rps))[Math.floor(list.length / 2)]!
  return Object.fromEntries([...runs].map(([name, list]) => [name, median(list)])) as Record<Name, Load>
}

/** The sandbox's requests while `renders` run one after another, per render, with what they were. */
async function roundTrips(observed: SandboxRequest[], renders: number, render: () => Promise<void>): Promise<{ perRender: number, what: string }> {
  const from = observed.length
  for (let i = 0; i < renders; i++) await render()
  const seen = observed.slice(from)
  const kinds = new Map<string, number>()
  for (const request of seen) {
    const kind = request.target?.replace(/^.*\./, '') ?? `${request.port} ${request.method} ${request.url.split('?')[0]!.split('/').slice(0, 2).join('/') || '/'}`
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  }
  const what = [...kinds].map(([kind, n]) => `${kind} x${+(n / renders).toFixed(2)}`).join(', ')
  return { perRender: seen.length / renders, what }
}

/** The identity-id cookie a first visit to `url` gets, as `name=value`. */
function identityCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find(set => set.split('=')[0]!.endsWith('.identityId'))
  if (!cookie) throw new Error(`${response.url} gave the visitor no identity cookie`)
  return cookie.split(';')[0]!
}

async function page(url: string, cookie: string | undefined, mustContain: string): Promise<Response> {
  const response = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' })
  const html = await response.clone().text()
  if (response.status !== 200 || !html.includes(mustContain)) throw new Error(`${url} answered ${response.status} without "${mustContain}"`)
  return response
}

const us = (value: number | undefined) => (value === undefined ? 'n/a' : value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${Math.round(value)} µs`)
const perSecond = (l: Load) => `${Math.round(l.rps)} req/s, p50 ${l.p50} ms`

/** One build's three servers under one Node: the app, the in-memory build, and that build with the app's packages loaded. */
interface Servers {
  node: string
  app: AppServer
  bare: AppServer
  loaded: AppServer
}

interface Route {
  name: string
  path: string
  cookie: string
  contains: string
  target: number
  cpuTarget: number
}

/**
 * Builds the app twice against one sandbox (as Amplify and in memory), starts both servers under
 * this process's Node and, where it can have one, under Node 24 too, and measures. `cleanups` gets
 * what must be stopped, in the order started.
 */
export async function serverCosts(cleanups: Array<() => Promise<unknown>>): Promise<{ app: Awaited<ReturnType<typeof startBuiltApp>>, rows: CostRow[], notes: string[] }> {
  const rows: CostRow[] = []
  const notes: string[] = []
  const row = (what: string, value: string, target?: string, pass?: boolean) => rows.push({ what, value, target, pass })
  const observed: SandboxRequest[] = []

  step('starting the offline sandbox and building the app against it (about 40 s)')
  const app = await startBuiltApp('bench', {}, { onRequest: request => void observed.push(request) })
  cleanups.push(app.stop)
  const { baseUrl, sandbox } = app

  step('building the same app with an in-memory $Amplify and no Amplify Nitro plugin (bench/in-memory/)')
  const work = await mkdtemp(join(projectRoot, '.amplify', 'bench', 'in-memory-'))
  cleanups.push(() => rm(work, { recursive: true, force: true }))
  const inMemoryOutput = await buildApp(sandbox.outputsPath, work, {
    replacePlugins: {
      'plugins/01.amplify-apis.server.ts': 'bench/in-memory/amplify-apis.server.ts',
      'plugins/02.session.server.ts': 'bench/in-memory/session.server.ts',
    },
    removeServerPlugins: ['server/plugins/amplify.ts'],
  })
  // The in-memory build with the packages the app's Nitro code imports loaded at start: a bare
  // handler in a process as heavy as the app's, which tells the cost of loading Amplify apart from
  // any per-request Amplify work.
  const preload = join(app.outputDir, 'server', 'bench-preload.mjs')
  await writeFile(preload, nitroImports(app.outputDir).filter(name => !nitroImports(inMemoryOutput).includes(name)).map(name => `import ${JSON.stringify(name)}\n`).join(''))
  const env = { NODE_EXTRA_CA_CERTS: sandbox.certificatePath }
  /** The three servers under `node` (version `version`); `appServer` is the app's own, already started. */
  const startServers = async (appServer: AppServer, node: string, version: string): Promise<Servers> => {
    const started = [appServer, new AppServer(inMemoryOutput, env, node), new AppServer(inMemoryOutput, { ...env, NODE_OPTIONS: `--import ${preload}` }, node)]
    for (const server of started) cleanups.push(() => server.stop())
    await Promise.all(started.map(server => server.url))
    return { node: version, app: started[0]!, bare: started[1]!, loaded: started[2]! }
  }
  const here = await startServers(app.server, process.execPath, process.versions.node)

  const { user, listPath } = await seed(baseUrl, sandbox)

  // The app's servers on core 0, everything else on core 1.
  const measureCpu = availableParallelism() >= 2 && cpuTimeUs(app.server.pid) !== undefined
    && pin(process.pid, '1') && [here.app, here.bare, here.loaded].every(server => pin(server.pid, '0'))
  const unpin = () => pin(process.pid, `0-${availableParallelism() - 1}`)
  if (measureCpu) cleanups.push(async () => unpin())
  notes.push(measureCpu
    ? `Server rows: CPU of the app's server process per answered request (user + system, /proc), the server pinned to core 0 and the load generator and sandbox to core 1; ${WARMUP_SECONDS} s of warm-up first.`
    : 'Server rows: this machine cannot pin processes to cores or read /proc, so only requests per second are printed.')

  // API routes first, on servers that have rendered no page yet: like with like.
  const apiCost = await apiRows(here, user.cookieHeader, measureCpu, row)
  if (apiCost) notes.push(apiCost)

  // Then round trips, on an otherwise idle server.
  step('counting the sandbox requests of each render')
  const guestFirst = await roundTrips(observed, 1, async () => void await page(`${baseUrl}/`, undefined, 'You are not signed in'))
  const guest = identityCookie(await page(`${baseUrl}/`, undefined, 'You are not signed in'))
  const routes: Route[] = [
    { name: 'SSR / guest', path: '/', cookie: guest, contains: 'You are not signed in', target: 0, cpuTarget: 2500 },
    { name: 'SSR / signed in', path: '/', cookie: user.cookieHeader, contains: 'You are signed in', target: 0, cpuTarget: 2500 },
    { name: `SSR /todos, ${IN_MEMORY_TODOS} todos`, path: '/todos', cookie: user.cookieHeader, contains: 'Bench todo number 49', target: 2, cpuTarget: 8000 },
    { name: `SSR shared list, ${IN_MEMORY_TODOS} items, guest`, path: listPath, cookie: guest, contains: 'Shared item number 49', target: 1, cpuTarget: 8000 },
  ]
  const counted: Array<Awaited<ReturnType<typeof roundTrips>>> = []
  for (const route of routes) {
    const render = async () => void await page(`${baseUrl}${route.path}`, route.cookie, route.contains)
    await render()
    counted.push(await roundTrips(observed, COUNTED_RENDERS, render))
  }
  row('Round trips: SSR / for a first-time guest (cold)', `${guestFirst.perRender} (${guestFirst.what || 'none'})`)
  routes.forEach((route, i) => {
    const { perRender, what } = counted[i]!
    row(`Round trips: ${route.name}, warm`, `${+perRender.toFixed(2)} (${what || 'none'})`, `${route.target}`, perRender <= route.target)
  })

  await pageRows(here, routes, user.cookieHeader, measureCpu, row)
  for (const server of [here.bare, here.loaded]) await server.stop()

  // The same build under the Node its users run: servers of its own, measured the same way.
  const other = await otherNode()
  if ('skipped' in other) {
    notes.push(`Node ${OTHER_NODE_MAJOR} rows: not measured, ${other.skipped}.`)
  }
  else {
    step(`the same build's servers under Node ${other.version}`)
    const there = await startServers(new AppServer(app.outputDir, env, other.node), other.node, other.version)
    if (measureCpu) for (const server of [there.app, there.bare, there.loaded]) pin(server.pid, '0')
    // The guest's identity and the user's session are the sandbox's, so this server accepts them too.
    for (const route of routes) await page(`${await there.app.url}${route.path}`, route.cookie, route.contains)
    const otherApiCost = await apiRows(there, user.cookieHeader, measureCpu, row)
    if (otherApiCost) notes.push(otherApiCost)
    await pageRows(there, routes, user.cookieHeader, measureCpu, row)
    for (const server of [there.app, there.bare, there.loaded]) await server.stop()
  }

  // What runs next (a browser, Storage, functions) gets both cores again.
  if (measureCpu) unpin()
  notes.push(`Every CPU row is the median of ${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s (the machine moves whole rounds by a fifth). Server renders run with 10 connections, API routes with 50.`)
  notes.push('Round trips: requests the sandbox received per render; "warm" is a visitor who has been there before, ten renders in a row.')
  return { app, rows, notes }
}

type AddRow = (what: string, value: string, target?: string, pass?: boolean) => void

const cpuValue = (l: Load) => `${us(l.cpuUs)} (${perSecond(l)})`

/** `/api/health` in the three servers and `/api/current-user`; returns what loading Amplify costs, in words. */
async function apiRows(servers: Servers, cookie: string, measureCpu: boolean, row: AddRow): Promise<string | undefined> {
  const [appUrl, bareUrl, loadedUrl] = await Promise.all([servers.app.url, servers.bare.url, servers.loaded.url])
  const api = await interleaved({
    bare: { server: servers.bare, url: `${bareUrl}/api/health`, headers: {} },
    loaded: { server: servers.loaded, url: `${loadedUrl}/api/health`, headers: {} },
    health: { server: servers.app, url: `${appUrl}/api/health`, headers: {} },
    healthWithCookies: { server: servers.app, url: `${appUrl}/api/health`, headers: { cookie } },
    currentUser: { server: servers.app, url: `${appUrl}/api/current-user`, headers: { cookie } },
  }, measureCpu)
  const label = `CPU, Node ${servers.node}`
  row(`${label}: bare Nitro handler, a build without Amplify`, cpuValue(api.bare))
  row(`${label}: the same, with the app's server packages loaded`, cpuValue(api.loaded))
  const hookRatio = api.health.cpuUs! / api.loaded.cpuUs!
  row(`${label}: /api/health (a bare handler in the app's server)`, cpuValue(api.health), '= the line above', measureCpu ? hookRatio <= 1.1 : undefined)
  row(`${label}: /api/health with a session's cookies`, cpuValue(api.healthWithCookies))
  row(`${label}: /api/current-user`, cpuValue(api.currentUser))
  if (!measureCpu) return undefined
  const ratio = api.currentUser.cpuUs! / api.healthWithCookies.cpuUs!
  row(`${label}: /api/current-user / the bare handler, same request`, `${ratio.toFixed(2)}x (${(api.currentUser.cpuUs! / api.health.cpuUs!).toFixed(2)}x without the cookies)`, '<= 1.5x', ratio <= 1.5)
  return `Node ${servers.node}: loading Amplify's packages costs every request of a server ${us(api.loaded.cpuUs! - api.bare.cpuUs!)}, whether it uses them or not (garbage collection); /api/health runs no Amplify code (${hookRatio.toFixed(2)}x the loaded bare build). A session's 4 kB of cookies cost a bare handler ${us(api.healthWithCookies.cpuUs! - api.health.cpuUs!)} to receive.`
}

/** Every page in turn, and the same pages with no Amplify work at all (what rendering them costs Nuxt). */
async function pageRows(servers: Servers, routes: Route[], cookie: string, measureCpu: boolean, row: AddRow): Promise<void> {
  const [appUrl, bareUrl] = await Promise.all([servers.app.url, servers.bare.url])
  const pages: Record<string, LoadTarget> = Object.fromEntries(routes.map(route => [route.name, { server: servers.app, url: `${appUrl}${route.path}`, headers: { cookie: route.cookie } }]))
  const inMemory = { '/ signed in': '/', [`/todos, ${IN_MEMORY_TODOS} todos`]: '/todos' }
  for (const [what, path] of Object.entries(inMemory)) pages[`${what}, in memory (no Amplify)`] = { server: servers.bare, url: `${bareUrl}${path}`, headers: { cookie } }
  const rendered = await interleaved(pages, measureCpu, 10)
  const label = `CPU, Node ${servers.node}`
  for (const route of routes) {
    const l = rendered[route.name]!
    row(`${label}: ${route.name}`, cpuValue(l), `<= ${us(route.cpuTarget)}`, measureCpu ? l.cpuUs! <= route.cpuTarget : undefined)
  }
  for (const what of Object.keys(inMemory)) row(`${label}: SSR ${what}, in memory (no Amplify)`, cpuValue(rendered[`${what}, in memory (no Amplify)`]!))
}

/** The packages a build's Nitro code imports (`chunks/nitro/nitro.mjs`). */
function nitroImports(outputDir: string): string[] {
  const code = readFileSync(join(outputDir, 'server', 'chunks', 'nitro', 'nitro.mjs'), 'utf8')
  return [...new Set([...code.matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)].map(match => match[1]!).filter(name => !name.startsWith('node:') && !name.startsWith('.')))]
}

/** A signed-in user with 50 todos, and a published list of 50 items. */
async function seed(baseUrl: string, sandbox: Sandbox) {
  step(`signing in a user with ${IN_MEMORY_TODOS} todos and publishing a list of ${IN_MEMORY_TODOS} items`)
  const user = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'bench')
  const check = await fetch(`${baseUrl}/api/current-user`, { headers: { cookie: user.cookieHeader } })
  if (check.status !== 200) throw new Error(`/api/current-user answered ${check.status} to a fresh session: ${await check.text()}`)
  const { config } = await amplifyContext(sandbox.outputsPath)
  const data = generateClient<Schema>({ config })
  for (let i = 0; i < IN_MEMORY_TODOS; i++) {
    const { errors } = await data.models.Todo.create(user.context, { content: `Bench todo number ${i}`, done: i % 3 === 0 })
    if (errors?.length) throw new Error(`Creating a todo failed: ${JSON.stringify(errors)}`)
  }
  const items = Array.from({ length: IN_MEMORY_TODOS }, (_, i) => ({ id: `item-${i}`, content: `Shared item number ${i}`, done: i % 4 === 0 }))
  const { data: list, errors } = await data.models.SharedList.create(user.context, { title: 'Bench list', items, editors: [] })
  if (errors?.length || !list) throw new Error(`Publishing failed: ${JSON.stringify(errors)}`)
  return { user, listPath: `/lists/${list.id}` }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cleanups: Array<() => Promise<unknown>> = []
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup:', error))
  }
  try {
    const { rows, notes } = await serverCosts(cleanups)
    const w = Math.max(...rows.map(r => r.what.length))
    const v = Math.max(...rows.map(r => r.value.length))
    for (const r of rows) console.log(`${r.what.padEnd(w)}  ${r.value.padEnd(v)}  ${(r.target ?? '').padEnd(14)}  ${r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS'}`)
    for (const note of notes) console.log(`- ${note}`)
  }
  finally {
    await stop()
  }
}
