/**
 * AWS_LAMBDA data sources (`a.handler.function`): the request Amplify's generated template builds
 * (`{ operation: 'Invoke', payload, invocationType }`) runs the backend's function locally
 * (../functions) through an invoker the orchestrator sets once the functions run (they start
 * after the data API, whose URL they are given). As AppSync does:
 * - `RequestResponse` answers with what the function returned; any failure of the function (a
 *   throw, a crash, a timeout) becomes `ctx.error` of type `Lambda:Unhandled` with Lambda's
 *   `errorMessage`, which Amplify's response template raises as the field's error;
 * - `Event` (`.async()`) starts the function and answers at once (the template then says
 *   `{ success: true }`); a failure later is logged once (Lambda would retry it twice, in minutes).
 */
import type { InvokeResult } from '../functions/runtime'
import type { FunctionInvoker } from '../core/types'

export interface LocalLambdaDataSourceConfig {
  name: string
  type: 'AWS_LAMBDA'
  /** The function's ARN as the assembly evaluates it. */
  functionArn: string
  /** The invoker in force; undefined until the functions run. */
  invoker: () => FunctionInvoker | undefined
  /** Where a failed Event invocation is reported (nobody waits for its result). */
  log: (line: string) => void
}

/** Lambda's limit on an Event invocation's payload (a synchronous one may have 6 MB). */
const EVENT_PAYLOAD_LIMIT = 256 * 1024

interface InvokeRequest {
  operation?: string
  payload?: unknown
  invocationType?: string
}

/** An error as the simulator hands it to the response template (`$ctx.error.message`, `$ctx.error.type`). */
function dataSourceError(type: string, message: string): Error {
  return Object.assign(new Error(message), { type, extensions: { errorType: type } })
}

/** What the function did wrong is `Lambda:Unhandled`; the Invoke API's own refusals keep their exception's name. */
function lambdaError(error: Extract<InvokeResult, { ok: false }>['error']): Error {
  return dataSourceError(/Exception$/.test(error.errorType) ? `Lambda:${error.errorType}` : 'Lambda:Unhandled', error.errorMessage)
}

export class LocalLambdaDataLoader {
  constructor(private readonly config: LocalLambdaDataSourceConfig) {}

  async load(request: InvokeRequest | null): Promise<unknown> {
    if (request?.operation !== 'Invoke') {
      throw dataSourceError('UnsupportedOperation', `Lambda operation ${String(request?.operation)} is not served by the offline sandbox (only Invoke)`)
    }
    const invoke = this.config.invoker()
    if (!invoke) throw dataSourceError('UnsupportedOperation', `The functions are not running yet: ${this.config.name} cannot be invoked`)
    const payload = request.payload ?? null
    if (request.invocationType === 'Event') {
      const size = Buffer.byteLength(JSON.stringify(payload))
      if (size > EVENT_PAYLOAD_LIMIT) {
        throw dataSourceError('Lambda:RequestEntityTooLargeException', `${size} byte payload is too large for the Event invocation type (limit ${EVENT_PAYLOAD_LIMIT} bytes)`)
      }
      const { functionArn, log } = this.config
      invoke(functionArn, payload).then(
        (result) => {
          if (!result.ok) log(`The Event invocation of ${functionArn} by ${this.config.name} failed: ${result.error.errorType}: ${result.error.errorMessage}`)
        },
        // Only when the sandbox closed under it: nobody left to tell.
        () => {},
      )
      return null
    }
    const result = await invoke(this.config.functionArn, payload)
    if (result.ok) return result.payload
    throw lambdaError(result.error)
  }
}
