/**
 * One local Lambda execution environment: a node child process running runner.mjs for one function
 * configuration, with Lambda's environment variables and nothing of the sandbox's own, its heap
 * capped at the function's memory. It runs one invocation at a time, turns the process's output into
 * whole log lines prefixed with the function's name, stops an invocation that runs out of time, and
 * reports the process's death (exit, crash, out of memory, killed on timeout) as Lambda reports it.
 * Which environment serves which invocation is runtime.ts's business.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { InvokeResult, LambdaError, LambdaFunctionConfig } from './runtime'

/** An invocation at least this long gets its REPORT line even when it succeeded. */
const SLOW_INVOCATION_MS = 1000

const RUNNER = fileURLToPath(new URL('./runner.mjs', import.meta.url))
/** Written by runner.mjs to stdout and stderr before each result (keep in step with it). */
const END = '\u0000lambda-invocation-end'
/** Lambda gives a function's initialization (its module's top level) 10 s of its own. */
const INIT_TIMEOUT_SECONDS = 10
/** Lambda's limit on a synchronous invocation's response; the number is the one its error message names. */
const RESPONSE_LIMIT = 6_291_556
/** A line longer than this without a newline is logged in pieces (CloudWatch splits events at 256 KB). */
const MAX_LINE = 256 * 1024
/**
 * After a result, how long its log lines may lag behind it (they travel on other pipes) before it
 * is reported anyway. They end with the runner's END marker, which always comes unless the function
 * broke its own stdout; a loaded machine took over 200 ms to read a 20,000-line burst.
 */
const LOG_LAG_MS = 2000
/** After the process exits, how long its pipes may stay open (a grandchild holding them) before it counts as gone. */
const CLOSE_LAG_MS = 500

/** How Go's os/exec (Lambda's runtime manager) names the usual signals in "Runtime exited with error: signal: ...". */
const SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGBUS: 'bus error',
}

type RunnerMessage
  = | { type: 'ready' }
    | { type: 'init-error', error: LambdaError }
    | ResultMessage
type ResultMessage
  = | { type: 'result', ok: true, payload: string, exit?: boolean }
    | { type: 'result', ok: false, error: LambdaError, exit?: boolean }

/** An invocation's result before its duration is known. */
type Verdict = { ok: true, payload: unknown } | { ok: false, error: LambdaError }

export interface InvocationOutcome {
  result: InvokeResult
  /** False when the environment is gone or going: the next invocation needs a fresh one. */
  reusable: boolean
}

interface Running {
  requestId: string
  event: string
  /** performance.now() when the handler was given the event (before that: when the invocation arrived). */
  started: number
  dispatched: boolean
  timer?: NodeJS.Timeout
  /** Set when the invocation (or the initialization before it) ran out of time and the process was killed. */
  timedOut?: string
  outcome?: ResultMessage
  durationMs?: number
  logLagTimer?: NodeJS.Timeout
  resolve: (outcome: InvocationOutcome) => void
}

/** Splits one output stream into lines and counts the runner's END markers in it. */
class LineSplitter {
  private pending = ''
  ends = 0

  constructor(private readonly emit: (line: string) => void, private readonly onEnd: () => void) {}

  push(chunk: string) {
    const lines = (this.pending + chunk).split('\n')
    let rest = lines.pop()!
    for (const line of lines) this.line(line)
    if (rest.length > MAX_LINE) {
      // Keep a marker's length back: an END cut in two would be logged as text.
      this.line(rest.slice(0, -END.length))
      rest = rest.slice(-END.length)
    }
    this.pending = rest
  }

  flush() {
    if (this.pending) this.line(this.pending)
    this.pending = ''
  }

  private line(line: string) {
    const end = line.indexOf(END)
    if (end < 0) return this.emit(line)
    // What a handler wrote without a final newline ends with the invocation.
    if (end > 0) this.emit(line.slice(0, end))
    this.ends++
    this.onEnd()
  }
}

/** The process environment a function gets: its own variables and Lambda's, none of the sandbox's but PATH and HOME. */
function lambdaEnvironment(config: LambdaFunctionConfig, logStreamName: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['PATH', 'HOME']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  Object.assign(env, config.env)
  Object.assign(env, {
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMB),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // The Node.js that really runs the function, which may not be the one it is deployed with.
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
    LAMBDA_TASK_ROOT: config.codeDir,
    _HANDLER: config.handler,
  })
  env.TZ ??= ':UTC'
  if (env.AWS_REGION) env.AWS_DEFAULT_REGION ??= env.AWS_REGION
  // The AWS SDK's 9-line NodeVersionSupportWarning is about the sandbox's Node, not the function's
  // code, and would repeat at every cold start; the sandbox says it once at start (runtimeVersionNote).
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  // Lambda's NODE_PATH ends in the runtime's own node_modules (@aws-sdk/*); CommonJS `require` reads it, ESM does not (resolve-hook.mjs).
  env.NODE_PATH ??= join(config.resolveFrom, 'node_modules')
  return env
}

