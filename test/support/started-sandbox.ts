import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '../../sandbox'
import type { SandboxMessage } from '../../sandbox/core/types'
import { projectRoot } from './project'

/** The project's sandbox on free ports, with its data and outputs in a temporary folder. */
export async function startTestSandbox(): Promise<{ sandbox: Sandbox, stop(): Promise<void> }> {
  const work = await mkdtemp(join(tmpdir(), 'sandbox-test-'))
  const sandbox = await startSandbox({
    projectDir: projectRoot,
    dataDir: join(work, 'data'),
    outputsPath: join(work, 'amplify_outputs.json'),
    ports: { auth: 0, data: 0, storage: 0, rest: 0 },
    watch: false,
  })
  return {
    sandbox,
    async stop() {
      await sandbox.close()
      await rm(work, { recursive: true, force: true })
    },
  }
}

/** The newest message the sandbox "e-mailed" to `email`, from its mailbox endpoint. */
export async function latestMessage(messagesUrl: string, email: string): Promise<SandboxMessage> {
  const messages = (await (await fetch(`${messagesUrl}?to=${encodeURIComponent(email)}`)).json()) as SandboxMessage[]
  const message = messages.at(-1)
  if (!message) throw new Error(`The sandbox sent no message to ${email}`)
  return message
}

/** The newest code the sandbox "e-mailed" to `email`. */
export async function latestCode(messagesUrl: string, email: string): Promise<string> {
  return (await latestMessage(messagesUrl, email)).code
}
