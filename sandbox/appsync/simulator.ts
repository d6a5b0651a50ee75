/**
 * `@aws-amplify/amplify-appsync-simulator`, adjusted at runtime (node_modules stay untouched) to
 * run what Amplify Gen 2 synthesizes the way AppSync does:
 * - `$extensions.setSubscriptionFilter` and `$util.transform.toSubscriptionFilter` exist (without
 *   them every subscriber gets every user's events;
 *   https://github.com/aws-amplify/amplify-category-api/issues/503);
 * - `$util.unauthorized()` says what AppSync says;
 * - `$ctx.identity` and `$ctx.request` have AppSync's shape (./identity.ts): what a Lambda behind
 *   `a.handler.function` receives in its event;
 * - DynamoDB data sources reach the local DynamoDB in process (./dynamodb.ts), take the typed
 *   values APPSYNC_JS writes, and do not log every failed condition check;
 * - Lambda data sources run the backend's functions locally (./lambda.ts);
 * - APPSYNC_JS resolvers and functions run next to the VTL ones (./javascript/);
 * - data sources it cannot execute (HTTP, OpenSearch, …) fail with a clear error instead of
 *   breaking the whole API;
 * - its Velocity engine behaves as AppSync's where Gen 2's templates need it (./velocity.ts);
 * - its template values and `$util` cost far less to make (./value-mapping.ts).
 */
import './without-cli-core'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  AmplifyAppSyncSimulator,
  VelocityTemplate,
  addDataLoader,
  removeDataLoader,
  type AmplifyAppSyncSimulatorConfig,
} from '@aws-amplify/amplify-appsync-simulator'
import { DynamoDBDataLoader } from '@aws-amplify/amplify-appsync-simulator/lib/data-loader/dynamo-db'
import { Unauthorized } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/errors'
import { map as javaValue } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/value-mapper/mapper'
import type { GraphQLResolveInfo } from 'graphql'
import type { DynamoDispatch } from './dynamodb'
import { parseSubscriptionFilter, toSubscriptionFilter, type SubscriptionFilter } from './filters'
import { appSyncIdentity, appSyncRequest } from './identity'
import { ResolverCode } from './javascript/evaluate'
import { JavaScriptTemplate } from './javascript/template'
import { LocalLambdaDataLoader } from './lambda'
import { toWireRequest } from './typed-values'
import { patchValueMapping } from './value-mapping'
import { patchVelocity } from './velocity'

/** What the simulator builds an IAM caller's `$ctx.identity` from. */
export interface IamIdentity {
  username: string
  userArn: string
  cognitoIdentityPoolId?: string
  cognitoIdentityId?: string
  cognitoIdentityAuthType?: string
  cognitoIdentityAuthProvider?: string
}

/** What the local API puts in the simulator's per-request context (the GraphQL context value). */
export interface LocalExecutionContext {
  /** The verified user-pool claims (user pool callers). */
  jwt?: Record<string, unknown>
  /** The verified IAM caller (AWS_IAM callers). */
  iamToken?: IamIdentity
  /** How the caller authenticated: what `$util.authType()` and the `@aws_*` directives check. */
  requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS' | 'API_KEY' | 'AWS_IAM'
  sourceIp?: string
  headers: Record<string, unknown>
  appsyncErrors: unknown[]
  /** Set by `$extensions.setSubscriptionFilter` while a subscription's resolver runs. */
  subscriptionFilter?: SubscriptionFilter
}

/** The loader type given to data sources the simulator cannot execute. */
export const UNSUPPORTED_DATA_SOURCE = 'OFFLINE_SANDBOX_UNSUPPORTED'

interface RenderContext {
  util: Record<string, unknown> & { errors: unknown[], transform: Record<string, unknown> }
  [key: string]: unknown
}

type BuildRenderContext = (ctxValues: unknown, requestContext: LocalExecutionContext, info?: GraphQLResolveInfo) => RenderContext

interface SimulatorContext {
  appSyncConfig: { defaultAuthenticationType: { authenticationType: string } }
}

const userPoolsIsDefault = (simulator: SimulatorContext) => simulator.appSyncConfig.defaultAuthenticationType.authenticationType === 'AMAZON_COGNITO_USER_POOLS'

const PATCHED = Symbol.for('offline-sandbox.appsync-simulator.patched')

