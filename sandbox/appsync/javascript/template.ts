/**
 * An APPSYNC_JS handler (`request` or `response` of one code file) in the shape the simulator's
 * unit and pipeline resolvers expect of a mapping template: `render(values, context, info)` gives
 * `{ result, stash, args, errors, isReturn, hadException }`. So JavaScript resolvers and functions,
 * mixed with the VTL ones Amplify generates (authorization steps, Lambda invocations), run through
 * the simulator's own pipeline with its data sources, as AppSync runs them:
 * - the handler's return value is the request to the data source (`request`), or the step's result
 *   (`response`);
 * - `util.error` ends the step and the field with that error; `util.appendError` adds one and goes on;
 *   `util.unauthorized()` fails the field as AppSync's authorization does;
 * - `runtime.earlyReturn(value)` skips the data source and the response handler (`skipTo: 'END'`:
 *   the rest of the pipeline too, the resolver's response handler included);
 * - an exception or a timeout fails the field with AppSync's `Code` error and stops the pipeline;
 * - `console.log` lines go to the sandbox's log, as AppSync sends them to the API's.
 */
import { TemplateSentError, Unauthorized } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/errors'
import { createInfo } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/info'
import type { GraphQLResolveInfo } from 'graphql'
import { appSyncAuthType, appSyncIdentity, appSyncRequest } from '../identity'
import type { LocalExecutionContext } from '../simulator'
import type { HandlerName, ResolverCode, SentError } from './evaluate'

/** What the simulator's resolvers pass to a template. */
export interface RenderValues {
  source?: unknown
  arguments?: Record<string, unknown>
  stash?: Record<string, unknown>
  prevResult?: unknown
  result?: unknown
  error?: { message?: string, type?: string, extensions?: { errorType?: string } } | null
}

export interface RenderResult {
  result: unknown
  stash: Record<string, unknown>
  args: Record<string, unknown>
  errors: unknown[]
  isReturn: boolean
  hadException: boolean
}

export class JavaScriptTemplate {
  constructor(
    private readonly code: () => ResolverCode,
    private readonly handler: HandlerName,
    /** Whether user pools are the API's default mode (AppSync then names `defaultAuthStrategy`). */
    private readonly userPoolsIsDefault: () => boolean,
    /** Where the handler's `console.*` lines go, prefixed with the field. */
    private readonly log: (line: string) => void = () => {},
  ) {}

  render(values: RenderValues, context: LocalExecutionContext, info: GraphQLResolveInfo): RenderResult {
    const ctx: Record<string, unknown> = {
      arguments: values.arguments ?? {},
      identity: appSyncIdentity(context, this.userPoolsIsDefault()),
      source: values.source ?? null,
      stash: values.stash ?? {},
      ...(values.prevResult === undefined ? {} : { prev: { result: values.prevResult } }),
      ...(this.handler === 'response' ? { result: values.result ?? null } : {}),
      ...(values.error ? { error: { message: values.error.message ?? String(values.error), type: values.error.type ?? values.error.extensions?.errorType ?? 'UnknownErrorType' } } : {}),
      info: { ...createInfo(info), parentTypeName: info.parentType.name },
      request: appSyncRequest(context),
    }
    const outcome = this.code().run({ handler: this.handler, ctx, authType: appSyncAuthType(context) })
    for (const line of outcome.logs) this.log(`[${info.parentType.name}.${info.fieldName}] ${line}`)
    const errors: unknown[] = outcome.errors.map(error => sentError(error, info))
    const done = (result: unknown, flags: { isReturn?: boolean, hadException?: boolean } = {}): RenderResult => ({
      result,
      stash: outcome.stash,
      args: outcome.args,
      errors,
      isReturn: flags.isReturn ?? false,
      hadException: flags.hadException ?? false,
    })
    switch (outcome.kind) {
      case 'return':
        return done(this.handler === 'request' ? asDataSourceRequest(outcome.value) : (outcome.value ?? null))
      case 'early':
        return done(outcome.value ?? null, { isReturn: true, hadException: outcome.skipTo === 'END' })
      case 'error':
        errors.push(sentError(outcome.error, info))
        return done(null, { hadException: true })
      case 'unauthorized':
        errors.push(unauthorized(info))
        return done(null, { hadException: true })
      case 'failure':
        errors.push(new TemplateSentError(outcome.message, 'Code', null, null, info))
        return done(null, { hadException: true })
    }
  }
}

function sentError(error: SentError, info: GraphQLResolveInfo): TemplateSentError {
  return new TemplateSentError(error.message, error.type as string, error.data ?? null, error.errorInfo ?? null, info)
}

/** What AppSync says, as ../simulator.ts makes `$util.unauthorized()` say it. */
function unauthorized(info: GraphQLResolveInfo): Unauthorized {
  const error = new Unauthorized(`Not Authorized to access ${info.fieldName} on type ${info.parentType.name}`, info)
  error.data = error.extensions.data = null
  error.errorInfo = error.extensions.errorInfo = null
  return error
}

/**
 * The simulator's unit resolvers hand data-source errors to the response handler (`ctx.error`) only
 * for requests of version 2018-05-29; JavaScript requests have no version and always work that way.
 * Not enumerable: the data source never sees it.
 */
function asDataSourceRequest(value: unknown): unknown {
  // A handler that returns nothing sends an empty request (a NONE data source then answers null).
  if (value === null || value === undefined) value = {}
  if (typeof value === 'object' && !Array.isArray(value) && !('version' in (value as object))) Object.defineProperty(value, 'version', { value: '2018-05-29', enumerable: false })
  return value
}
