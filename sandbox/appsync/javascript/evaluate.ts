/**
 * Runs APPSYNC_JS code (what `a.handler.custom({ entry })` synthesizes, or any resolver or function
 * with `Runtime: { Name: 'APPSYNC_JS' }`) in isolation: each code file gets a node:vm context of
 * its own, holding only JavaScript's built-ins and the offline `@aws-appsync/utils` (./context/):
 * no `process`, modules, file system, network or timers, code generation from strings turned off
 * (no `eval`, no `Function('...')`, as in AppSync), and a time limit on every handler call. Only
 * JSON text crosses into and out of the context (./context/runner.js says why).
 *
 * The code is an ES module (`export function request(ctx)`); node:vm runs ES modules only behind a
 * flag, so esbuild turns it into CommonJS first, keeping a source map so that errors name lines of
 * the code as synthesized, as AppSync's `code.js:<line>:<column>: <error>` messages do.
 */
import { getRandomValues } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SourceMap, createRequire } from 'node:module'
import { Script, createContext, type Context } from 'node:vm'

/** Loaded on the first compile, not with the data API: about 0.1 s of every start otherwise. */
let esbuild: typeof import('esbuild') | undefined
const transformSync: typeof import('esbuild').transformSync = (...args) => (esbuild ??= createRequire(import.meta.url)('esbuild') as typeof import('esbuild')).transformSync(...args)

export type HandlerName = 'request' | 'response'

/** What `util.error` / `util.appendError` were given. */
export interface SentError {
  message: string
  type: string | null
  data: unknown
  errorInfo: unknown
}

/** How a handler call ended, with the stash and arguments as it left them and the errors it appended. */
export type HandlerOutcome = {
  stash: Record<string, unknown>
  args: Record<string, unknown>
  errors: SentError[]
  /** What the handler wrote with `console.*`, one entry per call, prefixed with its level (`INFO ...`). */
  logs: string[]
} & (
  | { kind: 'return', value?: unknown }
  | { kind: 'early', value?: unknown, skipTo: 'END' | 'NEXT' }
  | { kind: 'error', error: SentError }
  | { kind: 'unauthorized' }
  /** An exception, a timeout or code that does not load: AppSync's `Code` errors. */
  | { kind: 'failure', message: string }
)

export interface HandlerCall {
  handler: HandlerName
  /** AppSync's `ctx` (arguments, identity, source, stash, prev, result, error, info, request), as JSON-safe data. */
  ctx: Record<string, unknown>
  /** What `util.authType()` answers, e.g. 'User Pool Authorization'. */
  authType: string | null
}

/** A handler taking longer than this is stopped and fails its field. */
const DEFAULT_HANDLER_TIMEOUT_MS = 1000
const FILENAME = 'code.js'

const read = (file: string) => readFileSync(new URL(`./context/${file}`, import.meta.url), 'utf8')
/** Compiled once, run in every code file's context, in this order. */
const CONTEXT_SCRIPTS = ['runner.js', 'utils.js', 'dynamodb.js'].map(file => new Script(read(file), { filename: `offline-sandbox/appsync-js/${file}` }))
const RUN = new Script('__appsync.run(__appsyncInput)', { filename: 'offline-sandbox/appsync-js/run' })

interface Sandboxed {
  __appsyncInput?: string
}