/** Applies the process-wide adjustments once; every simulator instance in the process shares them. */
function patchSimulator(): void {
  const prototype = VelocityTemplate.prototype as unknown as { buildRenderContext: BuildRenderContext, simulatorContext: SimulatorContext, [PATCHED]?: true }
  if (prototype[PATCHED]) return
  prototype[PATCHED] = true
  patchVelocity()
  patchValueMapping()

  // The simulator builds a fresh `$util`/`$ctx` for every template render; extend that object.
  const buildRenderContext = prototype.buildRenderContext
  prototype.buildRenderContext = function (ctxValues, requestContext, info) {
    const context = buildRenderContext.call(this, ctxValues, requestContext, info)
    // `context` and `ctx` are one object.
    const ctx = context.ctx as Record<string, unknown>
    ctx.identity = javaValue(appSyncIdentity(requestContext, userPoolsIsDefault(this.simulatorContext)))
    ctx.request = appSyncRequest(requestContext)
    const util = context.util
    // `transform` is a module-level object in the simulator: copy it rather than mutate it.
    util.transform = { ...util.transform, toSubscriptionFilter }
    util.unauthorized = () => {
      const message = info ? `Not Authorized to access ${info.fieldName} on type ${info.parentType.name}` : 'Not Authorized'
      const error = new Unauthorized(message, info as GraphQLResolveInfo)
      // AppSync sends null, not the simulator's empty objects.
      error.data = error.extensions.data = null
      error.errorInfo = error.extensions.errorInfo = null
      util.errors.push(error)
      throw error
    }
    context.extensions = {
      setSubscriptionFilter(filter: unknown) {
        requestContext.subscriptionFilter = parseSubscriptionFilter(filter)
        return ''
      },
      // Invalidation (closing other users' subscriptions) and the API cache do not exist locally.
      setSubscriptionInvalidationFilter: () => '',
      invalidateSubscriptions: () => '',
      evictFromApiCache: () => '',
    }
    return context
  }

  // The loader registry is keyed by data source type; ours replace the simulator's for DynamoDB.
  removeDataLoader('AMAZON_DYNAMODB' as never)
  addDataLoader('AMAZON_DYNAMODB' as never, LocalDynamoDBDataLoader as never)
  removeDataLoader('AWS_LAMBDA' as never)
  addDataLoader('AWS_LAMBDA' as never, LocalLambdaDataLoader as never)
  addDataLoader(UNSUPPORTED_DATA_SOURCE as never, UnsupportedDataLoader as never)
}

/** Data source config for a DynamoDB table, carrying the shared client. */
export interface LocalDynamoDBDataSourceConfig {
  name: string
  type: 'AMAZON_DYNAMODB'
  config: { endpoint: string, region: string, tableName: string }
  client: DynamoDispatch
}

type DynamoPayload = { operation?: string, [key: string]: unknown }
/** The DynamoDB operations the resolvers use, and the loader method of the simulator's that runs each. */
const LOADER_METHODS = { GetItem: 'getItem', PutItem: 'putItem', UpdateItem: 'updateItem', DeleteItem: 'deleteItem', Query: 'query', Scan: 'scan' } as const
type LoaderMethods = Record<(typeof LOADER_METHODS)[keyof typeof LOADER_METHODS], (payload: DynamoPayload) => Promise<object | null>>

/**
 * The simulator's DynamoDB loader, sending through the sandbox's in-process dispatch instead of
 * the SDK client it makes for itself, and without its console dump of every failed request (a
 * refused update of another user's item is routine).
 */
class LocalDynamoDBDataLoader extends DynamoDBDataLoader {
  constructor(config: LocalDynamoDBDataSourceConfig) {
    super(config as never)
    const self = this as unknown as { client: DynamoDBClient | DynamoDispatch }
    ;(self.client as DynamoDBClient).destroy()
    self.client = config.client
  }

  override async load(payload: DynamoPayload): Promise<object | null> {
    const methods = this as unknown as LoaderMethods
    try {
      if (typeof payload.nextToken === 'string' && !isValidNextToken(payload.nextToken)) {
        throw Object.assign(new Error('Invalid nextToken'), { name: 'ValidationException' })
      }
      const operation = String(payload.operation)
      const method = Object.hasOwn(LOADER_METHODS, operation) ? LOADER_METHODS[operation as keyof typeof LOADER_METHODS] : undefined
      if (!method) throw Object.assign(new Error(`Operation ${operation} is not supported by the offline sandbox`), { name: 'UnsupportedOperation' })
      return await methods[method](toWireRequest(payload))
    }
    catch (error) {
      const e = error as Error & { extensions?: Record<string, unknown> }
      // AppSync reports DynamoDB failures as `DynamoDB:<exception name>`.
      e.extensions = { errorType: `DynamoDB:${e.name || 'DynamoDbException'}` }
      throw e
    }
  }
}

