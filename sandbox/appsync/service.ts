/**
 * The data API (AppSync) as a service of the sandbox, on a port of its own that speaks plain HTTP
 * (queries and mutations) and TLS (the realtime `wss://` endpoint). Its code (the AppSync simulator,
 * graphql, the local DynamoDB) takes about a second to load: `prepare` starts that while synth runs.
 */
import type { RunningService, Service } from '../core/service'
import type { DataApi } from '../core/types'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { GraphQLResponse } from './execute'
import { DATA_RESOURCE_TYPES, dataApiUnserved } from './unserved'

export interface RunningDataApi extends RunningService {
  readonly api: DataApi
  /** `http://127.0.0.1:<port>/graphql`. */
  readonly url: string
  /** Runs a query or mutation in-process as the sandbox's admin IAM principal: what the console's Data panel edits through. */
  execute(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>
  /** The local DynamoDB's client (snapshots dump and restore the tables through it). */
  readonly dynamo: DynamoDBClient
}

let loading: Promise<typeof import('./index')> | undefined
const load = () => (loading ??= import('./index'))

export const dataApiService: Service<'data', RunningDataApi> = {
  name: 'data',
  port: { name: 'data', default: 20002, serves: 'GraphQL' },
  folder: 'data',
  resourceTypes: DATA_RESOURCE_TYPES,
  unserved: dataApiUnserved,
  prepare() {
    // Awaited in start; a start that fails before then reports its own error, not this one unhandled.
    load().catch(() => {})
  },
  async start(context) {
    const { startDataApi } = await load()
    const userPool = context.service('auth').pool
    const api = await startDataApi({
      assembly: context.assembly,
      dir: context.dir,
      port: context.port!,
      tls: context.tls,
      // AppSync checks signature, issuer and expiry but not revocation: a signed-out user's access
      // token keeps working there until it expires (aws/aws-appsync-community#298). So here too.
      verifyToken: (token, use) => userPool.verifyToken(token, use, { checkRevocation: false }),
      iam: context.iam,
      requests: context.requests,
      log: context.log,
    })
    api.setFunctionInvoker(context.invoke)
    const realtime = api.url.replace(/^http:/, 'wss:').replace(/\/graphql$/, '/graphql/realtime')
    return {
      api,
      url: api.url,
      execute: (query, variables) => api.execute({ mode: 'AWS_IAM', principal: context.iam.adminPrincipal }, query, variables),
      dynamo: api.dynamo,
      outputs: () => ({ graphqlUrl: api.url, apiKey: api.apiKey }),
      summary: () => [
        `  GraphQL    ${api.url}`,
        `  Realtime   ${realtime}  (self-signed: ${context.show(context.tls.certPath)}; browsers: npm run sandbox:trust)`,
      ],
      reload: assembly => api.reload(assembly),
      close: () => api.close(),
    }
  },
}
