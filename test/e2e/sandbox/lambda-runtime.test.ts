/**
 * The local Lambda runtime (sandbox/functions/runtime.ts) against tiny handler bundles written
 * into a temp folder as real `.mjs` files: a process per function that nothing a handler does can
 * take the sandbox down with, warm reuse and concurrency, async and callback handlers and their
 * context, Lambda's error shapes, timeouts, the memory cap, log lines, JSON payloads and their
 * limits, bare imports resolved from the project, and processes ended on reload, idle and close.
 * End to end because every test starts real function processes and waits on their real timers.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createLambdaRuntime, type InvokeResult, type LambdaFunctionConfig, type LambdaRuntime, type LambdaRuntimeOptions } from '../../../sandbox/functions/runtime'
import { projectRoot } from '../../support/project'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambda-runtime-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

let lines: string[] = []
const runtimes: LambdaRuntime[] = []
function open(options: Partial<LambdaRuntimeOptions> = {}): LambdaRuntime {
  const runtime = createLambdaRuntime({ log: line => lines.push(line), ...options })
  runtimes.push(runtime)
  return runtime
}
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map(runtime => runtime.close()))
  lines = []
})

let count = 0
/** A function whose bundle is `source`, in a folder of its own. Bare imports resolve from the temp folder unless told otherwise. */
async function bundle(source: string, config: Partial<LambdaFunctionConfig> = {}): Promise<LambdaFunctionConfig> {
  const name = `fn-${++count}`
  const codeDir = join(dir, name)
  await mkdir(codeDir)
  await writeFile(join(codeDir, 'index.mjs'), source)
  return { name, functionName: `amplify-app-${name}-AbC123`, codeDir, handler: 'index.handler', timeoutSeconds: 3, memoryMB: 128, env: { AWS_REGION: 'eu-west-1' }, resolveFrom: dir, ...config }
}

const payload = (result: InvokeResult) => {
  if (!result.ok) throw new Error(`the invocation failed: ${JSON.stringify(result.error)}`)
  return result.payload as Record<string, unknown>
}
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  }
  catch {
    return false
  }
}

/** Counts its invocations in module state and says which process served them. */
const COUNTER = `
let invocations = 0
export const handler = async (event) => {
  invocations++
  if (event.exit !== undefined) process.exit(event.exit)
  if (event.kill) process.kill(process.pid, 'SIGKILL')
  if (event.loop) for (;;) {}
  return { invocations, pid: process.pid }
}`

