/**
 * The one shape of a local service (the user pool, the data API, Storage...): what the orchestrator
 * (../index.ts) needs to start, reload and close it, to write its part of `amplify_outputs.json`,
 * to say what of the backend it does not serve, and to make its port's flag. Each service folder
 * exports one such object; ../services.ts lists them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CloudAssembly } from '../assembly'
import type { SandboxIam } from '../iam'
import type { Services } from '../services'
import type { Clock } from './clock'
import type { SandboxIds } from './ids'
import type { LocalEndpoints } from './outputs'
import type { BoundPort, PortName } from './port'
import type { RequestLog } from './requests'
import type { SandboxCertificate } from './tls'
import type { AssemblyReader } from './unserved'
import type { FunctionInvoker, SandboxMessage } from './types'

/** A port of the service's own. */
export interface OwnPort {
  name: PortName
  default: number
  /** What the port serves, for the usage text: "user pool", "GraphQL"... */
  serves: string
  /** Bound only once the backend needs it (`bind` in the context), not at start. */
  lazy?: boolean
}

/** What a started service is asked for; everything but `reload` and `close` is optional. */
export interface RunningService {
  /**
   * Its part of the offline block of `amplify_outputs.json` (`custom.offlineSandbox`), read after
   * every start and reload; a key the block does not know yet goes into it as it is.
   */
  outputs?(): Partial<LocalEndpoints> & Record<string, unknown>
  /** Its lines of the block printed once the sandbox is ready. */
  summary?(): string[]
  /** On a port another service owns: whether a request is this service's. */
  claims?(req: IncomingMessage): boolean
  handle?(req: IncomingMessage, res: ServerResponse): void
  /** Serves a new backend; rejects (keeping the last one) when it cannot. */
  reload(assembly: CloudAssembly): Promise<void>
  close(): Promise<void>
}

export interface ServiceContext {
  assembly: CloudAssembly
  ids: SandboxIds
  projectDir: string
  /** The sandbox's data folder. */
  dataDir: string
  /** This service's folder under it (`<dataDir>/<folder>`; the data folder for a service without one). */
  dir: string
  /** A path as the ready block shows it: relative to the project. */
  show(path: string): string
  host: string
  tls: SandboxCertificate
  iam: SandboxIam
  /** Where the service records what it decided about each request (the console's Requests panel). */
  requests: RequestLog
  log: (line: string) => void
  onMessage?: (message: SandboxMessage) => void
  clock?: Clock
  /** Its own port, bound before synth; undefined for a lazy port or a service without one. */
  port?: BoundPort
  /** Binds its lazy port (once; later calls return the same). */
  bind(): Promise<BoundPort>
  /** A service started before this one (the list's order is the start order). */
  service<N extends keyof Services>(name: N): Services[N]
  /** The services on a port this service owns, for requests they claim. */
  sharers(): RunningService[]
  /** Runs a backend function; valid once the whole sandbox has started. */
  invoke: FunctionInvoker
}

export interface Service<Name extends string = string, Running extends RunningService = RunningService> {
  readonly name: Name
  /** Its own port, or the one it shares (told apart by what each service `claims`). */
  readonly port?: OwnPort | { shares: PortName }
  /** Its folder in the data folder, wiped by `--reset`; none for a service that keeps nothing. */
  readonly folder?: string
  /** Resource types it serves or judges in `unserved`: never listed as "other resources". */
  readonly resourceTypes: readonly string[]
  /** One line per thing of the backend it does not serve, saying what the app sees instead. */
  unserved?(reader: AssemblyReader): string[]
  /** Starts loading its code, while synth runs. */
  prepare?(): void
  start(context: ServiceContext): Promise<Running>
}
