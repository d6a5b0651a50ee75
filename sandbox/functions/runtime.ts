/**
 * A local stand-in for the AWS Lambda Node.js runtime: invokes a function's bundled handler (what
 * `defineFunction` / CDK's NodejsFunction produced at synth) the way Lambda does, as far as a
 * developer can tell. Each function runs in child processes of its own (execution-environment.ts,
 * runner.mjs), never in the sandbox's: a crash, `process.exit`, an endless loop or a blown heap
 * ends that process only, and the next invocation starts a fresh one (a cold start). A process
 * stays warm between invocations of the same configuration (module state persists), serves one
 * invocation at a time, and concurrent invocations get more processes, up to a bound per function,
 * then wait their turn. Idle processes end after a while, as Lambda reclaims environments.
 *
 * Results and errors have Lambda's shapes: a handler's error is `{ errorType, errorMessage, trace }`
 * (its name, message and stack lines; a thrown non-Error is reported by its type, e.g. 'string');
 * `Runtime.HandlerNotFound`, `Runtime.ImportModuleError`, `Runtime.UserCodeSyntaxError` from loading;
 * `Runtime.UnhandledPromiseRejection`; `Runtime.ExitError` ("RequestId: <id> Error: Runtime exited
 * with error: exit status 1" / "signal: killed") when the process dies; `Sandbox.Timedout`
 * ("<ISO date> <id> Task timed out after 3.00 seconds") when the time runs out, the process then
 * being killed; `Runtime.OutOfMemory` ("... Runtime exited with error: signal: killed", what Lambda
 * shows) when the V8 heap, capped at the function's memory, is exhausted (memory outside the heap,
 * such as Buffers, is not capped here as Lambda caps it). The Invoke API's own limits are answered
 * as its errors would be, without running anything: a request payload over 6 MB is
 * `RequestEntityTooLargeException`, one JSON cannot express `InvalidRequestContentException`; a
 * response over the limit is `Function.ResponseSizeTooLarge`. Payloads travel as JSON both ways,
 * so a handler returning `undefined` answers `null`.
 *
 * Everything a handler writes reaches `log` one whole line at a time as `[<name>] <line>` (all of
 * an invocation's lines before its result is returned), then, for an invocation that failed, timed
 * out or took a second or more, one `[<name>] REPORT <requestId> <ms> ms` line: its duration without
 * the cold start, unless the cold start is what failed. A quick success adds no line of its own.
 * A process that dies between invocations logs `[<name>] Error: Runtime exited with error: ...`;
 * one ended by the runtime (close, reload, idle) or stopped with its sandbox by Ctrl-C logs nothing.
 *
 * Unlike Lambda, an idle process is not frozen: its timers keep running between invocations.
 */
import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ExecutionEnvironment } from './execution-environment'

export interface LambdaFunctionConfig {
  /** Amplify's friendly name (e.g. 'pre-sign-up'): prefixes log lines and appears in errors. */
  name: string
  /** CFN FunctionName-equivalent, for context.functionName and AWS_LAMBDA_FUNCTION_NAME. */
  functionName: string
  /** Folder with the bundle (e.g. .../asset.<hash>/), and the handler, e.g. 'index.handler'. */
  codeDir: string
  handler: string
  /** Lambda's default is 3. */
  timeoutSeconds: number
  /** Lambda's default is 128, Gen 2's 512; the handler process's V8 heap is capped at it. */
  memoryMB: number
  /**
   * The handler process's whole environment (function variables, AWS_REGION, credentials,
   * AWS_ENDPOINT_URL_*, NODE_EXTRA_CA_CERTS ...). Lambda's own variables are added
   * (AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION,
   * AWS_LAMBDA_LOG_GROUP_NAME / _STREAM_NAME, AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, _HANDLER) and
   * TZ=':UTC', AWS_DEFAULT_REGION, NODE_PATH and AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
   * where unset; of the sandbox's own environment only PATH and HOME are passed on. AWS_ACCOUNT_ID,
   * if set, goes into the invoked function's ARN.
   */
  env: Record<string, string>
  /** Where bare imports the bundle left external (`@aws-sdk/*`, which Lambda's runtime provides) resolve from: the project's folder. */
  resolveFrom: string
}

export interface LambdaError {
  errorType: string
  errorMessage: string
  trace?: string[]
}