export class ResolverCode {
  private constructor(
    private readonly context: Context | undefined,
    private readonly sourceMap: SourceMap | undefined,
    private readonly loadFailure: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Never throws: code that cannot be loaded fails each of its calls with the reason. */
  static compile(code: string, options: { timeoutMs?: number } = {}): ResolverCode {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS
    let transformed: { code: string, map: string }
    try {
      transformed = transformSync(code, { format: 'cjs', loader: 'js', sourcemap: 'external', sourcefile: FILENAME, logLevel: 'silent' })
    }
    catch (error) {
      const first = (error as { errors?: Array<{ text: string, location?: { line: number, column: number } }> }).errors?.[0]
      const where = first?.location ? `${FILENAME}:${first.location.line}:${first.location.column + 1}: ` : ''
      return new ResolverCode(undefined, undefined, `The code contains one or more errors: ${where}${first?.text ?? (error as Error).message}`, timeoutMs)
    }
    // A prototype-less global: a sandbox object inheriting from this realm's Object would lead back to its Function.
    const context = createContext(Object.create(null) as object, {
      name: 'APPSYNC_JS',
      codeGeneration: { strings: false, wasm: false },
      // Promise jobs run inside the time limit, not later in the sandbox's own loop.
      microtaskMode: 'afterEvaluate',
    })
    const sourceMap = new SourceMap(JSON.parse(transformed.map) as ConstructorParameters<typeof SourceMap>[0])
    const resolverCode = new ResolverCode(context, sourceMap, undefined, timeoutMs)
    try {
      for (const script of CONTEXT_SCRIPTS) script.runInContext(context, { timeout: timeoutMs })
      // The wrapper's own line is line 0: the code's lines keep their numbers in stack traces. Strict,
      // as the ES module it was. Its `require` knows the two modules AppSync has, nothing else.
      new Script(`__appsync.define(function (exports, require, module) { 'use strict';\n${transformed.code}\n})`, { filename: FILENAME, lineOffset: -1 })
        .runInContext(context, { timeout: timeoutMs })
    }
    catch (error) {
      return new ResolverCode(undefined, undefined, resolverCode.describeFailure(error), timeoutMs)
    }
    return resolverCode
  }

  /** Runs one handler; never throws. */
  run(call: HandlerCall): HandlerOutcome {
    const fallback = { stash: (call.ctx.stash ?? {}) as Record<string, unknown>, args: (call.ctx.arguments ?? {}) as Record<string, unknown>, errors: [], logs: [] }
    if (!this.context) return { ...fallback, kind: 'failure', message: this.loadFailure ?? 'The code could not be loaded' }
    const seed = [...getRandomValues(new Uint32Array(4))]
    const sandbox = this.context as Sandboxed
    sandbox.__appsyncInput = JSON.stringify({ handler: call.handler, ctx: call.ctx, authType: call.authType, seed })
    try {
      const text: unknown = RUN.runInContext(this.context, { timeout: this.timeoutMs })
      if (typeof text !== 'string') return { ...fallback, kind: 'failure', message: 'The handler\'s result could not be read' }
      const outcome = JSON.parse(text) as HandlerOutcome & { failure?: { name: string, message: string, stack: string } }
      if (outcome.kind === 'failure') return { ...fallback, ...outcome, kind: 'failure', message: this.describeFailure(outcome.failure) }
      return outcome
    }
    catch (error) {
      return { ...fallback, kind: 'failure', message: this.describeFailure(error) }
    }
    finally {
      delete sandbox.__appsyncInput
    }
  }

  /** `code.js:<line>:<column>: <Name>: <message>`, positions in the code as synthesized. */
  private describeFailure(error: unknown): string {
    try {
      const e = error as { name?: unknown, message?: unknown, stack?: unknown, code?: unknown }
      if (e?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return `Execution timed out after ${this.timeoutMs} ms`
      const text = `${typeof e?.name === 'string' ? e.name : 'Error'}: ${typeof e?.message === 'string' ? e.message : String(error)}`
      const frame = typeof e?.stack === 'string' ? /code\.js:(\d+):(\d+)/.exec(e.stack) : null
      if (!frame) return text
      const entry = this.sourceMap?.findEntry(Number(frame[1]) - 1, Number(frame[2]) - 1) as { originalLine?: number, originalColumn?: number } | undefined
      const [line, column] = entry?.originalLine === undefined ? [frame[1], frame[2]] : [entry.originalLine + 1, (entry.originalColumn ?? 0) + 1]
      return `${FILENAME}:${line}:${column}: ${text}`
    }
    catch {
      return 'The code failed'
    }
  }
}
