/**
 * How long `npm run sandbox` takes to serve, as a user sees it: wall time from spawning the command
 * to its ready line, in a scratch clone of the project (every file git would commit from the
 * working tree, `node_modules` symlinked: `git clone` + `npm ci`), on free ports.
 *
 * - cold: no `.amplify/` and no `amplify_outputs.json` (a fresh clone's first start);
 * - warm: the next start, nothing changed;
 * - reload: a running sandbox, `amplify/data/resource.ts` saved with a new model field 8 s after it
 *   was ready or last reloaded, to the sandbox's `Reloaded the backend in N s` line (each edit is
 *   new: no synth of it is cached);
 * - console: right after each warm start, the console's first load: the printed URL (its secret
 *   becomes a cookie, 303) and the Overview it leads to, whole, as a browser fetches them.
 *
 * `sandboxStartTimes()` is what `npm run bench` calls; `node --import tsx bench/sandbox-start.ts
 * [--runs N] [--from <git working tree>]` prints each run, the median and the machine's load.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const projectRoot = fileURLToPath(new URL('..', import.meta.url))
export const START_TARGETS = { cold: 10, warm: 3, reload: 3, console: 1 } as const
export type StartKind = keyof typeof START_TARGETS
/** Between the sandbox being ready (or reloaded) and the next edit. */
const EDIT_PAUSE_MS = 8000
/** A start or reload slower than this failed. */
const TIMEOUT_MS = 180_000
const READY = /^Offline sandbox ready in /m
const RELOADED = /Reloaded the backend in [\d.]+ s/
const RELOAD_FAILED = /Still serving the last good backend/

export interface StartTimes {
  /** Seconds per run, in the order run. */
  runs: Record<StartKind, number[]>
  /** `os.loadavg()` (1, 5, 15 min) before the first run and after the last. */
  load: { before: number[], after: number[] }
}

