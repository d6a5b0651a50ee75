/**
 * The offline sandbox: the project's real `amplify/` backend, synthesized and served locally by the
 * services of ./services.ts (a Cognito-compatible user pool and identity pool, an AppSync-compatible
 * GraphQL API, an S3-compatible Storage, an API Gateway-compatible host for REST APIs and the
 * backend's functions), with `amplify_outputs.json` pointing the unchanged `aws-amplify` client at
 * them. The sandbox's IAM issues the identity pool's credentials and checks every signed request
 * against the roles and policies the backend synthesizes. This file only orchestrates: it binds
 * the ports, synthesizes, and starts, reloads and closes the services in their order.
 */
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { CloudAssembly } from './assembly'
import { synthesizeCached, synthStandby } from './assembly/synth'
import type { Clock } from './core/clock'
import { loadOrCreateIds } from './core/ids'
import { assertOutputsReplaceable, cachedBackendOutputs, preloadOutputsGenerator, withLocalEndpoints, writeOutputs, type LocalEndpoints } from './core/outputs'
import { bindPort, type BoundPort, type PortName, type RequestObserver } from './core/port'
import { RequestLog } from './core/requests'
import type { OwnPort, RunningService, Service, ServiceContext } from './core/service'
import { loadOrCreateCertificate, type SandboxCertificate } from './core/tls'
import type { SandboxMessage } from './core/types'
import { readSnapshot, restoreFiles, restoreTables } from './core/snapshot'
import { unservedFeatures } from './core/unserved'
import { createIam, type SandboxIam } from './iam'
import { SERVICES, type Services } from './services'

export { SandboxStartError, type PortName, type SandboxRequest } from './core/port'

export interface SandboxOptions {
  /** The project root: holds `amplify/`; default `process.cwd()`. */
  projectDir?: string
  /** Where users, items, keys and the synthesized backend live; default `<projectDir>/.amplify/sandbox`. */
  dataDir?: string
  /** Default `<projectDir>/amplify_outputs.json`. */
  outputsPath?: string
  host?: string
  /** Each service's port (absent: its default; 0 picks a free one). */
  ports?: Partial<Record<PortName, number>>
  /**
   * Where synthesized backends are kept, by a hash of everything synth reads; default
   * `<dataDir>/synth-cache`. Sandboxes may share one (the tests do).
   */
  synthCacheDir?: string
  /** Synthesized backends kept there besides those in use (default 2): a cache many backends share wants more. */
  synthCacheEntries?: number
  /** What schedules fire by; the system clock unless a test moves its own. */
  clock?: Clock
  /** Wipe users, items, identities, credentials (the admin's too) and stored files first. */
  reset?: boolean
  /**
   * A snapshot folder (core/snapshot.ts) to start from: the state is wiped as by `reset`, then
   * the snapshot's users, identities, files and items take its place.
   */
  from?: string
  /** Re-synthesize and reload when `amplify/` changes (default true). */
  watch?: boolean
  log?: (line: string) => void
  onMessage?: (message: SandboxMessage) => void
  /** Told of every HTTP request any local service receives (the benchmark counts a render's round trips with it). */
  onRequest?: RequestObserver
}

export interface Sandbox {
  /** The started services, by name. */
  readonly services: Services
  readonly userPoolEndpoint: string
  /** The same port as the user pool: requests are told apart by their `X-Amz-Target`. */
  readonly identityPoolEndpoint: string
  readonly graphqlUrl: string
  /** `127.0.0.1:<port>` (no scheme): what Storage calls pass as `customEndpoint` (`custom.offlineSandbox.storageEndpoint`). */
  readonly storageEndpoint: string
  readonly storage: Services['storage']['storage']
  /**
   * `http://127.0.0.1:<port>`: REST APIs (API Gateway) at `<restEndpoint>/<rest api id>/<stage>/`
   * (`custom.API.<name>.endpoint`); undefined while the backend has none (the port is not taken).
   */
  readonly restEndpoint: string | undefined
  readonly rest: Services['rest']['rest']
  /** The backend's functions, run locally (what triggers invoke). */
  readonly functions: Services['functions']['functions']
  readonly messagesUrl: string
  readonly outputsPath: string
  readonly outputs: Record<string, unknown>
  readonly dataDir: string
  readonly certificatePath: string
  readonly userPool: Services['auth']['pool']
  readonly identityPool: Services['identity']['pool']
  readonly iam: SandboxIam
  /** What every local service decided about each request, newest first (the console's Requests panel). */
  readonly requests: RequestLog
  /** The AWS shared credentials file (profile `amplify-sandbox`) that signs admin requests. */
  readonly adminCredentialsPath: string
  /** True when this start served the last synth again (nothing it depends on changed) instead of running CDK. */
  readonly reusedSynth: boolean
  /** Lines for the block printed once the sandbox is ready, each service's in order. */
  summary(): string[]
  /** Re-synthesizes `amplify/` and reloads; rejects (and keeps serving the last good backend) on error. */
  reload(): Promise<void>
  close(): Promise<void>
}

