/**
 * The offline sandbox: the project's real `amplify/` backend, synthesized and served locally by a
 * Cognito-compatible user pool and an AppSync-compatible GraphQL API, with `amplify_outputs.json`
 * pointing the unchanged `aws-amplify` client at them.
 */
import { randomInt } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { startDataApi } from './appsync'
import { readJsonIfExists, writeAtomically } from './fs'
import { createUserPool } from './cognito'
import { assertOutputsReplaceable, generateOutputs, writeOutputs } from './outputs'
import { readAssembly, synthesize, userPoolSettings, type CloudAssembly } from './synth'
import { loadOrCreateCertificate } from './tls'
import type { DataApi, SandboxMessage, UserPool } from './types'

export interface SandboxOptions {
  /** The project root: holds `amplify/`; default `process.cwd()`. */
  projectDir?: string
  /** Where users, items, keys and the synthesized backend live; default `<projectDir>/.amplify/sandbox`. */
  dataDir?: string
  /** Default `<projectDir>/amplify_outputs.json`. */
  outputsPath?: string
  host?: string
  /** 0 picks a free port. */
  authPort?: number
  dataPort?: number
  /** Wipe users and items first. */
  reset?: boolean
  /** Re-synthesize and reload when `amplify/` changes (default true). */
  watch?: boolean
  log?: (line: string) => void
  onMessage?: (message: SandboxMessage) => void
}

export interface Sandbox {
  readonly userPoolEndpoint: string
  readonly graphqlUrl: string
  readonly messagesUrl: string
  readonly outputsPath: string
  readonly outputs: Record<string, unknown>
  readonly dataDir: string
  readonly certificatePath: string
  readonly userPool: UserPool
  /** Re-synthesizes `amplify/` and reloads; rejects (and keeps serving the last good backend) on error. */
  reload(): Promise<void>
  close(): Promise<void>
}

export const DEFAULT_AUTH_PORT = 20001
export const DEFAULT_DATA_PORT = 20002

interface SandboxIds {
  region: string
  userPoolId: string
  clientId: string
  apiId: string
}

function randomId(length: number, alphabet: string): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')
}

/** Ids shaped as AWS's (so `aws-jwt-verify` accepts them), made once per sandbox and kept. */
async function loadOrCreateIds(dataDir: string): Promise<SandboxIds> {
  const file = join(dataDir, 'sandbox.json')
  const kept = await readJsonIfExists<SandboxIds>(file)
  if (kept) return kept
  const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const ids: SandboxIds = {
    region: 'us-east-1',
    userPoolId: `us-east-1_${randomId(9, `${lower}ABCDEFGHIJKLMNOPQRSTUVWXYZ`)}`,
    clientId: randomId(26, lower),
    apiId: randomId(26, lower),
  }
  await writeAtomically(file, `${JSON.stringify(ids, null, 2)}\n`, 0o644)
  return ids
}

/** A start-up failure the user can act on: the CLI prints its message alone. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError'
}

function portError(error: unknown, port: number, what: 'auth' | 'data'): unknown {
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
    // The certificate stays: a browser that was told to trust it keeps doing so.
    for (const part of ['userpool', 'data', 'sandbox.json']) await rm(join(dataDir, part), { recursive: true, force: true })
    log(`Reset: wiped users and items in ${relative(projectDir, dataDir) || dataDir}`)
  }
  await mkdir(dataDir, { recursive: true })
  for (const entry of await readdir(dataDir)) {
    if (entry.startsWith('assembly-')) await rm(join(dataDir, entry), { recursive: true, force: true })
  }

  const ids = await loadOrCreateIds(dataDir)
  let synthCount = 0
  const synthNext = async (): Promise<CloudAssembly> => {
    const dir = join(dataDir, `assembly-${Date.now()}-${synthCount++}`)
    try {
      await synthesize(projectDir, dir)
      return await readAssembly(dir)
    }
    catch (error) {
      await rm(dir, { recursive: true, force: true })
      throw error
    }
  }

  const [assemblyFirst, tls] = await Promise.all([synthNext(), loadOrCreateCertificate(join(dataDir, 'tls'))])
  let assembly = assemblyFirst
  const settingsOf = (a: CloudAssembly) => {
    const settings = userPoolSettings(a, ids)
    if (!settings) throw new Error('amplify/backend.ts defines no auth: the offline sandbox needs defineAuth')
    return settings
  }

  const userPool = await createUserPool({
    dir: join(dataDir, 'userpool'),
    settings: settingsOf(assembly),
    onMessage: options.onMessage,
  })
  const authServer = createServer((req, res) => userPool.handle(req, res))
  let dataApi: DataApi | undefined
  try {
    await listen(authServer, host, options.authPort ?? DEFAULT_AUTH_PORT)
    const dataPort = options.dataPort ?? DEFAULT_DATA_PORT
    dataApi = await startDataApi({
      assemblyDir: assembly.dir,
      dir: join(dataDir, 'data'),
      host,
      port: dataPort,
      tls: { key: tls.key, cert: tls.cert },
      // AppSync checks signature, issuer and expiry but not revocation: a signed-out user's access
      // token keeps working there until it expires (aws/aws-appsync-community#298). So here too.
      verifyToken: (token, use) => userPool.verifyToken(token, use, { checkRevocation: false }),
      region: ids.region,
      log,
    }).catch((error: unknown) => {
      throw portError(error, dataPort, 'data')
    })
  }
  catch (error) {
    authServer.close()
    await userPool.close()
    throw error
  }
  const data = dataApi
  const userPoolEndpoint = `http://${host}:${(authServer.address() as AddressInfo).port}`
  const local = { ...ids, graphqlUrl: data.url }
  const sandboxOutputs = {
    userPoolEndpoint,
    messagesUrl: `${userPoolEndpoint}/__sandbox/messages`,
    certificatePath: tls.certPath,
  }
  let outputs = await generateOutputs(assembly, local, sandboxOutputs)
  await writeOutputs(outputsPath, outputs)

  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    const run = async () => {
      const next = await synthNext()
      try {
        const settings = settingsOf(next)
        const nextOutputs = await generateOutputs(next, local, sandboxOutputs)
        await data.reload(next.dir)
        userPool.updateSettings(settings)
        await writeOutputs(outputsPath, nextOutputs)
        outputs = nextOutputs
      }
      catch (error) {
        await rm(next.dir, { recursive: true, force: true })
        throw error
      }
      const previous = assembly
      assembly = next
      await rm(previous.dir, { recursive: true, force: true })
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
          () => log(`Reloaded the backend in ${((performance.now() - started) / 1000).toFixed(1)} s`),
          (error: Error) => log(`${error.message}\nStill serving the last good backend.`),
        )
      }, 250)
    })
  }

  let closed: Promise<void> | undefined
  return {
    userPoolEndpoint,
    graphqlUrl: data.url,
    messagesUrl: sandboxOutputs.messagesUrl,
    outputsPath,
    get outputs() {
      return outputs
    },
    dataDir,
    certificatePath: tls.certPath,
    userPool,
    reload,
    close() {
      closed ??= (async () => {
        watcher?.close()
        await reloading.catch(() => {})
        await new Promise<void>((resolve) => {
          authServer.close(() => resolve())
          authServer.closeAllConnections()
        })
        await Promise.all([userPool.close(), data.close()])
      })()
      return closed
    },
  }
}
