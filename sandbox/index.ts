/**
 * The offline sandbox: the project's real `amplify/` backend, synthesized and served locally by a
 * Cognito-compatible user pool and identity pool (one port), an AppSync-compatible GraphQL API,
 * an S3-compatible Storage and an API Gateway-compatible host for REST APIs, with
 * `amplify_outputs.json` pointing the unchanged `aws-amplify` client at them. The sandbox's IAM
 * issues the identity pool's credentials and checks every signed request against the roles and
 * policies the backend synthesizes.
 */
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { CloudAssembly } from './assembly'
import { synthesizeCached } from './assembly/synth'
import { createUserPool } from './cognito'
import { createFunctions, type LocalFunctions } from './functions'
import { createInvokeApi, isLambdaApiRequest } from './functions/invoke-api'
import { userPoolSettings } from './cognito/settings'
import { createIam, type SandboxIam } from './iam'
import { createIdentityPool, identityPoolSettings, isIdentityPoolRequest, type IdentityPool } from './identity'
import { loadOrCreateIds } from './core/ids'
import { unservedFeatures } from './core/unserved'
import { assertOutputsReplaceable, cachedBackendOutputs, preloadOutputsGenerator, withLocalEndpoints, writeOutputs, type LocalEndpoints } from './core/outputs'
import { createParameterStore, isParameterStoreRequest } from './ssm'
import { openSecrets } from './ssm/secrets'
import { startRestApis, type LocalRestApis } from './rest'
import { startStorage, type LocalStorage } from './storage'
import { loadOrCreateCertificate } from './core/tls'
import type { Clock } from './core/clock'
import type { DataApi, SandboxMessage, UserPool } from './core/types'

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
  readonly userPoolEndpoint: string
  /** The same port as the user pool: requests are told apart by their `X-Amz-Target`. */
  readonly identityPoolEndpoint: string
  readonly graphqlUrl: string
  /** `127.0.0.1:<port>` (no scheme): what Storage calls pass as `customEndpoint` (`custom.offlineSandbox.storageEndpoint`). */
  readonly storageEndpoint: string
  readonly storage: LocalStorage
  /**
   * `http://127.0.0.1:<port>`: REST APIs (API Gateway) at `<restEndpoint>/<rest api id>/<stage>/`
   * (`custom.API.<name>.endpoint`); undefined while the backend has none (the port is not taken).
   */
  readonly restEndpoint: string | undefined
  readonly rest: LocalRestApis
  /** The backend's functions, run locally (what triggers invoke). */
  readonly functions: LocalFunctions
  readonly messagesUrl: string
  readonly outputsPath: string
  readonly outputs: Record<string, unknown>
  readonly dataDir: string
  readonly certificatePath: string
  readonly userPool: UserPool
  readonly identityPool: IdentityPool
  readonly iam: SandboxIam
  /** The AWS shared credentials file (profile `amplify-sandbox`) that signs admin requests. */
  readonly adminCredentialsPath: string
  /** True when this start served the last synth again (nothing it depends on changed) instead of running CDK. */
  readonly reusedSynth: boolean
  /** Re-synthesizes `amplify/` and reloads; rejects (and keeps serving the last good backend) on error. */
  reload(): Promise<void>
  close(): Promise<void>
}

export const DEFAULT_AUTH_PORT = 20001
export const DEFAULT_DATA_PORT = 20002
export const DEFAULT_STORAGE_PORT = 20003
export const DEFAULT_REST_PORT = 20004
/** Where in the data folder the admin's AWS shared credentials file lives. */
const ADMIN_CREDENTIALS_FILE = 'admin-credentials'