/** The services' own ports, with their flags' names and defaults, in the list's order. */
export const PORTS: readonly OwnPort[] = SERVICES.flatMap(service => (service.port && 'name' in service.port ? [service.port] : []))
/** Where in the data folder the admin's AWS shared credentials file lives. */
const ADMIN_CREDENTIALS_FILE = 'admin-credentials'

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const projectDir = options.projectDir ?? process.cwd()
  const dataDir = options.dataDir ?? join(projectDir, '.amplify', 'sandbox')
  const outputsPath = options.outputsPath ?? join(projectDir, 'amplify_outputs.json')
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? (() => {})
  const show = (path: string) => relative(projectDir, path) || '.'

  await assertOutputsReplaceable(outputsPath)
  // Read before anything is wiped: a folder that is no snapshot changes nothing.
  const snapshot = options.from === undefined ? undefined : await readSnapshot(options.from)
  await prepareDataDir(dataDir, (options.reset ?? false) || snapshot !== undefined, () => log(snapshot
    ? `Starting from the snapshot ${show(options.from!)} (made ${snapshot.createdAt}): wiped the state in ${show(dataDir)}`
    : `Reset: wiped users, items, identities, credentials and files in ${show(dataDir)}`))
  if (options.from) await restoreFiles(options.from, dataDir)
  // Bound before synth: a port in use fails the start at once, not after the synth.
  const ports = await bindOwnPorts(host, options.ports ?? {}, options.onRequest)
  for (const service of SERVICES) service.prepare?.()

  const ids = await loadOrCreateIds(dataDir)
  const cacheDir = options.synthCacheDir ?? join(dataDir, 'synth-cache')
  const watching = options.watch ?? true
  // While watching, a synth process waits with CDK loaded, for the reload after the next edit.
  const standby = watching ? synthStandby(projectDir, cacheDir) : undefined
  const synth = async (reuse: boolean, keep: string[] = []) => {
    const started = performance.now()
    const { dir, reused } = await synthesizeCached(projectDir, cacheDir, { reuse, keep, entries: options.synthCacheEntries, log, onSynthesize: preloadOutputsGenerator, standby: reuse ? undefined : standby })
    const synthSeconds = seconds(started)
    const assembly = await CloudAssembly.load(dir, ids)
    // Before any service starts or reloads: a backend the generator refuses fails cleanly.
    const backendOutputs = (await cachedBackendOutputs(assembly, join(cacheDir, 'outputs'))).outputs
    return { assembly, backendOutputs, reused, synthSeconds }
  }

  let iam: SandboxIam | undefined
  const requests = new RequestLog()
  const services = new RunningServices()
  let first: Awaited<ReturnType<typeof synth>>
  let tls: SandboxCertificate
  try {
    ;[first, tls] = await Promise.all([synth(true), loadOrCreateCertificate(join(dataDir, 'tls'))])
    log(first.reused ? 'Reused the last synth (amplify/ unchanged)' : `Synthesized amplify/ in ${first.synthSeconds} s`)
    iam = await createIam({ dir: join(dataDir, 'iam'), adminCredentialsFile: join(dataDir, ADMIN_CREDENTIALS_FILE), assembly: first.assembly, ids })
    const shared = { assembly: first.assembly, ids, projectDir, dataDir, show, host, tls, iam, requests, log, onMessage: options.onMessage, clock: options.clock }
    await services.start(shared, ports)
    if (options.from) {
      const items = await restoreTables(options.from, services.byName.data.dynamo, log)
      log(`Restored ${items} items, and the users, identities and files of the snapshot`)
    }
  }
  catch (error) {
    await services.close().catch(() => {})
    await ports.close()
    await iam?.close()
    throw error
  }
  const sandboxIam = iam
  let assembly = first.assembly
  const report = (current: CloudAssembly) => {
    for (const problem of sandboxIam.problems) log(`IAM: ${problem}`)
    for (const line of unservedFeatures(current, SERVICES)) log(`Not served offline: ${line}`)
  }
  const outputsOf = (backendOutputs: Record<string, unknown>) => withLocalEndpoints(backendOutputs, { certificatePath: tls.certPath, ...services.outputs() } as LocalEndpoints)
  report(assembly)
  let outputs = outputsOf(first.backendOutputs)
  await writeOutputs(outputsPath, outputs)

  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    const run = async () => {
      // Always a fresh synth (the watcher saw a change); it refreshes the cache for the next start.
      const next = await synth(false, [assembly.dir])
      await services.reload(next.assembly)
      sandboxIam.reload(next.assembly)
      report(next.assembly)
      const nextOutputs = outputsOf(next.backendOutputs)
      await writeOutputs(outputsPath, nextOutputs)
      outputs = nextOutputs
      assembly = next.assembly
    }
    // One reload at a time, in order: a change made during a synth is picked up by the next one.
    reloading = reloading.catch(() => {}).then(run)
    return reloading
  }
  const watcher = watching ? watchAmplify(projectDir, reload, log) : undefined
  // Once the start's own work is done: loading CDK takes a core for a few seconds.
  setTimeout(() => standby?.warm(), 1000).unref()

  const byName = services.byName
  let closed: Promise<void> | undefined
  return {
    services: byName,
    get userPoolEndpoint() {
      return byName.auth.endpoint
    },
    get identityPoolEndpoint() {
      return byName.identity.endpoint
    },
    get graphqlUrl() {
      return byName.data.url
    },
    get storageEndpoint() {
      return byName.storage.storage.endpoint
    },
    storage: byName.storage.storage,
    get restEndpoint() {
      return byName.rest.rest.endpoint
    },
    rest: byName.rest.rest,
    functions: byName.functions.functions,
    messagesUrl: byName.auth.messagesUrl,
    outputsPath,
    get outputs() {
      return outputs
    },
    dataDir,
    certificatePath: tls.certPath,
    userPool: byName.auth.pool,
    identityPool: byName.identity.pool,
    iam: sandboxIam,
    requests,
    adminCredentialsPath: sandboxIam.admin.file,
    reusedSynth: first.reused,
    summary: () => services.summary(),
    reload,
    close() {
      closed ??= (async () => {
        watcher?.close()
        standby?.close()
        await reloading.catch(() => {})
        await services.close()
        await ports.close()
        await sandboxIam.close()
      })()
      return closed
    },
  }
}