export type InvokeResult
  = | { ok: true, payload: unknown, durationMs: number }
    | { ok: false, error: LambdaError, durationMs: number }

export interface LambdaRuntime {
  /**
   * RequestResponse: resolves with what the handler returned (or its error, shaped as Lambda reports it). Never rejects for handler faults; rejects once the runtime is closed.
   * `onLog` gets each line the invocation logs (without the `[<name>]` prefix `log` has), all of them before the result.
   */
  invoke(config: LambdaFunctionConfig, event: unknown, options?: { requestId?: string, onLog?: (line: string) => void }): Promise<InvokeResult>
  /** Drops warm processes of functions whose config or code changed or that were removed (call with the current set after a reload). Invocations in progress finish first. */
  retain(configs: readonly LambdaFunctionConfig[]): Promise<void>
  /** Ends every process (invocations in progress get `Runtime.ExitError`) and settles when they are gone. */
  close(): Promise<void>
}

export interface LambdaRuntimeOptions {
  log: (line: string) => void
  /** How long a warm process waits for its next invocation before it is ended; default 5 minutes. */
  idleTimeoutMs?: number
  /** Processes per function configuration; more concurrent invocations wait. Default 4. */
  maxProcessesPerFunction?: number
}

/** The Invoke API's limit on a synchronous request's payload. */
const REQUEST_LIMIT = 6 * 1024 * 1024

/** The processes of one function configuration. */
interface Pool {
  config: LambdaFunctionConfig
  /** The handler file's stamp when the pool's first process loaded it: a rewrite in place also makes it stale. */
  code: Promise<string>
  environments: Set<ExecutionEnvironment>
  /** Most recently used last: it is the one reused, the others idle out. */
  idle: ExecutionEnvironment[]
  /** Invocations waiting for a process; given `undefined` when the runtime closes. */
  waiting: Array<(environment: ExecutionEnvironment | undefined) => void>
  retired: boolean
}

/** Everything that makes a process unfit for another configuration. */
function keyOf(config: LambdaFunctionConfig): string {
  const { name, functionName, codeDir, handler, timeoutSeconds, memoryMB, env, resolveFrom } = config
  return JSON.stringify([name, functionName, codeDir, handler, timeoutSeconds, memoryMB, resolveFrom, Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))])
}

/** The handler module's size and mtime, found as runner.mjs finds it; '' when there is none. */
async function codeStamp(config: LambdaFunctionConfig): Promise<string> {
  const dot = config.handler.indexOf('.', config.handler.lastIndexOf('/') + 1)
  const base = resolve(config.codeDir, dot > 0 ? config.handler.slice(0, dot) : config.handler)
  for (const extension of ['', '.js', '.mjs', '.cjs']) {
    const stats = await stat(base + extension).catch(() => undefined)
    if (stats?.isFile()) return `${extension}:${stats.size}:${stats.mtimeMs}`
  }
  return ''
}

const failure = (errorType: string, errorMessage: string): InvokeResult => ({ ok: false, error: { errorType, errorMessage }, durationMs: 0 })

/**
 * One line when functions run here on an older Node.js than their Lambda runtime (e.g. `nodejs22.x`),
 * instead of the AWS SDK's warning in every function process; undefined when there is nothing to say.
 */
export function runtimeVersionNote(runtimes: readonly string[], nodeVersion = process.versions.node): string | undefined {
  const local = Number(nodeVersion.split('.')[0])
  const newest = Math.max(0, ...runtimes.map(runtime => Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? 0)))
  if (newest <= local) return undefined
  // Node.js 20 reached end of life on 2026-04-30 (https://nodejs.org/en/about/previous-releases).
  const endOfLife = local <= 20 ? `; Node ${local} is past end of life` : ''
  return `Functions run on Node ${local} here, Lambda runs them on Node ${newest} (nodejs${newest}.x)${endOfLife}.`
}