/** A start-up failure the user can act on: the CLI prints its message alone. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError'
}

export type PortName = 'auth' | 'data' | 'storage' | 'rest'

function portError(error: unknown, port: number, what: PortName): unknown {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ? new SandboxStartError(`Port ${port} (${what}) is in use: is another sandbox running? Pick another with --${what}-port.`)
    : error
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', error => reject(portError(error, port, 'auth')))
    server.listen(port, host, resolve)
  })
  return (server.address() as AddressInfo).port
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const projectDir = options.projectDir ?? process.cwd()
  const dataDir = options.dataDir ?? join(projectDir, '.amplify', 'sandbox')
  const outputsPath = options.outputsPath ?? join(projectDir, 'amplify_outputs.json')
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? (() => {})

  await assertOutputsReplaceable(outputsPath)
  if (options.reset) {
    // The certificate stays: a browser that was told to trust it keeps doing so. The synth cache
    // stays too: it holds no user data.
    // The admin credentials go too: a reset sandbox is a new one, and anything holding the old
    // keys (a script, a shell's AWS_PROFILE) should fail loudly rather than act on it.
    for (const part of ['userpool', 'data', 'identity', 'iam', 'storage', ADMIN_CREDENTIALS_FILE, 'sandbox.json']) await rm(join(dataDir, part), { recursive: true, force: true })
    log(`Reset: wiped users, items, identities, credentials and files in ${relative(projectDir, dataDir) || dataDir}`)
  }
  await mkdir(dataDir, { recursive: true })
  for (const entry of await readdir(dataDir)) {
    // Left by sandboxes from before the synth cache.
    if (entry.startsWith('assembly-')) await rm(join(dataDir, entry), { recursive: true, force: true })
  }
  // About a second of module loading, done while synth runs or the cache is checked.
  const dataModule = import('./appsync')
  // Awaited below; a start that fails before then reports its own error, not this one unhandled.
  dataModule.catch(() => {})

  const ids = await loadOrCreateIds(dataDir)
  const cacheDir = options.synthCacheDir ?? join(dataDir, 'synth-cache')
  const outputsCache = join(cacheDir, 'outputs.json')
  const synth = async (reuse: boolean, keep: string[] = []) => {
    const started = performance.now()
    const { dir, reused } = await synthesizeCached(projectDir, cacheDir, { reuse, keep, log, onSynthesize: preloadOutputsGenerator })
    const synthSeconds = seconds(started)
    const assembly = await CloudAssembly.load(dir, ids)
    const settings = userPoolSettings(assembly)
    if (!settings) throw new Error('amplify/backend.ts defines no auth: the offline sandbox needs defineAuth')
    const identitySettings = identityPoolSettings(assembly)
    // Before any server starts: a backend the generator refuses fails the start cleanly.
    const backendOutputs = (await cachedBackendOutputs(assembly, outputsCache)).outputs
    return { assembly, settings, identitySettings, backendOutputs, reused, synthSeconds }
  }

  const [first, tls] = await Promise.all([synth(true), loadOrCreateCertificate(join(dataDir, 'tls'))])
  log(first.reused ? 'Reused the last synth (amplify/ unchanged)' : `Synthesized amplify/ in ${first.synthSeconds} s`)
  let assembly = first.assembly

  const iam = await createIam({
    dir: join(dataDir, 'iam'),
    adminCredentialsFile: join(dataDir, ADMIN_CREDENTIALS_FILE),
    assembly,
    ids,
  })
  const userPool = await createUserPool({
    dir: join(dataDir, 'userpool'),
    settings: first.settings,
    onMessage: options.onMessage,
    iam,
  })
  let identityPool: IdentityPool | undefined
  let dataApi: DataApi | undefined
  let storageService: LocalStorage | undefined
  let restService: LocalRestApis | undefined
  const parameterStore = createParameterStore({ iam, ids, secrets: openSecrets(dataDir) })
  // Cognito's two services and SSM share the port (functions reach SSM through AWS_ENDPOINT_URL_SSM):
  // the operation's target tells them apart.
  const invokeApi = createInvokeApi(() => lambda, iam)
  const authServer = createServer((req, res) => {
    if (isParameterStoreRequest(req)) return parameterStore.handle(req, res)
    if (isLambdaApiRequest(req)) return invokeApi(req, res)
    return (identityPool && isIdentityPoolRequest(req) ? identityPool : userPool).handle(req, res)
  })
  try {
    identityPool = await createIdentityPool({
      dir: join(dataDir, 'identity'),
      settings: first.identitySettings,
      iam,
      verifyToken: (token, use, verifyOptions) => userPool.verifyToken(token, use, verifyOptions),
    })
    await listen(authServer, host, options.ports?.auth ?? DEFAULT_AUTH_PORT)
    const dataPort = options.ports?.data ?? DEFAULT_DATA_PORT
    const { startDataApi } = await dataModule
    dataApi = await startDataApi({
      assembly,
      dir: join(dataDir, 'data'),
      host,
      port: dataPort,
      tls: { key: tls.key, cert: tls.cert },
      // AppSync checks signature, issuer and expiry but not revocation: a signed-out user's access
      // token keeps working there until it expires (aws/aws-appsync-community#298). So here too.
      verifyToken: (token, use) => userPool.verifyToken(token, use, { checkRevocation: false }),
      iam,
      log,
    }).catch((error: unknown) => {
      throw portError(error, dataPort, 'data')
    })
    const storagePort = options.ports?.storage ?? DEFAULT_STORAGE_PORT
    storageService = await startStorage({
      assembly,
      dir: join(dataDir, 'storage'),
      host,
      port: storagePort,
      tls: { key: tls.key, cert: tls.cert },
      iam,
      log,
    }).catch((error: unknown) => {
      throw portError(error, storagePort, 'storage')
    })
    const restPort = options.ports?.rest ?? DEFAULT_REST_PORT
    restService = await startRestApis({
      assembly,
      host,
      port: restPort,
      iam,
      verifyToken: (token, use, verifyOptions) => userPool.verifyToken(token, use, verifyOptions),
      // Requests come in only once the start is over, and the functions with it.
      invoke: (arn, event) => lambda.invoke(arn, event),
      log,
    }).catch((error: unknown) => {
      throw portError(error, restPort, 'rest')
    })
  }
  catch (error) {
    authServer.close()
    await Promise.all([userPool.close(), identityPool?.close(), dataApi?.close(), storageService?.close(), restService?.close(), iam.close()])
    throw error
  }
  const data = dataApi
  const identity = identityPool
  const storage = storageService
  const rest = restService
  for (const problem of iam.problems) log(`IAM: ${problem}`)
  for (const line of unservedFeatures(assembly)) log(`Not served offline: ${line}`)
  const userPoolEndpoint = `http://${host}:${(authServer.address() as AddressInfo).port}`
  const lambda = createFunctions({
    assembly,
    iam,
    parameters: parameterStore,
    endpoints: { userPoolEndpoint, storageEndpoint: storage.endpoint, graphqlUrl: data.url, certificatePath: tls.certPath },
    projectDir,
    log,
    clock: options.clock,
  })
  // Everything that runs functions (triggers, resolvers, S3 notifications) goes through the one runtime.
  const invoke = lambda.invoke
  userPool.setTriggerInvoker(invoke)
  data.setFunctionInvoker(invoke)
  storage.setFunctionInvoker(invoke)
  const endpoints: LocalEndpoints = {
    graphqlUrl: data.url,
    apiKey: data.apiKey,
    userPoolEndpoint,
    identityPoolEndpoint: userPoolEndpoint,
    messagesUrl: `${userPoolEndpoint}/__sandbox/messages`,
    certificatePath: tls.certPath,
    storageEndpoint: storage.endpoint,
    ...(rest.endpoint ? { restEndpoint: rest.endpoint } : {}),
    restApiIds: rest.apis.map(api => api.id),
  }
  let outputs = withLocalEndpoints(first.backendOutputs, endpoints)
  await writeOutputs(outputsPath, outputs)

  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    const run = async () => {
      // Always a fresh synth (the watcher saw a change); it refreshes the cache for the next start.
      const next = await synth(false, [assembly.dir])
      await data.reload(next.assembly)
      await storage.reload(next.assembly)
      await lambda.reload(next.assembly)
      await rest.reload(next.assembly).catch((error: unknown) => {
        throw portError(error, options.ports?.rest ?? DEFAULT_REST_PORT, 'rest')
      })
      // The data API may have a key now, or none any more; the first REST API opens the REST port.
      endpoints.apiKey = data.apiKey
      if (rest.endpoint) endpoints.restEndpoint = rest.endpoint
      endpoints.restApiIds = rest.apis.map(api => api.id)
      const nextOutputs = withLocalEndpoints(next.backendOutputs, endpoints)
      userPool.updateSettings(next.settings)
      iam.reload(next.assembly)
      identity.updateSettings(next.identitySettings)
      for (const problem of iam.problems) log(`IAM: ${problem}`)
      for (const line of unservedFeatures(next.assembly)) log(`Not served offline: ${line}`)
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
    userPoolEndpoint,
    identityPoolEndpoint: endpoints.identityPoolEndpoint,
    graphqlUrl: data.url,
    storageEndpoint: storage.endpoint,
    storage,
    get restEndpoint() {
      return rest.endpoint
    },
    rest,
    functions: lambda,
    messagesUrl: endpoints.messagesUrl,
    outputsPath,
    get outputs() {
      return outputs
    },
    dataDir,
    certificatePath: tls.certPath,
    userPool,
    identityPool: identity,
    iam,
    adminCredentialsPath: iam.admin.file,
    reusedSynth: first.reused,
    reload,
    close() {
      closed ??= (async () => {
        watcher?.close()
        await reloading.catch(() => {})
        await new Promise<void>((resolve) => {
          authServer.close(() => resolve())
          authServer.closeAllConnections()
        })
        await Promise.all([userPool.close(), identity.close(), data.close(), storage.close(), rest.close(), lambda.close(), iam.close()])
      })()
      return closed
    },
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1)
}