describe('isolation and warm processes', () => {
  it('runs a handler in a child process that stays warm: module state persists across invocations', async () => {
    const runtime = open()
    const fn = await bundle(COUNTER)
    const first = payload(await runtime.invoke(fn, {}))
    const second = payload(await runtime.invoke(fn, {}))
    const third = payload(await runtime.invoke(fn, {}))
    expect(first.pid).not.toBe(process.pid)
    expect([first.invocations, second.invocations, third.invocations]).toEqual([1, 2, 3])
    expect(new Set([first.pid, second.pid, third.pid]).size).toBe(1)
  })

  it('survives a handler that exits or is killed, reports it as Lambda does, and starts the next invocation cold', async () => {
    const runtime = open()
    const fn = await bundle(COUNTER)
    const bystander = await bundle(COUNTER)
    const warm = payload(await runtime.invoke(bystander, {}))
    expect(payload(await runtime.invoke(fn, {})).invocations).toBe(1)

    expect(await runtime.invoke(fn, { exit: 1 }, { requestId: 'req-exit' })).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: req-exit Error: Runtime exited with error: exit status 1' },
    })
    expect(payload(await runtime.invoke(fn, {})).invocations).toBe(1)

    expect(await runtime.invoke(fn, { kill: true }, { requestId: 'req-kill' })).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: req-kill Error: Runtime exited with error: signal: killed' },
    })
    expect(await runtime.invoke(fn, { exit: 0 }, { requestId: 'req-zero' })).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: req-zero Error: Runtime exited without providing a reason' },
    })
    expect(payload(await runtime.invoke(fn, {})).invocations).toBe(1)
    // Another function's warm process noticed nothing.
    expect(payload(await runtime.invoke(bystander, {}))).toEqual({ invocations: 2, pid: warm.pid })
  })

  it('gives concurrent invocations processes of their own, at most four per function, one invocation each at a time', async () => {
    const runtime = open()
    const fn = await bundle(`
let active = 0
export const handler = async () => {
  active++
  const seen = active
  await new Promise(resolve => setTimeout(resolve, 300))
  active--
  return { pid: process.pid, seen }
}`)
    const results = await Promise.all(Array.from({ length: 6 }, () => runtime.invoke(fn, {})))
    const served = results.map(payload)
    expect(served.every(result => result.seen === 1)).toBe(true)
    expect(new Set(served.map(result => result.pid)).size).toBe(4)
  })

  it('ends a process left idle, and the next invocation starts cold', async () => {
    const runtime = open({ idleTimeoutMs: 100 })
    const fn = await bundle(COUNTER)
    const { pid } = payload(await runtime.invoke(fn, {}))
    await vi.waitFor(() => expect(isAlive(pid as number)).toBe(false), { timeout: 5000, interval: 50 })
    expect(payload(await runtime.invoke(fn, {})).invocations).toBe(1)
  })

  it('retain() ends the processes of removed and changed functions, and keeps the others warm', async () => {
    const runtime = open()
    const kept = await bundle(COUNTER)
    const removed = await bundle(COUNTER)
    const keptPid = payload(await runtime.invoke(kept, {})).pid as number
    const removedPid = payload(await runtime.invoke(removed, {})).pid as number

    await runtime.retain([kept])
    expect(isAlive(removedPid)).toBe(false)
    expect(payload(await runtime.invoke(kept, {}))).toEqual({ invocations: 2, pid: keptPid })

    // A changed configuration is another function: its first invocation is cold.
    const changed = { ...kept, env: { ...kept.env, FEATURE: 'on' } }
    expect(payload(await runtime.invoke(changed, {})).invocations).toBe(1)
    await runtime.retain([changed])
    expect(isAlive(keptPid)).toBe(false)

    // The same folder with new code in it.
    await writeFile(join(changed.codeDir, 'index.mjs'), 'export const handler = async () => ({ version: 2 })')
    await runtime.retain([changed])
    expect(payload(await runtime.invoke(changed, {}))).toEqual({ version: 2 })
  })

  it('close() ends every process, answers the invocation in progress, and refuses new ones', async () => {
    const runtime = open()
    const fn = await bundle(COUNTER)
    const slow = await bundle('export const handler = () => new Promise(() => { console.log(\'started\'); setInterval(() => {}, 1000) })', { timeoutSeconds: 30 })
    const { pid } = payload(await runtime.invoke(fn, {}))
    const inProgress = runtime.invoke(slow, {})
    await vi.waitFor(() => expect(lines).toContain(`[${slow.name}] started`))
    await runtime.close()
    expect(isAlive(pid as number)).toBe(false)
    expect(await inProgress).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('signal: killed') } })
    await expect(runtime.invoke(fn, {})).rejects.toThrow('closed')
  })

  it('outlives a Ctrl-C meant for the sandbox, which closes it without a word; a real crash is still reported', async () => {
    const runtime = open()
    const fn = await bundle(COUNTER)
    const { pid } = payload(await runtime.invoke(fn, {}))
    // What a terminal's Ctrl-C (or a hang-up, or a TERM to the process group) does to every process of the sandbox.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(pid as number, signal)
    // Still warm: the same process serves the next invocation.
    expect(payload(await runtime.invoke(fn, {}))).toEqual({ invocations: 2, pid })
    await runtime.close()
    expect(isAlive(pid as number)).toBe(false)
    expect(lines.filter(line => /Error|Runtime exited/.test(line))).toEqual([])

    const crashing = open()
    const crash = await bundle('export const handler = async () => { setTimeout(() => process.exit(3), 20); return \'bye\' }')
    expect(payload(await crashing.invoke(crash, {}))).toBe('bye')
    await vi.waitFor(() => expect(lines).toContain(`[${crash.name}] Error: Runtime exited with error: exit status 3`))
  })
})