export function invokedFunctionArn(config: LambdaFunctionConfig): string {
  return `arn:aws:lambda:${config.env.AWS_REGION || 'us-east-1'}:${config.env.AWS_ACCOUNT_ID || '000000000000'}:function:${config.functionName}`
}

function logStreamName(): string {
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '/')
  return `${date}/[$LATEST]${randomBytes(16).toString('hex')}`
}

/** Node's own resolution walks up from the bundle: only a bundle outside `resolveFrom` needs the hook (which costs a loader thread). */
function needsResolveHook(config: LambdaFunctionConfig): boolean {
  const path = relative(config.resolveFrom, config.codeDir)
  return path.startsWith('..') || isAbsolute(path)
}

export class ExecutionEnvironment {
  /** Settles once the process is gone and every line of its output has been logged. */
  readonly exited: Promise<void>
  private readonly child: ChildProcess
  private readonly out: LineSplitter
  private readonly err: LineSplitter
  private readonly arn: string
  private ready = false
  private gone = false
  /** The runner announced that it exits after its last result (an uncaught error). */
  private exiting = false
  private invocations = 0
  private current?: Running
  private initError?: LambdaError
  private spawnError?: Error
  private outOfMemory = false
  /** Ended by kill(): no news when it goes. */
  private killed = false
  private exit?: { code: number | null, signal: NodeJS.Signals | null }
  private markExited!: () => void

  constructor(private readonly config: LambdaFunctionConfig, private readonly log: (line: string) => void, onGone: (environment: ExecutionEnvironment) => void) {
    this.exited = new Promise((resolve) => {
      this.markExited = resolve
    })
    this.arn = invokedFunctionArn(config)
    const prefix = `[${config.name}]`
    const emit = (line: string) => log(line ? `${prefix} ${line}` : prefix)
    const onEnd = () => this.current?.outcome && this.settleWhenLogged(this.current)
    this.out = new LineSplitter(emit, onEnd)
    this.err = new LineSplitter((line) => {
      // V8's last words when the heap limit (the function's memory) is reached.
      if (line.includes('JavaScript heap out of memory')) this.outOfMemory = true
      emit(line)
    }, onEnd)

    this.child = fork(RUNNER, needsResolveHook(config) ? [config.resolveFrom] : [], {
      // Lambda's working directory is the code's; a missing folder is then reported as the missing module it is.
      cwd: existsSync(config.codeDir) ? config.codeDir : undefined,
      env: lambdaEnvironment(config, logStreamName()),
      // The whole heap, not only its old generation: Node 24 adds a young generation of 192 MB
      // whatever --max-old-space-size says (a 64 MB function got a 256 MB heap; 112 MB on Node 20
      // and 22). --max-heap-size caps both generations together on every one of them.
      execArgv: [`--max-heap-size=${config.memoryMB}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.out.push(chunk))
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.err.push(chunk))
    this.child.on('message', message => this.onMessage(message as RunnerMessage))

    let closeLag: NodeJS.Timeout | undefined
    const goneOnce = () => {
      clearTimeout(closeLag)
      if (this.gone) return
      this.gone = true
      this.out.flush()
      this.err.flush()
      const running = this.current
      if (running) this.settle(running, running.outcome ? this.resultOf(running.outcome) : this.deathError(running))
      onGone(this)
      // A process that dies between invocations (a timer's uncaught error) says so; the next invocation starts cold.
      if (!running && !this.killed) log(`${prefix} Error: ${this.exitReason()}`)
      this.markExited()
    }
    this.child.on('exit', (code, signal) => {
      this.exit = { code, signal }
      closeLag = setTimeout(goneOnce, CLOSE_LAG_MS)
    })
    this.child.on('close', goneOnce)
    this.child.on('error', (error) => {
      // After a failed spawn no exit follows; later errors (a send to a dying process) are the exit's business.
      if (this.child.pid !== undefined) return
      this.spawnError = error
      goneOnce()
    })
  }

  /** False as soon as the process is known to be dying, before its pipes have closed. */
  get usable(): boolean {
    return !this.gone && !this.exiting && this.child.connected && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Runs one invocation; never rejects. `event` is the request payload as JSON text. */
  invoke(requestId: string, event: string): Promise<InvocationOutcome> {
    if (this.current) throw new Error('An execution environment runs one invocation at a time')
    return new Promise((resolve) => {
      const running: Running = { requestId, event, started: performance.now(), dispatched: false, resolve }
      this.current = running
      if (this.gone) return this.settle(running, this.deathError(running))
      if (this.ready) return this.dispatch(running)
      running.timer = setTimeout(() => this.timeOut(running, INIT_TIMEOUT_SECONDS), INIT_TIMEOUT_SECONDS * 1000)
    })
  }

  /** Ends the process (SIGKILL: Lambda gives an environment no last word either); settles when it is gone. */
  kill(): Promise<void> {
    this.killed = true
    if (!this.gone) this.child.kill('SIGKILL')
    return this.exited
  }

  private dispatch(running: Running) {
    clearTimeout(running.timer)
    running.dispatched = true
    running.started = performance.now()
    this.invocations++
    const timeoutMs = this.config.timeoutSeconds * 1000
    this.child.send({ type: 'invoke', requestId: running.requestId, event: running.event, deadline: Date.now() + timeoutMs, arn: this.arn }, () => {})
    running.timer = setTimeout(() => this.timeOut(running, this.config.timeoutSeconds), timeoutMs)
  }

  private timeOut(running: Running, seconds: number) {
    running.timedOut = `${new Date().toISOString()} ${running.requestId} Task timed out after ${seconds.toFixed(2)} seconds`
    this.child.kill('SIGKILL')
  }

  private onMessage(message: RunnerMessage) {
    const running = this.current
    if (message.type === 'ready') {
      this.ready = true
      if (running && !running.dispatched && !running.timedOut) this.dispatch(running)
    }
    else if (message.type === 'init-error') {
      this.initError = message.error
    }
    else if (running?.dispatched && !running.outcome && !running.timedOut) {
      clearTimeout(running.timer)
      running.outcome = message
      running.durationMs = performance.now() - running.started
      if (message.exit) this.exiting = true
      this.settleWhenLogged(running)
    }
  }

  /** Reports a result once both pipes have delivered the invocation's END, so its log lines come before its REPORT. */
  private settleWhenLogged(running: Running) {
    if (this.out.ends >= this.invocations && this.err.ends >= this.invocations) return this.settle(running, this.resultOf(running.outcome!))
    running.logLagTimer ??= setTimeout(() => this.settle(running, this.resultOf(running.outcome!)), LOG_LAG_MS)
  }

  private resultOf(message: ResultMessage): Verdict {
    if (!message.ok) return { ok: false, error: message.error }
    if (message.payload.length > RESPONSE_LIMIT / 3 && Buffer.byteLength(message.payload) > RESPONSE_LIMIT) {
      return { ok: false, error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).` } }
    }
    return { ok: true, payload: JSON.parse(message.payload) as unknown }
  }

