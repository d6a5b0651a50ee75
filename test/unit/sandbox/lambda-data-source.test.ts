/**
 * The AWS_LAMBDA data source behind `a.handler.function`: what it hands the response template for
 * each way an invocation ends, and `.async()` answering without waiting.
 */
import { describe, expect, it } from 'vitest'
import type { InvokeResult } from '../../../sandbox/functions/runtime'
import { LocalLambdaDataLoader } from '../../../sandbox/appsync/lambda'
import type { FunctionInvoker } from '../../../sandbox/core/types'

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:stack-echo'

function loader(invoke: FunctionInvoker | undefined, log: string[] = []) {
  return new LocalLambdaDataLoader({ name: 'FnEchoLambdaDataSource', type: 'AWS_LAMBDA', functionArn: ARN, invoker: () => invoke, log: line => log.push(line) })
}
const answer = (result: InvokeResult): FunctionInvoker => async () => result

describe('LocalLambdaDataLoader', () => {
  it('invokes the function by its ARN with the payload, and answers with what it returned', async () => {
    const calls: unknown[] = []
    const invoke: FunctionInvoker = async (reference, event) => {
      calls.push([reference, event])
      return { ok: true, payload: { echoed: event }, durationMs: 1 }
    }
    expect(await loader(invoke).load({ operation: 'Invoke', payload: { a: 1 }, invocationType: 'RequestResponse' })).toEqual({ echoed: { a: 1 } })
    expect(calls).toEqual([[ARN, { a: 1 }]])
  })

  it('gives the function\'s failures as Lambda:Unhandled, the Invoke API\'s refusals by their exception', async () => {
    const failed = (errorType: string, errorMessage: string) => loader(answer({ ok: false, error: { errorType, errorMessage }, durationMs: 1 })).load({ operation: 'Invoke', payload: {} })
    await expect(failed('Error', 'Nope')).rejects.toMatchObject({ message: 'Nope', type: 'Lambda:Unhandled', extensions: { errorType: 'Lambda:Unhandled' } })
    await expect(failed('Sandbox.Timedout', 'Task timed out after 3.00 seconds')).rejects.toMatchObject({ type: 'Lambda:Unhandled', message: 'Task timed out after 3.00 seconds' })
    await expect(failed('ResourceNotFoundException', 'Function not found: x')).rejects.toMatchObject({ type: 'Lambda:ResourceNotFoundException' })
  })

  it('answers an Event invocation without waiting for the function, and logs its failure', async () => {
    const log: string[] = []
    let finish!: (result: InvokeResult) => void
    const pending = loader(() => new Promise(resolve => (finish = resolve)), log)
    expect(await pending.load({ operation: 'Invoke', payload: {}, invocationType: 'Event' })).toBeNull()
    finish({ ok: false, error: { errorType: 'Error', errorMessage: 'later' }, durationMs: 5 })
    await new Promise(resolve => setImmediate(resolve))
    expect(log).toEqual([`The Event invocation of ${ARN} by FnEchoLambdaDataSource failed: Error: later`])
    await expect(loader(answer({ ok: true, payload: null, durationMs: 0 })).load({ operation: 'Invoke', payload: 'x'.repeat(300 * 1024), invocationType: 'Event' }))
      .rejects.toMatchObject({ type: 'Lambda:RequestEntityTooLargeException' })
  })

  it('fails clearly before the functions run', async () => {
    await expect(loader(undefined).load({ operation: 'Invoke', payload: {} })).rejects.toMatchObject({ type: 'UnsupportedOperation', message: expect.stringContaining('not running yet') })
  })
})