/** The simulator's next tokens are base64 JSON keys; anything else would crash its JSON.parse. */
function isValidNextToken(token: string): boolean {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown
    return key !== null && typeof key === 'object' && !Array.isArray(key)
  }
  catch {
    return false
  }
}

class UnsupportedDataLoader {
  constructor(private readonly config: { name: string }) {}

  async load(): Promise<never> {
    throw Object.assign(new Error(`Data source ${this.config.name} is not served by the offline sandbox`), {
      extensions: { errorType: 'UnsupportedOperation' },
    })
  }
}

/** The simulator's configuration plus the APPSYNC_JS code its resolvers and functions name (`<path>#request`, `<path>#response`). */
export interface LocalSimulatorConfig extends AmplifyAppSyncSimulatorConfig {
  code: Array<{ path: string, code: string }>
}

/**
 * One simulator for the life of the API: `load` swaps schema and resolvers in place, so live
 * subscriptions (which sit on its pub/sub) keep receiving events across reloads.
 */
export class LocalSimulator extends AmplifyAppSyncSimulator {
  /** The JavaScript handlers by template path. */
  private javascript = new Map<string, JavaScriptTemplate>()
  /** Compiled code by its text: kept across reloads that do not change it. */
  private compiled = new Map<string, ResolverCode>()
  /** Where APPSYNC_JS handlers' `console.*` lines go. */
  private readonly log: (line: string) => void

  constructor(options: { log?: (line: string) => void } = {}) {
    patchSimulator()
    // The base class builds an HTTP server of its own; it is never started (ours binds one host).
    super({ port: 0, wsPort: 0 })
    this.log = options.log ?? (() => {})
  }

  /**
   * The events a subscription field follows. The simulator's own version logs a warning per
   * subscriber for every failed mutation (published as null) and then runs the subscription's
   * resolver again for it; null payloads are dropped here instead. Filtering happens in execute.ts.
   */
  override asyncIterator(trigger: string): AsyncIterator<unknown> {
    const source = this.pubsub.asyncIterator<unknown>(trigger)
    const events: AsyncIterableIterator<unknown> = {
      async next() {
        for (;;) {
          const result = await source.next()
          if (result.done || (result.value !== null && result.value !== undefined)) return result
        }
      },
      return: async () => (await source.return?.()) ?? { done: true, value: undefined },
      throw: async (error: unknown) => (await source.throw?.(error)) ?? { done: true, value: undefined },
      [Symbol.asyncIterator]: () => events,
    }
    return events
  }

  /** Applies a new configuration, or throws and keeps serving the previous one. */
  load(config: LocalSimulatorConfig): void {
    const self = this as unknown as { _appSyncConfig: unknown, _config: unknown }
    const previous = { appSync: self._appSyncConfig, config: self._config, javascript: this.javascript, compiled: this.compiled }
    this.compiled = new Map()
    this.javascript = new Map()
    for (const { path, code } of config.code) {
      // Compiled on first use: a context and an esbuild pass per file would slow every start.
      let resolverCode: ResolverCode | undefined
      const get = () => {
        resolverCode ??= this.compiled.get(code) ?? previous.compiled.get(code) ?? ResolverCode.compile(code)
        this.compiled.set(code, resolverCode)
        return resolverCode
      }
      for (const handler of ['request', 'response'] as const) {
        this.javascript.set(`${path}#${handler}`, new JavaScriptTemplate(get, handler, () => userPoolsIsDefault(this as unknown as SimulatorContext), this.log))
      }
    }
    try {
      this.init(config)
    }
    catch (error) {
      // `init` restores schema, resolvers and data sources itself, but not these.
      self._appSyncConfig = previous.appSync
      self._config = previous.config
      this.javascript = previous.javascript
      this.compiled = previous.compiled
      throw error
    }
  }

  override getMappingTemplate(path: string): ReturnType<AmplifyAppSyncSimulator['getMappingTemplate']> {
    return (this.javascript.get(path) as never) ?? super.getMappingTemplate(path)
  }
}