describe('handlers, context and environment', () => {
  it('passes events and results through JSON, as Lambda does', async () => {
    const runtime = open()
    const fn = await bundle(`export const handler = async (event) => event.nothing ? undefined : ({ event, when: typeof event.when })`)
    expect(payload(await runtime.invoke(fn, { when: new Date(0), skipped: undefined, list: [1, 'a'] }))).toEqual({
      event: { when: '1970-01-01T00:00:00.000Z', list: [1, 'a'] },
      when: 'string',
    })
    expect(await runtime.invoke(fn, { nothing: true })).toMatchObject({ ok: true, payload: null })
    expect(payload(await runtime.invoke(fn, undefined))).toEqual({ event: {}, when: 'undefined' })
  })

  it('runs callback-style handlers, and context.succeed/fail', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = (event, context, callback) => {
  if (event.how === 'callback') setTimeout(() => callback(null, { got: event.x }), 20)
  if (event.how === 'error') callback(new Error('callback failed'))
  if (event.how === 'succeed') context.succeed('succeeded')
  if (event.how === 'fail') context.fail(new Error('failed'))
  // 'nothing': neither a promise nor a callback; Lambda answers null once the event loop is empty.
}`)
    expect(payload(await runtime.invoke(fn, { how: 'callback', x: 7 }))).toEqual({ got: 7 })
    expect(await runtime.invoke(fn, { how: 'error' })).toMatchObject({ ok: false, error: { errorType: 'Error', errorMessage: 'callback failed' } })
    expect(await runtime.invoke(fn, { how: 'succeed' })).toMatchObject({ ok: true, payload: 'succeeded' })
    expect(await runtime.invoke(fn, { how: 'fail' })).toMatchObject({ ok: false, error: { errorMessage: 'failed' } })
    expect(await runtime.invoke(fn, { how: 'nothing' })).toMatchObject({ ok: true, payload: null })
  })

  it('answers a callback only once the event loop is empty, unless callbackWaitsForEmptyEventLoop is false', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = event.wait
  setTimeout(() => console.log('timer done'), 400)
  callback(null, 'answered')
}`)
    const waited = await runtime.invoke(fn, { wait: true })
    expect(waited).toMatchObject({ ok: true, payload: 'answered' })
    expect(waited.durationMs).toBeGreaterThanOrEqual(390)
    expect(lines).toContain(`[${fn.name}] timer done`)

    const early = await runtime.invoke(fn, { wait: false })
    expect(early).toMatchObject({ ok: true, payload: 'answered' })
    expect(early.durationMs).toBeLessThan(300)
  })

  it('gives the handler Lambda\'s context object', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = async (event, context) => ({
  ...context,
  remaining: context.getRemainingTimeInMillis(),
  functions: ['getRemainingTimeInMillis', 'done', 'succeed', 'fail'].map(name => typeof context[name]),
})`, { memoryMB: 512, timeoutSeconds: 5, env: { AWS_REGION: 'ap-south-1', AWS_ACCOUNT_ID: '123456789012' } })
    const context = payload(await runtime.invoke(fn, {}, { requestId: 'req-ctx' }))
    expect(context).toMatchObject({
      awsRequestId: 'req-ctx',
      functionName: fn.functionName,
      functionVersion: '$LATEST',
      memoryLimitInMB: '512',
      invokedFunctionArn: `arn:aws:lambda:ap-south-1:123456789012:function:${fn.functionName}`,
      logGroupName: `/aws/lambda/${fn.functionName}`,
      logStreamName: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/),
      callbackWaitsForEmptyEventLoop: true,
      functions: ['function', 'function', 'function', 'function'],
    })
    expect(context.remaining).toBeGreaterThan(4000)
    expect(context.remaining).toBeLessThanOrEqual(5000)

    const defaults = await bundle('export const handler = async (event, context) => context.invokedFunctionArn', { env: {} })
    expect(payload(await runtime.invoke(defaults, {}))).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${defaults.functionName}`)
  })

  it('gives the handler its environment and Lambda\'s variables, and none of the sandbox\'s secrets', async () => {
    const runtime = open()
    const fn = await bundle('export const handler = async () => ({ ...process.env, cwd: process.cwd() })', { env: { AWS_REGION: 'eu-west-1', TABLE: 'todos' } })
    vi.stubEnv('SANDBOX_TEST_SECRET', 'hunter2')
    try {
      const env = payload(await runtime.invoke(fn, {}))
      expect(env).toMatchObject({
        TABLE: 'todos',
        AWS_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: expect.stringMatching(/^AWS_Lambda_nodejs\d+\.x$/),
        LAMBDA_TASK_ROOT: fn.codeDir,
        _HANDLER: 'index.handler',
        TZ: ':UTC',
        // The AWS SDK's Node-version warning would repeat at every cold start (the sandbox says it once).
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        PATH: process.env.PATH,
        cwd: fn.codeDir,
      })
      // Nothing else: not the secret, nor anything else of the sandbox's own environment.
      const lambdaOwn = ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', '_HANDLER', 'TZ', 'AWS_DEFAULT_REGION', 'NODE_PATH', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']
      const passedOn = ['PATH', 'HOME'].filter(name => process.env[name] !== undefined)
      expect(Object.keys(env).filter(name => name !== 'cwd').sort()).toEqual([...Object.keys(fn.env), ...lambdaOwn, ...passedOn].sort())
    }
    finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('errors, timeouts and memory', () => {
  it('reports a thrown error with its name, message and stack, and a thrown string by its type', async () => {
    const runtime = open()
    const fn = await bundle(`
class ValidationError extends Error { name = 'ValidationError' }
export const handler = async (event) => {
  if (event.string) throw 'just a string'
  throw new ValidationError('bad input')
}`)
    const thrown = await runtime.invoke(fn, {})
    expect(thrown).toMatchObject({ ok: false, error: { errorType: 'ValidationError', errorMessage: 'bad input' } })
    const trace = thrown.ok ? [] : thrown.error.trace!
    expect(trace[0]).toBe('ValidationError: bad input')
    expect(trace[1]).toContain(join(fn.codeDir, 'index.mjs'))
    expect(lines.some(line => line.startsWith(`[${fn.name}] Invoke Error {"errorType":"ValidationError","errorMessage":"bad input"`))).toBe(true)

    expect(await runtime.invoke(fn, { string: true })).toMatchObject({ ok: false, error: { errorType: 'string', errorMessage: 'just a string', trace: [] } })
  })

  it('reports a handler that is not exported, a missing package and a syntax error as Lambda\'s runtime does', async () => {
    const runtime = open()
    const notExported = await bundle('export const other = async () => 1')
    expect(await runtime.invoke(notExported, {})).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' },
    })

    const missing = await bundle('import { S3Client } from \'@aws-sdk/client-not-there\'\nexport const handler = async () => S3Client')
    const result = await runtime.invoke(missing, {})
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ImportModuleError' } })
    expect(result.ok ? '' : result.error.errorMessage).toMatch(/^Error: Cannot find package '@aws-sdk\/client-not-there' imported from .*index\.mjs$/)

    const broken = await bundle('export const handler = async () => {')
    expect(await runtime.invoke(broken, {})).toMatchObject({ ok: false, error: { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: expect.stringMatching(/^SyntaxError: /) } })
  })

  it('reports an error thrown at import, and tries the import again at the next invocation', async () => {
    const runtime = open()
    const marker = join(dir, 'imported-once')
    const fn = await bundle(`
import { existsSync, writeFileSync } from 'node:fs'
if (!existsSync(${JSON.stringify(marker)})) {
  writeFileSync(${JSON.stringify(marker)}, '')
  throw new TypeError('bad configuration')
}
export const handler = async () => 'imported'`)
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: false, error: { errorType: 'TypeError', errorMessage: 'bad configuration' } })
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: true, payload: 'imported' })
  })

  it('reports an uncaught exception or unhandled rejection for the invocation, and starts fresh after it', async () => {
    const runtime = open()
    const fn = await bundle(`
let invocations = 0
export const handler = async (event) => {
  invocations++
  if (event.throwLater) setTimeout(() => { throw new RangeError('from a timer') })
  if (event.throwAfterAnswer) setTimeout(() => { throw new Error('after the answer') }, 50)
  if (event.reject) Promise.reject(new Error('nobody listens'))
  if (event.throwLater || event.reject) await new Promise(resolve => setTimeout(resolve, 1000))
  return invocations
}`)
    expect(await runtime.invoke(fn, { throwLater: true })).toMatchObject({ ok: false, error: { errorType: 'RangeError', errorMessage: 'from a timer' } })
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: true, payload: 1 })
    expect(await runtime.invoke(fn, { reject: true })).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: nobody listens' },
    })
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: true, payload: 1 })

    // Dying between invocations costs the next one only a cold start.
    expect(await runtime.invoke(fn, { throwAfterAnswer: true })).toMatchObject({ ok: true, payload: 2 })
    await vi.waitFor(() => expect(lines).toContain(`[${fn.name}] Error: Runtime exited with error: exit status 129`))
    expect(lines).toContainEqual(expect.stringContaining(`[${fn.name}] Uncaught Exception {"errorType":"Error","errorMessage":"after the answer"`))
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: true, payload: 1 })
  })

  it('stops an invocation that runs out of time, even an endless loop, with Lambda\'s message', async () => {
    const runtime = open()
    const fn = await bundle(COUNTER, { timeoutSeconds: 1 })
    const { pid } = payload(await runtime.invoke(fn, {}))
    const started = Date.now()
    const result = await runtime.invoke(fn, { loop: true }, { requestId: 'req-loop' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(Date.now() - started).toBeLessThan(2500)
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } })
    expect(result.ok ? '' : result.error.errorMessage).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z req-loop Task timed out after 1\.00 seconds$/)
    expect(isAlive(pid as number)).toBe(false)
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${fn.name}\\] .* req-loop Task timed out after 1\\.00 seconds$`)))
    expect(payload(await runtime.invoke(fn, {})).invocations).toBe(1)
  })

  it('caps the heap at the function\'s memory and reports running out of it', async () => {
    const runtime = open()
    const fn = await bundle(`
