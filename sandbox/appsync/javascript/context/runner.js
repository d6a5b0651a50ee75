/**
 * Runs inside the node:vm context of one APPSYNC_JS code file (never in the sandbox's own realm),
 * evaluated before ./utils.js and ./dynamodb.js, which register the modules the code may import.
 * It loads the code (CommonJS by then: ../evaluate.ts has esbuild convert its ESM) and runs one
 * handler (`request` or `response`) per call, reporting the outcome as JSON text.
 *
 * Only text crosses the boundary, both ways: any object of the sandbox's realm reachable from
 * here would hand the code that realm's `Function` constructor, and with it `process`. So the
 * per-call input (ctx, auth type, a random seed) arrives as the JSON string `__appsyncInput`, and
 * everything the code needs (ids, time, errors) is implemented here from JavaScript's built-ins.
 */
'use strict'
;(() => {
  // Taken now: the code shares this realm's globals and could replace them.
  const { parse, stringify } = JSON
  const modules = Object.create(null)
  const state = { errors: [], logs: [], authType: null, seed: [1, 2, 3, 4] }
  let loaded = { exports: undefined, failure: undefined }

  /** `util.error`: ends the handler; ../template.ts turns it into a GraphQL error with its type. */
  class SentError {
    constructor(message, type, data, errorInfo) {
      this.message = message
      this.type = type
      this.data = data
      this.errorInfo = errorInfo
    }
  }
  class Unauthorized {}
  /** `runtime.earlyReturn`: ends the handler with a value (`skipTo: 'END'` skips the rest of the pipeline). */
  class EarlyReturn {
    constructor(value, skipTo) {
      this.value = value
      this.skipTo = skipTo
    }
  }

  // `console.log` and friends: AppSync sends these lines to the API's logs; here they go to the sandbox's.
  const MAX_LOG_LINES = 100
  const text = (value) => {
    if (typeof value === 'string') return value
    try {
      return stringify(value) ?? String(value)
    }
    catch {
      return String(value)
    }
  }
  const logger = level => (...values) => {
    if (state.logs.length < MAX_LOG_LINES) state.logs.push(`${level} ${values.map(text).join(' ')}`)
  }
  Object.defineProperty(globalThis, 'console', {
    value: Object.freeze({ log: logger('INFO'), info: logger('INFO'), debug: logger('DEBUG'), warn: logger('WARN'), error: logger('ERROR') }),
  })

  function require(name) {
    const found = modules[name]
    if (!found) throw new Error(`Cannot find module '${name}': APPSYNC_JS code can import @aws-appsync/utils and @aws-appsync/utils/dynamodb only`)
    return found
  }

  const describe = (error) => {
    if (error !== null && typeof error === 'object' && typeof error.message === 'string') {
      return { name: typeof error.name === 'string' ? error.name : 'Error', message: error.message, stack: typeof error.stack === 'string' ? error.stack : '' }
    }
    return { name: 'Error', message: String(error), stack: '' }
  }

  function run(inputText) {
    const input = parse(inputText)
    state.errors = []
    state.logs = []
    state.authType = input.authType
    state.seed = input.seed
    const ctx = input.ctx
    // One object under both names, as in AppSync.
    ctx.args = ctx.arguments
    let outcome
    try {
      if (loaded.failure) throw loaded.failure
      const handler = loaded.exports && loaded.exports[input.handler]
      if (typeof handler !== 'function') throw new TypeError(`The code exports no ${input.handler} function`)
      const value = handler(ctx)
      if (value !== null && typeof value === 'object' && typeof value.then === 'function') throw new TypeError('APPSYNC_JS handlers cannot be async or return a Promise')
      outcome = { kind: 'return', value }
    }
    catch (error) {
      if (error instanceof EarlyReturn) outcome = { kind: 'early', value: error.value, skipTo: error.skipTo }
      else if (error instanceof SentError) outcome = { kind: 'error', error: { message: error.message, type: error.type, data: error.data, errorInfo: error.errorInfo } }
      else if (error instanceof Unauthorized) outcome = { kind: 'unauthorized' }
      else outcome = { kind: 'failure', failure: describe(error) }
    }
    outcome.errors = state.errors
    outcome.logs = state.logs
    outcome.stash = ctx.stash
    outcome.args = ctx.arguments
    try {
      return stringify(outcome)
    }
    catch (error) {
      return stringify({ kind: 'failure', failure: describe(error), errors: [], logs: state.logs, stash: {}, args: {} })
    }
  }

  /** Evaluates the code's module once, when the context is made; a throw there fails every call. */
  function define(factory) {
    const module = { exports: {} }
    try {
      factory(module.exports, require, module)
      loaded = { exports: module.exports, failure: undefined }
    }
    catch (error) {
      loaded = { exports: undefined, failure: error }
    }
  }

  Object.defineProperty(globalThis, '__appsync', {
    value: Object.freeze({ modules, internal: {}, state, SentError, Unauthorized, EarlyReturn, run, define }),
  })
})()