export function createLambdaRuntime(options: LambdaRuntimeOptions): LambdaRuntime {
  const { log } = options
  const idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000
  const maxProcesses = options.maxProcessesPerFunction ?? 4
  const pools = new Map<string, Pool>()
  const everyEnvironment = new Set<ExecutionEnvironment>()
  /** Who else hears an environment's lines: the invocation it runs now (one at a time), if it asked. */
  const listeners = new Map<ExecutionEnvironment, { onLog?: (line: string) => void }>()
  const idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>()
  let closed = false

  // Should the sandbox exit without close(), its functions go with it (a busy loop would not notice the IPC channel closing).
  const killAll = () => {
    for (const environment of everyEnvironment) void environment.kill()
  }
  process.once('exit', killAll)

  const closedError = () => new Error('The local Lambda runtime is closed')

  function poolFor(config: LambdaFunctionConfig): Pool {
    const key = keyOf(config)
    let pool = pools.get(key)
    if (!pool) {
      pool = { config, code: codeStamp(config), environments: new Set(), idle: [], waiting: [], retired: false }
      pools.set(key, pool)
    }
    return pool
  }

  function start(pool: Pool): ExecutionEnvironment {
    const listener: { onLog?: (line: string) => void } = {}
    const prefix = `[${pool.config.name}]`
    const environment = new ExecutionEnvironment(pool.config, (line) => {
      log(line)
      listener.onLog?.(line.startsWith(prefix) ? line.slice(prefix.length + 1) : line)
    }, gone => forget(pool, gone))
    listeners.set(environment, listener)
    pool.environments.add(environment)
    everyEnvironment.add(environment)
    return environment
  }

  function forget(pool: Pool, environment: ExecutionEnvironment) {
    clearTimeout(idleTimers.get(environment))
    idleTimers.delete(environment)
    pool.environments.delete(environment)
    pool.idle = pool.idle.filter(other => other !== environment)
    everyEnvironment.delete(environment)
    listeners.delete(environment)
  }

  function acquire(pool: Pool): Promise<ExecutionEnvironment | undefined> | ExecutionEnvironment {
    for (let idle = pool.idle.pop(); idle; idle = pool.idle.pop()) {
      clearTimeout(idleTimers.get(idle))
      idleTimers.delete(idle)
      if (idle.usable) return idle
      // It died while idle and is on its way out: its own exit handling forgets it.
      void idle.kill()
    }
    if (pool.environments.size < maxProcesses) return start(pool)
    return new Promise(resolve => pool.waiting.push(resolve))
  }

  function release(pool: Pool, environment: ExecutionEnvironment, reusable: boolean) {
    if (!reusable) {
      void environment.kill()
      forget(pool, environment)
      const next = pool.waiting.shift()
      if (next) next(start(pool))
      return
    }
    const next = pool.waiting.shift()
    if (next) return next(environment)
    if (pool.retired || closed) {
      void environment.kill()
      return
    }
    pool.idle.push(environment)
    idleTimers.set(environment, setTimeout(() => void environment.kill(), idleTimeoutMs).unref())
  }

  return {
    async invoke(config, event, invokeOptions = {}) {
      if (closed) throw closedError()
      const requestId = invokeOptions.requestId ?? randomUUID()
      let payload: string
      try {
        // An Invoke without a payload reaches the handler as {}.
        payload = JSON.stringify(event) ?? '{}'
      }
      catch {
        return failure('InvalidRequestContentException', 'Could not parse request body into json')
      }
      if (payload.length * 3 > REQUEST_LIMIT && Buffer.byteLength(payload) > REQUEST_LIMIT) {
        return failure('RequestEntityTooLargeException', `Request must be smaller than ${REQUEST_LIMIT} bytes for the InvokeFunction operation`)
      }
      const pool = poolFor(config)
      const environment = await acquire(pool)
      if (!environment) throw closedError()
      const listener = listeners.get(environment)
      if (listener) listener.onLog = invokeOptions.onLog
      const { result, reusable } = await environment.invoke(requestId, payload)
      if (listener) listener.onLog = undefined
      release(pool, environment, reusable)
      return result
    },

    async retain(configs) {
      const wanted = new Set(configs.map(keyOf))
      const stopping: Array<Promise<void>> = []
      for (const [key, pool] of pools) {
        const stale = !wanted.has(key) || (await pool.code) !== (await codeStamp(pool.config))
        if (!stale) continue
        pools.delete(key)
        pool.retired = true
        for (const environment of pool.idle) stopping.push(environment.kill())
      }
      await Promise.all(stopping)
    },

    async close() {
      if (closed) return
      closed = true
      process.off('exit', killAll)
      for (const pool of pools.values()) {
        pool.retired = true
        for (const waiter of pool.waiting.splice(0)) waiter(undefined)
      }
      pools.clear()
      await Promise.all([...everyEnvironment].map(environment => environment.kill()))
    },
  }
}