import { getHeapStatistics } from 'node:v8'
export const handler = async (event) => {
  if (!event.grow) return getHeapStatistics().heap_size_limit / 2 ** 20
  const kept = []
  for (;;) kept.push(new Array(1e6).fill(1.5))
}`, { memoryMB: 64, timeoutSeconds: 20 })
    // The whole V8 heap fits in the function's memory, whatever the Node version sizes its parts at.
    expect(payload(await runtime.invoke(fn, {}))).toBeLessThanOrEqual(64)
    const result = await runtime.invoke(fn, { grow: true }, { requestId: 'req-oom' })
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'Runtime.OutOfMemory', errorMessage: 'RequestId: req-oom Error: Runtime exited with error: signal: killed' },
    })
    expect(payload(await runtime.invoke(fn, {}))).toBeLessThanOrEqual(64)
  }, 30_000)
})

describe('logs', () => {
  it('logs what the handler writes, line by line and prefixed, before the result returns; a quick success adds no line of its own', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = async () => {
  console.log('hello')
  console.error('oops')
  console.log('two\\nlines')
  process.stdout.write('no newline')
  return 'done'
}`)
    await runtime.invoke(fn, {}, { requestId: 'req-logs' })
    expect(lines.sort()).toEqual([`[${fn.name}] hello`, `[${fn.name}] lines`, `[${fn.name}] no newline`, `[${fn.name}] oops`, `[${fn.name}] two`])
  })

  it('ends a failed invocation\'s lines with its REPORT line', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = async () => {
  console.log('about to fail')
  throw new Error('nope')
}`)
    await runtime.invoke(fn, {}, { requestId: 'req-fails' })
    expect(lines).toContain(`[${fn.name}] about to fail`)
    expect(lines.at(-1)).toMatch(new RegExp(`^\\[${fn.name}\\] REPORT req-fails \\d+ ms$`))
  })

  it('has every line of a long burst logged by the time the result returns', async () => {
    const runtime = open()
    const fn = await bundle(`
export const handler = async () => {
  for (let i = 1; i <= 20000; i++) console.log('line ' + i)
  console.error('last words')
}`)
    await runtime.invoke(fn, {})
    expect(lines).toHaveLength(20001)
    expect(lines).toContain(`[${fn.name}] line 20000`)
    expect(lines).toContain(`[${fn.name}] last words`)
  })

  it('never mixes two functions\' output within a line', async () => {
    const runtime = open()
    const a = await bundle(`
export const handler = async () => {
  process.stdout.write('first half, ')
  await new Promise(resolve => setTimeout(resolve, 200))
  process.stdout.write('second half\\n')
}`)
    const b = await bundle(`
export const handler = async () => {
  await new Promise(resolve => setTimeout(resolve, 50))
  console.log('in between')
}`)
    await Promise.all([runtime.invoke(a, {}), runtime.invoke(b, {})])
    expect(lines).toContain(`[${a.name}] first half, second half`)
    expect(lines).toContain(`[${b.name}] in between`)
  })
})

describe('payload limits', () => {
  it('refuses a request payload over 6 MB without running anything', async () => {
    const runtime = open()
    const fn = await bundle('export const handler = async () => { console.log(\'ran\') }')
    const result = await runtime.invoke(fn, { data: 'x'.repeat(6 * 1024 * 1024) })
    expect(result).toMatchObject({ ok: false, error: { errorType: 'RequestEntityTooLargeException', errorMessage: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' } })
    expect(lines).toEqual([])
  })

  it('answers a response over 6 MB with Lambda\'s error', async () => {
    const runtime = open()
    const fn = await bundle('export const handler = async () => \'x\'.repeat(6.5 * 1024 * 1024)')
    expect(await runtime.invoke(fn, {})).toMatchObject({ ok: false, error: { errorType: 'Function.ResponseSizeTooLarge' } })
  })
})

describe('bare imports', () => {
  it('resolves packages the bundle left external from resolveFrom, for a bundle outside the project', async () => {
    const runtime = open()
    const source = `
import { createRequire } from 'node:module'
import { base64url } from 'jose'
const require = createRequire(import.meta.url)
export const handler = async () => [base64url.encode('hi'), require('mime-types').lookup('a.json')]`
    const fromProject = await bundle(source, { resolveFrom: projectRoot })
    expect(payload(await runtime.invoke(fromProject, {}))).toEqual(['aGk', 'application/json'])

    const fromNowhere = await bundle(source)
    const result = await runtime.invoke(fromNowhere, {})
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ImportModuleError', errorMessage: expect.stringContaining('Cannot find package \'jose\'') } })
  })
})
