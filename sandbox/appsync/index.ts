/**
 * The local AppSync API: the synthesized schema and resolvers (VTL, and APPSYNC_JS through
 * ./javascript/) executed by `@aws-amplify/amplify-appsync-simulator` on dynalite, with Lambda data
 * sources run by the sandbox's local functions (./lambda.ts), behind one port that speaks plain HTTP for
 * queries and mutations and TLS for the realtime endpoint. Every caller is authenticated first
 * (./auth.ts): user pool tokens by the user pool, SigV4 by the sandbox's IAM, API keys against the
 * API's own key (./api-key.ts).
 */
import { join } from 'node:path'
import type { CloudAssembly } from '../assembly'
import { parseUrl } from '../core/http'
import type { RequestLog } from '../core/requests'
import type { DataApi, FunctionInvoker, StartDataApiOptions } from '../core/types'
import { deployApiKey, type ApiKey } from './api-key'
import type { AuthModes, Authenticator, Caller } from './auth'
import { loadApiDefinition, toSimulatorConfig, type ApiDefinition } from './definition'
import type { GraphQLResponse } from './execute'
import { NO_RULES, readAuthRules, type AuthRules } from './explain'
import { GRAPHQL_PATH, createGraphqlHandler, executeAs } from './http'
import { serveDualProtocol } from '../core/listener'
import { REALTIME_PATH, RealtimeServer } from './realtime'
import { LocalSimulator } from './simulator'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ensureTables, startLocalDynamo } from './dynamodb'

export { loadApiDefinition, type ApiDefinition } from './definition'

export interface LocalDataApi extends DataApi {
  /** The local DynamoDB's client: what a snapshot dumps and restores the tables through. */
  readonly dynamo: DynamoDBClient
  /** Runs a query or mutation in-process as `caller` (./http.ts `executeAs`). */
  execute(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>
}

/** `requests`: where each request's caller, operation and outcome are recorded. */
export async function startDataApi(opts: StartDataApiOptions & { requests?: RequestLog }): Promise<LocalDataApi> {
  const log = opts.log ?? (() => {})
  // The region the sandbox's ids name; the local DynamoDB client signs for it.
  const region = opts.assembly.ids.region
  const dynamo = await startLocalDynamo(join(opts.dir, 'dynamodb'), region)
  const simulator = new LocalSimulator({ log })
  let modes: AuthModes
  let apiKey: ApiKey | undefined
  let rules: AuthRules = NO_RULES
  let expiryReported: string | undefined
  // Set by the orchestrator once the functions run; Lambda data sources read it per call.
  let functionInvoker: FunctionInvoker | undefined
  const auth: Authenticator = {
    modes: () => modes,
    verifyToken: opts.verifyToken,
    iam: opts.iam,
    apiKey: () => apiKey,
    onExpiredApiKey(key) {
      if (expiryReported === key.expiresAt) return
      expiryReported = key.expiresAt
      log(`The API key expired on ${key.expiresAt}: requests with it are refused (401), as AppSync refuses them. Save a file in amplify/ or restart the sandbox to deploy again, which extends it by expiresInDays.`)
    },
  }

  /** Loads an assembly into the simulator; on any failure the previous API stays in service. */
  const apply = async (assembly: CloudAssembly): Promise<ApiDefinition> => {
    const api = await loadApiDefinition(assembly)
    // Creating tables first is safe either way: tables are only ever added or updated in place.
    const tables = await ensureTables(dynamo.client, api.tables, log)
    if (tables.created.length) log(`Created tables ${tables.created.join(', ')}`)
    // Every start and reload deploys the key as `ampx sandbox` does: made once, its expiry renewed.
    // Before the new API is served: a key lifetime AppSync would refuse fails the load.
    const deployed = await deployApiKey(opts.dir, api.apiKey)
    // Only the request log reads them, to explain refusals: a backend without the asset has none.
    const nextRules = readAuthRules(await assembly.modelSchema().catch(() => ''))
    simulator.load(toSimulatorConfig(api, { endpoint: dynamo.endpoint, region, client: dynamo.dispatch, invoker: () => functionInvoker, log }))
    modes = { defaultAuthentication: api.defaultAuthentication, additionalAuthentication: api.additionalAuthentication }
    apiKey = deployed.key
    rules = nextRules
    for (const note of deployed.notes) log(note)
    return api
  }

  let server: ReturnType<typeof serveDualProtocol> | undefined
  let realtime: RealtimeServer | undefined
  try {
    const api = await apply(opts.assembly)
    // The API id is the sandbox's and stays the same across reloads.
    const handlerOptions = { simulator, auth, apiArn: `arn:aws:appsync:${region}:${api.accountId}:apis/${api.apiId}`, requests: opts.requests, rules: () => rules }
    realtime = new RealtimeServer(handlerOptions)
    const realtimeServer = realtime
    server = serveDualProtocol(opts.port, {
      tls: opts.tls,
      onRequest: createGraphqlHandler(handlerOptions),
      onUpgrade: (request, socket, head) => {
        if (parseUrl(request.url).pathname === REALTIME_PATH) realtimeServer.handleUpgrade(request, socket, head)
        else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
      },
    })
    const url = `http://${opts.port.host}:${opts.port.port}${GRAPHQL_PATH}`

    let reloading = Promise.resolve()
    let closing: Promise<void> | undefined
    return {
      url,
      get apiKey() {
        return apiKey?.value
      },
      reload(assembly: CloudAssembly) {
        // One reload at a time: two interleaved table migrations could copy half-moved items.
        const next = reloading.then(async () => {
          if (closing) throw new Error('The data API is closed')
          await apply(assembly)
        })
        reloading = next.catch(() => {})
        return next
      },
      setFunctionInvoker(invoke) {
        functionInvoker = invoke
      },
      execute: (caller, query, variables) => executeAs(handlerOptions, caller, query, variables),
      dynamo: dynamo.client,
      close() {
        closing ??= (async () => {
          await reloading
          await realtimeServer.close()
          await server!.close()
          await dynamo.close()
        })()
        return closing
      },
    }
  }
  catch (error) {
    await realtime?.close().catch(() => {})
    await server?.close().catch(() => {})
    await dynamo.close().catch(() => {})
    throw error
  }
}