/** Wipes what `--reset` wipes, and what sandboxes from before the synth cache left. */
async function prepareDataDir(dataDir: string, reset: boolean, onReset: () => void): Promise<void> {
  if (reset) {
    // The certificate stays: a browser that was told to trust it keeps doing so. The synth cache
    // stays too: it holds no user data.
    // The admin credentials go too: a reset sandbox is a new one, and anything holding the old
    // keys (a script, a shell's AWS_PROFILE) should fail loudly rather than act on it.
    const services: readonly Service[] = SERVICES
    const parts = [...services.flatMap(service => (service.folder ? [service.folder] : [])), 'iam', ADMIN_CREDENTIALS_FILE, 'sandbox.json']
    for (const part of parts) await rm(join(dataDir, part), { recursive: true, force: true })
    onReset()
  }
  await mkdir(dataDir, { recursive: true })
  for (const entry of await readdir(dataDir)) {
    if (entry.startsWith('assembly-')) await rm(join(dataDir, entry), { recursive: true, force: true })
  }
}

interface OwnPorts {
  /** The bound port of each service that takes its port at start. */
  get(name: PortName): BoundPort | undefined
  /** Binds a lazy port (a REST API's, once there is one). */
  bind(port: OwnPort): Promise<BoundPort>
  close(): Promise<void>
}

