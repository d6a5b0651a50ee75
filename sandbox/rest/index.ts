/**
 * The local API Gateway: every REST API (API Gateway v1) of the definition, e.g. the Gen 2 docs'
 * `new RestApi(…)` with Lambda proxy integrations, IAM and Cognito user pool authorization and
 * CORS preflights, served on one port (plain HTTP, 127.0.0.1) at
 * `http://127.0.0.1:<port>/<rest api id>/<stage>/<path>` (./urls.ts), which the outputs give the
 * app in place of the cloud's URL. The port is taken only once the backend has a REST API: a
 * backend without one (and a test sandbox on free ports) never needs it. Functions run in the sandbox's functions service; signatures
 * and policies are the sandbox's IAM's; tokens are the local user pool's.
 */
import { createServer } from 'node:http'
import type { CloudAssembly } from '../assembly'
import { answerMalformedRequests } from '../core/http'
import type { InvokeResult } from '../functions'
import type { Iam } from '../iam'
import type { RequestLog } from '../core/requests'
import type { BoundPort } from '../core/port'
import type { UserPool } from '../core/types'
import { createRestHandler } from './http'
import { restApiSettings, type RestApiSettings } from './settings'
import { localStageUrl } from './urls'

export type { RestApiSettings } from './settings'

export interface StartRestApisOptions {
  assembly: CloudAssembly
  /** Binds the REST port: called once the backend has a REST API. */
  bind: () => Promise<BoundPort>
  iam: Iam
  /** The user pool's verifier, for Cognito user pool authorizers. */
  verifyToken: UserPool['verifyToken']
  /** Runs a function of the backend by ARN (sandbox/functions); called only once requests come in. */
  invoke: (functionArn: string, event: unknown) => Promise<InvokeResult>
  /** Failures of functions and integrations, one line each (API Gateway writes them to its execution log). */
  log?: (line: string) => void
  /** Where each call's caller, route and outcome are recorded. */
  requests?: RequestLog
}

export interface LocalRestApis {
  /**
   * `http://127.0.0.1:<port>`, without a trailing slash; undefined while the backend has no REST
   * API (the port is taken only once there is one to serve).
   */
  readonly endpoint: string | undefined
  /** The APIs served now. */
  readonly apis: readonly RestApiSettings[]
  /** The local URL of a stage: `http://127.0.0.1:<port>/<api id>/<stage>/`. */
  url(apiId: string, stage: string): string
  /** Serves a new backend definition's APIs (listening from now on if it is the first to have one). */
  reload(assembly: CloudAssembly): Promise<void>
  close(): Promise<void>
}

export async function startRestApis(options: StartRestApisOptions): Promise<LocalRestApis> {
  const log = options.log ?? (() => {})
  const { region, accountId, userPoolId } = options.assembly.ids
  let apis = new Map<string, RestApiSettings>()

  const server = createServer(createRestHandler({
    region,
    accountId,
    iam: options.iam,
    verifyToken: options.verifyToken,
    userPoolArn: `arn:aws:cognito-idp:${region}:${accountId}:userpool/${userPoolId}`,
    api: id => apis.get(id),
    invoke: options.invoke,
    log,
    requests: options.requests,
  }))
  answerMalformedRequests(server)
  let endpoint: string | undefined
  let port: BoundPort | undefined
  const listen = async () => {
    port = await options.bind()
    port.observe(server)
    port.serve(socket => server.emit('connection', socket))
    endpoint = `http://${port.host}:${port.port}`
  }
  const apply = async (assembly: CloudAssembly) => {
    const next = restApiSettings(assembly)
    if (next.length && !endpoint) await listen()
    apis = new Map(next.map(api => [api.id, api]))
  }
  await apply(options.assembly)

  let closing: Promise<void> | undefined
  return {
    get endpoint() {
      return endpoint
    },
    get apis() {
      return [...apis.values()]
    },
    url: (apiId, stage) => localStageUrl(endpoint ?? '', apiId, stage),
    reload: apply,
    close() {
      closing ??= (async () => {
        server.closeAllConnections()
        await port?.close()
      })()
      return closing
    },
  }
}