/** A scratch clone of the working tree: what `git clone` + `npm ci` give, without the network. */
async function scratchClone(source: string): Promise<string> {
  const parent = join(projectRoot, '.amplify', 'bench')
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(join(parent, 'sandbox-start-'))
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: source, encoding: 'utf8' })
    .split('\0')
    .filter(file => file && existsSync(join(source, file)))
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await cp(join(source, file), join(dir, file))
  }
  await symlink(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

/** `npm run sandbox` in `dir`, as a user starts it; its output is collected in `output()`. */
class SandboxCommand {
  private readonly child: ChildProcess
  private text = ''
  private readonly waiters = new Set<() => void>()
  readonly exited: Promise<number | null>
  readonly started = performance.now()

  constructor(dir: string, ports: number[]) {
    const [auth, data, storage, rest, consolePort] = ports.map(String) as [string, string, string, string, string]
    this.child = spawn('npm', ['run', 'sandbox', '--', '--auth-port', auth, '--data-port', data, '--storage-port', storage, '--rest-port', rest, '--console-port', consolePort], {
      cwd: dir,
      // Its own process group: stopping it stops npm and the sandbox under it, nothing else.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        this.text += chunk
        for (const waiter of this.waiters) waiter()
      })
    }
    this.exited = new Promise(resolve => this.child.once('exit', resolve))
  }

  output(): string {
    return this.text
  }

  /** Milliseconds since `since` until the output (after `from` characters) matches `pattern`. */
  waitFor(pattern: RegExp, since: number, from = 0, fail?: RegExp): Promise<number> {
    return new Promise((resolve, reject) => {
      let settled = false
      const settle = (error: Error | undefined, ms = 0) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.waiters.delete(check)
        if (error) reject(new Error(`${error.message}; its output:\n${this.text}`))
        else resolve(ms)
      }
      const check = () => {
        const text = this.text.slice(from)
        if (pattern.test(text)) settle(undefined, performance.now() - since)
        else if (fail?.test(text)) settle(new Error(`the sandbox said ${fail}`))
      }
      const timer = setTimeout(() => settle(new Error(`no ${pattern} within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)
      void this.exited.then(() => settle(new Error('the sandbox exited')))
      this.waiters.add(check)
      check()
    })
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGINT')
    await this.exited
  }
}

/**
 * Times `runs` cold starts, `runs` warm starts and `runs` reloads of the project in `from` (a git
 * working tree; default this one); `log` hears each as it finishes.
 */
export async function sandboxStartTimes(options: { runs?: number, from?: string, log?: (line: string) => void } = {}): Promise<StartTimes> {
  const runs = options.runs ?? 3
  const log = options.log ?? (() => {})
  const dir = await scratchClone(options.from ?? projectRoot)
  const times: StartTimes = { runs: { cold: [], warm: [], reload: [], console: [] }, load: { before: loadavg(), after: [] } }
  let running: SandboxCommand | undefined
  try {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
    const start = async () => {
      running = new SandboxCommand(dir, ports)
      return (await running.waitFor(READY, running.started)) / 1000
    }
    const stop = async () => {
      await running?.stop()
      running = undefined
    }
    for (let i = 0; i < runs; i++) {
      await rm(join(dir, '.amplify'), { recursive: true, force: true })
      await rm(join(dir, 'amplify_outputs.json'), { force: true })
      times.runs.cold.push(await start())
      log(`cold start ${i + 1}: ${times.runs.cold.at(-1)!.toFixed(2)} s`)
      await stop()
      times.runs.warm.push(await start())
      log(`warm start ${i + 1}: ${times.runs.warm.at(-1)!.toFixed(2)} s`)
      times.runs.console.push(await consoleFirstLoad(running!.output()))
      log(`console first load ${i + 1}: ${times.runs.console.at(-1)!.toFixed(3)} s`)
      await stop()
    }
    const resource = join(dir, 'amplify', 'data', 'resource.ts')
    const original = await readFile(resource, 'utf8')
    const anchor = 'const schema = a.schema({\n'
    if (!original.includes(anchor)) throw new Error(`amplify/data/resource.ts no longer has "${anchor.trim()}": update the bench's edit`)
    await start()
    for (let i = 0; i < runs; i++) {
      // An edit comes a few seconds after the start or the last save, as a developer makes one; the
      // sandbox uses them to get a synth process ready.
      await new Promise(resolve => setTimeout(resolve, EDIT_PAUSE_MS))
      const from = running!.output().length
      // A field name never synthesized before: the reload cannot be served from a cache.
      const field = `note${Date.now().toString(36)}${i}`
      const written = performance.now()
      await writeFile(resource, original.replace(anchor, `${anchor}  BenchNote: a.model({ ${field}: a.string() }).authorization(allow => [allow.owner()]),\n`))
      times.runs.reload.push((await running!.waitFor(RELOADED, written, from, RELOAD_FAILED)) / 1000)
      log(`reload ${i + 1}: ${times.runs.reload.at(-1)!.toFixed(2)} s`)
    }
    await stop()
    times.load.after = loadavg()
    return times
  }
  finally {
    await running?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Seconds from asking for the printed Console URL to holding the whole Overview it leads to. */
async function consoleFirstLoad(output: string): Promise<number> {
  const printed = /Console\s+(http:\/\/\S+)/.exec(output)?.[1]
  if (!printed) throw new Error(`The ready block printed no Console URL:\n${output}`)
  const started = performance.now()
  const login = await fetch(printed, { redirect: 'manual' })
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0]
  if (login.status !== 303 || !cookie) throw new Error(`The console's URL answered ${login.status} without its cookie`)
  const overview = await fetch(new URL(login.headers.get('location')!, printed), { headers: { cookie } })
  const html = await overview.text()
  if (overview.status !== 200 || !html.includes('Local services')) throw new Error(`The console's Overview answered ${overview.status}`)
  return (performance.now() - started) / 1000
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const formatLoad = (load: number[]) => load.map(n => n.toFixed(2)).join(', ')

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, from: { type: 'string' } } })
  sandboxStartTimes({ runs: Number(values.runs), from: values.from, log: line => console.log(`· ${line}`) }).then(({ runs: results, load }) => {
    console.log('')
    for (const kind of Object.keys(START_TARGETS) as StartKind[]) {
      const m = median(results[kind])
      const verdict = m < START_TARGETS[kind] ? 'PASS' : 'MISS'
      console.log(`${kind.padEnd(7)} median ${m.toFixed(2).padStart(6)} s   target < ${START_TARGETS[kind]} s   ${verdict}   runs: ${results[kind].map(s => s.toFixed(2)).join(', ')}`)
    }
    console.log(`\nload average (1, 5, 15 min): before ${formatLoad(load.before)}; after ${formatLoad(load.after)}; ${process.version}, 2 cores shared with whatever else runs`)
  }, (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
