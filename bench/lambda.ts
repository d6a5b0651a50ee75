/**
 * What the local Lambda runtime (sandbox/functions/runtime.ts) adds to a function's own time: one
 * cold invocation (a new process loading the bundle) and 200 warm ones of a handler that does
 * nothing, timed around `invoke()`, so a warm number is the runtime's overhead (IPC both ways,
 * JSON, log plumbing). The bundle sits in a temp folder outside the project, so the cold start
 * includes the module resolution hook's loader thread, as for an assembly kept outside the project.
 *
 * `node --import tsx bench/lambda.ts` prints the numbers; the target is a warm p50 under 5 ms.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLambdaRuntime, type LambdaFunctionConfig } from '../sandbox/functions/runtime'

const WARM_INVOCATIONS = 200

export interface LambdaLatency {
  coldMs: number
  warmP50Ms: number
  warmP99Ms: number
}

export async function lambdaLatency(): Promise<LambdaLatency> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-lambda-'))
  const runtime = createLambdaRuntime({ log: () => {} })
  try {
    await writeFile(join(dir, 'index.mjs'), 'export const handler = async (event) => ({ echo: event.n })\n')
    const config: LambdaFunctionConfig = {
      name: 'bench',
      functionName: 'bench-function',
      codeDir: dir,
      handler: 'index.handler',
      timeoutSeconds: 3,
      memoryMB: 512,
      env: { AWS_REGION: 'us-east-1' },
      resolveFrom: fileURLToPath(new URL('..', import.meta.url)),
    }
    const timed = async (n: number) => {
      const started = performance.now()
      const result = await runtime.invoke(config, { n })
      if (!result.ok) throw new Error(`The bench function failed: ${JSON.stringify(result.error)}`)
      return performance.now() - started
    }
    const coldMs = await timed(0)
    const warm: number[] = []
    for (let n = 1; n <= WARM_INVOCATIONS; n++) warm.push(await timed(n))
    warm.sort((a, b) => a - b)
    const percentile = (p: number) => warm[Math.min(warm.length - 1, Math.ceil((p / 100) * warm.length) - 1)]!
    return { coldMs, warmP50Ms: percentile(50), warmP99Ms: percentile(99) }
  }
  finally {
    await runtime.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  lambdaLatency().then(({ coldMs, warmP50Ms, warmP99Ms }) => {
    const verdict = warmP50Ms < 5 ? 'PASS' : 'MISS'
    console.log(`Lambda cold invocation  ${coldMs.toFixed(1).padStart(7)} ms`)
    console.log(`Lambda warm p50         ${warmP50Ms.toFixed(2).padStart(7)} ms   target < 5 ms   ${verdict}`)
    console.log(`Lambda warm p99         ${warmP99Ms.toFixed(2).padStart(7)} ms   (${WARM_INVOCATIONS} warm invocations)`)
  }, (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
