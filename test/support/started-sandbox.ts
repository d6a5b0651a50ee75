import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '../../sandbox'
import { projectRoot } from './project'

/** The project's sandbox on free ports, with its data and outputs in a temporary folder. */
export async function startTestSandbox(): Promise<{ sandbox: Sandbox, stop(): Promise<void> }> {
  const work = await mkdtemp(join(tmpdir(), 'sandbox-test-'))
  const sandbox = await startSandbox({
    projectDir: projectRoot,
    dataDir: join(work, 'data'),
    outputsPath: join(work, 'amplify_outputs.json'),
    authPort: 0,
    dataPort: 0,
    storagePort: 0,
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

/** The newest code the sandbox "e-mailed" to `email`, from its mailbox endpoint. */
export async function latestCode(messagesUrl: string, email: string): Promise<string> {
  const messages = (await (await fetch(`${messagesUrl}?to=${encodeURIComponent(email)}`)).json()) as Array<{ code: string }>
  const code = messages.at(-1)?.code
  if (!code) throw new Error(`The sandbox sent no code to ${email}`)
  return code
}