/** Binds every service's own port but the lazy ones; on any refusal, none stays bound. */
async function bindOwnPorts(host: string, numbers: Partial<Record<PortName, number>>, onRequest?: RequestObserver): Promise<OwnPorts> {
  const bound = new Map<PortName, BoundPort>()
  const lazy = new Map<PortName, Promise<BoundPort>>()
  const numberOf = (port: OwnPort) => numbers[port.name] ?? port.default
  const close = async () => {
    await Promise.all([...bound.values()].map(port => port.close()))
    await Promise.all([...lazy.values()].map(port => port.then(p => p.close(), () => {})))
  }
  const results = await Promise.allSettled(PORTS.filter(port => !port.lazy).map(async port => bound.set(port.name, await bindPort(host, numberOf(port), port.name, onRequest))))
  const refused = results.find(result => result.status === 'rejected')
  if (refused) {
    await close()
    throw refused.reason
  }
  return {
    get: name => bound.get(name),
    bind(port) {
      let binding = lazy.get(port.name)
      if (!binding) lazy.set(port.name, (binding = bindPort(host, numberOf(port), port.name, onRequest)))
      return binding
    },
    close,
  }
}

/** The services of ./services.ts once started: in order, by name, and what they say together. */
class RunningServices {
  private readonly running: Array<[Service, RunningService]> = []
  private readonly started: Record<string, RunningService> = {}
  private markStarted!: (outcome: { ok: true } | { ok: false, error: unknown }) => void
  // Functions run once everything has started: a trigger or a notification fired during the start waits.
  private readonly whenStarted = new Promise<void>((resolve, reject) => {
    this.markStarted = outcome => (outcome.ok ? resolve() : reject(outcome.error))
  })

  get byName(): Services {
    return this.started as unknown as Services
  }

  async start(shared: Omit<ServiceContext, 'dir' | 'port' | 'bind' | 'service' | 'sharers' | 'invoke'>, ports: OwnPorts): Promise<void> {
    this.whenStarted.catch(() => {})
    try {
      for (const service of SERVICES as readonly Service[]) {
        const own = service.port && 'name' in service.port ? service.port : undefined
        const instance = await service.start({
          ...shared,
          dir: service.folder ? join(shared.dataDir, service.folder) : shared.dataDir,
          port: own && ports.get(own.name),
          bind: () => (own ? ports.bind(own) : Promise.reject(new Error(`The ${service.name} service has no port of its own`))),
          service: name => this.started[name] as never,
          sharers: () => (own ? this.running.filter(([other]) => other.port && 'shares' in other.port && other.port.shares === own.name).map(([, r]) => r) : []),
          invoke: async (reference, event) => {
            await this.whenStarted
            return this.byName.functions.functions.invoke(reference, event)
          },
        })
        this.running.push([service, instance])
        this.started[service.name] = instance
      }
    }
    catch (error) {
      this.markStarted({ ok: false, error })
      throw error
    }
    this.markStarted({ ok: true })
  }

  /** Every service's part of the offline block, merged in order. */
  outputs(): Record<string, unknown> {
    return Object.assign({}, ...this.running.map(([, service]) => service.outputs?.() ?? {})) as Record<string, unknown>
  }

  summary(): string[] {
    return this.running.flatMap(([, service]) => service.summary?.() ?? [])
  }

  /** In order: the user pool first, whose settings refuse a backend without auth before anything changed. */
  async reload(assembly: CloudAssembly): Promise<void> {
    for (const [, service] of this.running) await service.reload(assembly)
  }

  /** In reverse order: nothing is closed while a service started after it still runs. */
  async close(): Promise<void> {
    for (const [, service] of [...this.running].reverse()) await service.close()
    this.running.length = 0
  }
}

/**
 * Reloads whenever a file under `amplify/` changes, once the saves have stopped for 100 ms (an
 * editor's format-on-save, a branch switch); a failed reload keeps the last good backend.
 */
function watchAmplify(projectDir: string, reload: () => Promise<void>, log: (line: string) => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined
  return watch(join(projectDir, 'amplify'), { recursive: true }, () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      const started = performance.now()
      log('amplify/ changed: synthesizing...')
      reload().then(
        () => log(`Reloaded the backend in ${seconds(started)} s`),
        (error: Error) => log(`${error.message}\nStill serving the last good backend.`),
      )
    }, 100)
  })
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1)
}
