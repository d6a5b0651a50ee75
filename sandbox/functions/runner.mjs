/**
 * The runtime inside one local Lambda execution environment (a child process of
 * sandbox/functions/runtime.ts): loads the function's bundle as Lambda's Node.js runtime does
 * (`LAMBDA_TASK_ROOT` + `_HANDLER`, `.js`/`.mjs`/`.cjs`, nested handler paths), then runs one
 * invocation at a time with Lambda's context, callback and event-loop semantics, and reports
 * results and errors in Lambda's shape. Plain JavaScript with no dependencies, run by node itself
 * (not tsx): it starts in every function process, so it stays small and quick to load.
 *
 * Protocol over the IPC channel. In: `{ type: 'invoke', requestId, event (JSON text), deadline (epoch ms),
 * arn }`. Out: `{ type: 'ready' }` or `{ type: 'init-error', error }` once, then one
 * `{ type: 'result', ok, payload (JSON text) | error, exit? }` per invocation. Before each result,
 * END is written to stdout and stderr so the parent knows every log line of the invocation has arrived.
 * argv[2], when given, is the folder bare imports fall back to (see resolve-hook.mjs).
 */
import { statSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { basename, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** Keep in step with runtime.ts. */
const END = '\u0000lambda-invocation-end\n'

const resolveFrom = process.argv[2]
if (resolveFrom) register('./resolve-hook.mjs', import.meta.url, { data: { parentURL: pathToFileURL(join(resolveFrom, 'package.json')).href } })

/** Lambda's own error types (`Runtime.HandlerNotFound` ...); a wrapped cause reads as Lambda shows it ("Error: Cannot find ...", without Node's [CODE]). */
const runtimeError = (type, cause) => Object.assign(new Error(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)), { name: type })

/** As Lambda reports an error: name, message and stack lines of an Error; anything else by its type. */
function toLambdaError(error) {
  try {
    if (error instanceof Error || (typeof error?.name === 'string' && typeof error.message === 'string' && typeof error.stack === 'string')) {
      return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') }
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] }
  }
  catch {
    return { errorType: 'handled', errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack' }
  }
}

function logError(label, error) {
  const { errorType, errorMessage, trace } = toLambdaError(error)
  process.stderr.write(`${label} ${JSON.stringify({ errorType, errorMessage, stack: trace })}\n`)
}

// Loading -------------------------------------------------------------------------------------

const isFile = (path) => {
  try {
    return statSync(path).isFile()
  }
  catch {
    return false
  }
}
const requireFile = createRequire(import.meta.url)

/** Lambda's order: extensionless, `.js` (CommonJS unless its package says module), `.mjs`, `.cjs`. */
async function loadModule(base) {
  for (const extension of ['', '.js', '.mjs', '.cjs']) {
    const file = base + extension
    if (!isFile(file)) continue
    if (extension === '.mjs') return import(pathToFileURL(file).href)
    try {
      return requireFile(file)
    }
    catch (error) {
      if (error?.code !== 'ERR_REQUIRE_ESM') throw error
      return import(pathToFileURL(file).href)
    }
  }
  throw Object.assign(new Error(`Cannot find module '${basename(base)}'`), { code: 'MODULE_NOT_FOUND' })
}

async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) throw runtimeError('Runtime.MalformedHandlerName', `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`)
  // `dir/index.handler` or `index.nested.handler`: the module is everything before the first dot of the last path segment.
  const dot = handlerString.indexOf('.', handlerString.lastIndexOf('/') + 1)
  if (dot <= 0) throw runtimeError('Runtime.MalformedHandlerName', 'Bad handler')
  let exports
  try {
    exports = await loadModule(resolve(taskRoot, handlerString.slice(0, dot)))
  }
  catch (error) {
    if (error instanceof SyntaxError) throw runtimeError('Runtime.UserCodeSyntaxError', error)
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') throw runtimeError('Runtime.ImportModuleError', error)
    throw error
  }
  const handler = handlerString.slice(dot + 1).split('.').reduce((object, key) => object?.[key], exports)
  if (!handler) throw runtimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`)
  if (typeof handler !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`)
  return handler
}

