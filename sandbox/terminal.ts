/**
 * What `npm run sandbox` and `npm run dev` print: the sandbox's log lines, the codes it "sends",
 * and a failed start.
 */
import { UsageError } from './args'
import { SynthError } from './assembly/synth'
import { SandboxStartError } from './index'
import { CloudOutputsError } from './outputs'
import type { SandboxMessage } from './types'

export const printLog = (line: string) => console.log(`[sandbox] ${line}`)
export const printMessage = (m: SandboxMessage) => console.log(`[sandbox] ✉ ${m.kind} code for ${m.to}: ${m.code}`)

/**
 * Prints a failed start: the message alone when the user can act on it (with the usage text for a
 * command-line mistake), the stack for a bug. Sets the exit code rather than exiting, so stderr
 * drains; a failed start closed what it had started.
 */
export function reportStartError(error: Error, usage: string): void {
  if (error instanceof UsageError) console.error(`\n${error.message}\n\n${usage}\n`)
  else if (error instanceof CloudOutputsError || error instanceof SynthError || error instanceof SandboxStartError) console.error(`\n${error.message}\n`)
  else console.error(error)
  process.exitCode = 1
}
