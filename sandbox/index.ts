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
import { synthesizeCached } from './assembly/synth'
import type { Clock } from './core/clock'
import { loadOrCreateIds } from './core/ids'
import { assertOutputsReplaceable, cachedBackendOutputs, preloadOutputsGenerator, withLocalEndpoints, writeOutputs, type LocalEndpoints } from './core/outputs'
import { bindPort, type BoundPort, type PortName } from './core/port'
import type { OwnPort, RunningService, Service, ServiceContext } from './core/service'
import { loadOrCreateCertificate } from './core/tls'
import type { SandboxMessage } from './core/types'
import { unservedFeatures } from './core/unserved'
import { createIam, type SandboxIam } from './iam'
import { SERVICES, type Services } from './services'

export { SandboxStartError, type PortName } from './core/port'

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
  /** What schedules fire by; the system clock unless a test moves its own. */
  clock?: Clock
  /** Wipe users, items, identities, credentials (the admin's too) and stored files first. */
  reset?: boolean
  /** Re-synthesize and reload when `amplify/` changes (default true). */
  watch?: boolean
  log?: (line: string) => void
  onMessage?: (message: SandboxMessage) => void
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
  const services: readonly Service[] = SERVICES

  await assertOutputsReplaceable(outputsPath)
  if (options.reset) {
    // The certificate stays: a browser that was told to trust it keeps doing so. The synth cache
    // stays too: it holds no user data.
    // The admin credentials go too: a reset sandbox is a new one, and anything holding the old
    // keys (a script, a shell's AWS_PROFILE) should fail loudly rather than act on it.
    const parts = [...services.flatMap(service => (service.folder ? [service.folder] : [])), 'iam', ADMIN_CREDENTIALS_FILE, 'sandbox.json']
    for (const part of parts) await rm(join(dataDir, part), { recursive: true, force: true })
    log(`Reset: wiped users, items, identities, credentials and files in ${show(dataDir)}`)
  }
  await mkdir(dataDir, { recursive: true })
  for (const entry of await readdir(dataDir)) {
    // Left by sandboxes from before the synth cache.
    if (entry.startsWith('assembly-')) await rm(join(dataDir, entry), { recursive: true, force: true })
  }

  // Bound before synth: a port in use fails the start at once, not after the synth.
  const portNumber = (port: OwnPort) => options.ports?.[port.name] ?? port.default
  const bound = new Map<PortName, BoundPort>()
  const binding = PORTS.filter(port => !port.lazy).map(async port => bound.set(port.name, await bindPort(host, portNumber(port), port.name)))
  const closePorts = () => Promise.all([...bound.values()].map(port => port.close()))
  const bindings = await Promise.allSettled(binding)
  const refused = bindings.find(result => result.status === 'rejected')
  if (refused) {
    await closePorts()
    throw refused.reason
  }
  for (const service of services) service.prepare?.()

  const ids = await loadOrCreateIds(dataDir)
  const cacheDir = options.synthCacheDir ?? join(dataDir, 'synth-cache')
  const outputsCache = join(cacheDir, 'outputs.json')
  const synth = async (reuse: boolean, keep: string[] = []) => {
    const started = performance.now()
    const { dir, reused } = await synthesizeCached(projectDir, cacheDir, { reuse, keep, log, onSynthesize: preloadOutputsGenerator })
    const synthSeconds = seconds(started)
    const assembly = await CloudAssembly.load(dir, ids)
    // Before any service starts or reloads: a backend the generator refuses fails cleanly.
    const backendOutputs = (await cachedBackendOutputs(assembly, outputsCache)).outputs
    return { assembly, backendOutputs, reused, synthSeconds }
  }

  let iam: SandboxIam | undefined
  const running: Array<[Service, RunningService]> = []
  const started = {} as Record<string, RunningService>
  // Functions run once everything has started: a trigger or a notification fired during the start waits.
  let resolveStarted!: () => void
  let rejectStarted!: (error: unknown) => void
  const whenStarted = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve
    rejectStarted = reject
  })
  whenStarted.catch(() => {})
  const invoke: ServiceContext['invoke'] = async (reference, event) => {
    await whenStarted
    return (started as unknown as Services).functions.functions.invoke(reference, event)
  }
  const closeServices = async () => {
    for (const [, service] of [...running].reverse()) await service.close()
  }

  let first: Awaited<ReturnType<typeof synth>>
  let tls: Awaited<ReturnType<typeof loadOrCreateCertificate>>
  try {
    ;[first, tls] = await Promise.all([synth(true), loadOrCreateCertificate(join(dataDir, 'tls'))])
    log(first.reused ? 'Reused the last synth (amplify/ unchanged)' : `Synthesized amplify/ in ${first.synthSeconds} s`)
    iam = await createIam({ dir: join(dataDir, 'iam'), adminCredentialsFile: join(dataDir, ADMIN_CREDENTIALS_FILE), assembly: first.assembly, ids })
    for (const service of services) {
      const own = service.port && 'name' in service.port ? service.port : undefined
      let lazy: Promise<BoundPort> | undefined
      const context: ServiceContext = {
        assembly: first.assembly,
        ids,
        projectDir,
        dataDir,
        dir: service.folder ? join(dataDir, service.folder) : dataDir,
        show,
        host,
        tls,
        iam,
        log,
        onMessage: options.onMessage,
        clock: options.clock,
        port: own ? bound.get(own.name) : undefined,
        bind: () => (lazy ??= own ? bindPort(host, portNumber(own), own.name) : Promise.reject(new Error(`${service.name} has no port of its own`))),
        service: name => started[name] as never,
        sharers: () => own ? running.filter(([other]) => other.port && 'shares' in other.port && other.port.shares === own.name).map(([, r]) => r) : [],
        invoke,
      }
      const instance = await service.start(context)
      running.push([service, instance])
      started[service.name] = instance
    }
  }
  catch (error) {
    rejectStarted(error)
    await closeServices().catch(() => {})
    await closePorts()
    await iam?.close()
    throw error
  }
  resolveStarted()
  const sandboxIam = iam
  let assembly = first.assembly
  const byName = started as unknown as Services
  const report = (current: CloudAssembly) => {
    for (const problem of sandboxIam.problems) log(`IAM: ${problem}`)
    for (const line of unservedFeatures(current, services)) log(`Not served offline: ${line}`)
  }
  const endpoints = (): LocalEndpoints => Object.assign({ certificatePath: tls.certPath }, ...running.map(([, service]) => service.outputs?.() ?? {})) as LocalEndpoints
  report(assembly)
  let outputs = withLocalEndpoints(first.backendOutputs, endpoints())
  await writeOutputs(outputsPath, outputs)

  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    const run = async () => {
      // Always a fresh synth (the watcher saw a change); it refreshes the cache for the next start.
      const next = await synth(false, [assembly.dir])
      for (const [, service] of running) await service.reload(next.assembly)
      sandboxIam.reload(next.assembly)
      report(next.assembly)
      const nextOutputs = withLocalEndpoints(next.backendOutputs, endpoints())
      await writeOutputs(outputsPath, nextOutputs)
      outputs = nextOutputs
      assembly = next.assembly
    }
    // One reload at a time, in order: a change made during a synth is picked up by the next one.
    reloading = reloading.catch(() => {}).then(run)
    return reloading
  }

  let watcher: FSWatcher | undefined
  if (options.watch ?? true) {
    let timer: NodeJS.Timeout | undefined
    watcher = watch(join(projectDir, 'amplify'), { recursive: true }, () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        const started = performance.now()
        log('amplify/ changed: synthesizing...')
        reload().then(
          () => log(`Reloaded the backend in ${seconds(started)} s`),
          (error: Error) => log(`${error.message}\nStill serving the last good backend.`),
        )
      }, 250)
    })
  }

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
    adminCredentialsPath: sandboxIam.admin.file,
    reusedSynth: first.reused,
    summary: () => running.flatMap(([, service]) => service.summary?.() ?? []),
    reload,
    close() {
      closed ??= (async () => {
        watcher?.close()
        await reloading.catch(() => {})
        await closeServices()
        await closePorts()
        await sandboxIam.close()
      })()
      return closed
    },
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1)
}