  /** What the invocation in progress gets when the process died under it. */
  private deathError(running: Running): Verdict {
    const id = running.requestId
    if (running.timedOut) return { ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: running.timedOut } }
    if (this.initError) return { ok: false, error: this.initError }
    // Lambda's sandbox kills a function over its memory; here V8 aborts at the heap cap. Reported as Lambda does.
    if (this.outOfMemory) return { ok: false, error: { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed` } }
    if (this.spawnError) return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime failed to start: ${this.spawnError.message}` } }
    return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: ${this.exitReason()}` } }
  }

  /** Lambda's words for how the process ended. */
  private exitReason(): string {
    const { code, signal } = this.exit ?? { code: null, signal: null }
    if (code === 0) return 'Runtime exited without providing a reason'
    return `Runtime exited with error: ${signal ? `signal: ${SIGNAL_NAMES[signal] ?? signal}` : `exit status ${code}`}`
  }

  private settle(running: Running, verdict: Verdict) {
    if (this.current !== running) return
    this.current = undefined
    clearTimeout(running.timer)
    clearTimeout(running.logLagTimer)
    const durationMs = running.durationMs ?? performance.now() - running.started
    // Lambda logs the timeout where the invocation ends, after whatever the handler wrote.
    if (running.timedOut) this.log(`[${this.config.name}] ${running.timedOut}`)
    // Quiet unless it matters: a page that calls a function on every render must not print a line
    // per request. A failed, timed-out or slow invocation still says so, with its duration.
    if (!verdict.ok || running.timedOut || durationMs >= SLOW_INVOCATION_MS) this.log(`[${this.config.name}] REPORT ${running.requestId} ${Math.ceil(durationMs)} ms`)
    const result: InvokeResult = { ...verdict, durationMs }
    running.resolve({ result, reusable: !this.gone && !this.exiting })
  }
}
