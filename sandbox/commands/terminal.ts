/**
 * What `npm run sandbox` and `npm run dev` print: the sandbox's log lines, the codes it "sends",
 * and a failed start.
 */
import { UsageError } from './args'
import { SynthError } from '../assembly/synth'
import { CODE_PURPOSE } from '../cognito/mailbox'
import { SandboxStartError } from '../index'
import { CloudOutputsError } from '../core/outputs'
import type { SandboxMessage } from '../core/types'

export const printLog = (line: string) => console.log(`[sandbox] ${line}`)

/** Colour for a terminal only: not in a pipe or a log file, nor when NO_COLOR asks for none (https://no-color.org). */
const useColor = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR

/**
 * A code the user pool "sent", set apart from the log lines around it (a blank line, bold cyan)
 * because it is what the developer came to the terminal for. The line is coloured as a whole, so
 * `sign-up code for <email>: <code>` stays one run of text to search for.
 */
export function formatMessage(m: SandboxMessage, color = useColor()): string {
  const line = `✉  ${CODE_PURPOSE[m.kind]} code for ${m.to}: ${m.code}`
  return `\n${color ? `\x1B[1;36m${line}\x1B[0m` : line}`
}

export const printMessage = (m: SandboxMessage) => console.log(formatMessage(m))

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