// Invoking ------------------------------------------------------------------------------------

/** The invocation in progress; `end()` marks it answered. */
let current
/** Called when the event loop has nothing left to do (Node's `beforeExit`), as Lambda waits for it. */
let onEmptyEventLoop

process.on('beforeExit', () => {
  const run = onEmptyEventLoop
  onEmptyEventLoop = undefined
  run?.()
})

function send(message, then) {
  process.stdout.write(END)
  process.stderr.write(END)
  process.send(message, then)
}

function invoke(handler, { requestId, event, deadline, arn }) {
  let finished = false
  let waitForEmptyEventLoop = true
  const report = (error, result) => {
    if (finished) return
    finished = true
    onEmptyEventLoop = undefined
    current = undefined
    // The channel keeps the process alive between invocations; during one only the handler's own work does.
    process.channel.ref()
    if (error !== undefined && error !== null) {
      logError('Invoke Error', error)
      send({ type: 'result', ok: false, error: toLambdaError(error) })
      return
    }
    let payload
    try {
      payload = JSON.stringify(result === undefined ? null : result)
    }
    catch {
      const unserializable = new Error('Unable to stringify response body')
      logError('Invoke Error', unserializable)
      send({ type: 'result', ok: false, error: toLambdaError(unserializable) })
      return
    }
    send({ type: 'result', ok: true, payload })
  }
  current = { end: () => (finished = true) }

  const callback = (error, result) => {
    // A late callback must not take over the event-loop wait of the invocation after it.
    if (finished) return
    if (error !== undefined && error !== null) return report(error)
    if (!waitForEmptyEventLoop) return report(null, result)
    onEmptyEventLoop = () => setImmediate(() => report(null, result))
  }
  const done = (error, result) => report(error, result)
  const context = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop },
    set callbackWaitsForEmptyEventLoop(value) { waitForEmptyEventLoop = value },
    done,
    succeed: result => done(null, result),
    fail: error => done(error ?? 'handled'),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    invokedFunctionArn: arn,
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    clientContext: undefined,
    identity: undefined,
  }

  // A handler that neither settles a promise nor calls back ends, like Lambda's, with null once nothing is left to run.
  onEmptyEventLoop = () => report(null, null)
  process.channel.unref()
  try {
    const result = handler(JSON.parse(event), context, callback)
    if (typeof result?.then === 'function') result.then(value => done(null, value), error => done(error ?? 'handled'))
  }
  catch (error) {
    callback(error)
  }
}

/** An error outside any handler's control flow ends the environment, as on Lambda: reported for the invocation in progress, then exit. */
function fatal(label, error, code) {
  logError(label, error)
  const invocation = current
  current = undefined
  if (!invocation) process.exit(code)
  invocation.end()
  onEmptyEventLoop = undefined
  process.channel.ref()
  send({ type: 'result', ok: false, error: toLambdaError(error), exit: true }, () => process.exit(code))
}
process.on('uncaughtException', error => fatal('Uncaught Exception', error, 129))
process.on('unhandledRejection', reason => fatal('Unhandled Promise Rejection', runtimeError('Runtime.UnhandledPromiseRejection', reason), 128))
// The sandbox went away: so does its function.
process.on('disconnect', () => process.exit(0))
// Ctrl-C reaches every process of the terminal's foreground group, this one included, while the
// sandbox may still be busy stopping (npm run dev waits for nuxi first): a signal meant for the
// sandbox must not read as this function crashing. The sandbox ends its functions itself when it
// closes (Lambda never signals a function either); once nobody is left to, the signal is obeyed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  const outlive = () => {
    if (process.connected) return
    process.off(signal, outlive)
    process.kill(process.pid, signal)
  }
  process.on(signal, outlive)
}

try {
  const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? '')
  process.on('message', message => message?.type === 'invoke' && invoke(handler, message))
  process.send({ type: 'ready' })
}
catch (error) {
  logError('Uncaught Exception', error)
  process.send({ type: 'init-error', error: toLambdaError(error) }, () => process.exit(1))
}
