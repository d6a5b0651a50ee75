import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PORTS, startSandbox, type PortName, type Sandbox, type SandboxOptions } from '../../sandbox'
import type { SandboxMessage } from '../../sandbox/core/types'
import { projectRoot } from './project'

/**
 * The synth cache every test sandbox shares (under the ignored `.amplify/`): entries are keyed by
 * content, so a backend synthesized once by any test file or run is not synthesized again.
 */
export const testSynthCacheDir = join(projectRoot, '.amplify', 'test', 'synth-cache')
/** Every backend of the tests fits, so a second run synthesizes none of them again. */
export const TEST_SYNTH_CACHE_ENTRIES = 32
/** The same cache for a sandbox the tests run as a command (`npm run sandbox`, `npm run dev`). */
export const testSynthCacheEnv = { SANDBOX_SYNTH_CACHE: testSynthCacheDir, SANDBOX_SYNTH_CACHE_ENTRIES: String(TEST_SYNTH_CACHE_ENTRIES) }

/** Every service's port, each 0 (a free one): the one place the tests name the sandbox's ports. */
export function freePorts(): Record<PortName, number> {
  return Object.fromEntries(PORTS.map(port => [port.name, 0])) as Record<PortName, number>
}

/** What a test may set; `ports` overrides some of the free ones (a restart on the same auth port). */
export type TestSandboxOptions = Omit<SandboxOptions, 'ports' | 'watch' | 'synthCacheDir' | 'synthCacheEntries'> & { ports?: Partial<Record<PortName, number>> }

export interface TestSandbox {
  sandbox: Sandbox
  /** Closes the sandbox and removes the folder made for it (not a `dataDir` the test passed). */
  stop(): Promise<void>
}

/**
 * A sandbox on free ports for the project (or `projectDir`, a scratch project), its data and outputs
 * in a temporary folder unless the test names them, without a watcher (tests call `reload()`), and
 * on the shared synth cache.
 */
export async function startTestSandbox(options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const work = await mkdtemp(join(tmpdir(), 'sandbox-test-'))
  try {
    const sandbox = await startSandbox({
      projectDir: projectRoot,
      dataDir: join(work, 'data'),
      outputsPath: join(work, 'amplify_outputs.json'),
      ...options,
      ports: { ...freePorts(), ...options.ports },
      watch: false,
      synthCacheDir: testSynthCacheDir,
      synthCacheEntries: TEST_SYNTH_CACHE_ENTRIES,
    })
    return {
      sandbox,
      async stop() {
        await sandbox.close()
        await rm(work, { recursive: true, force: true })
      },
    }
  }
  catch (error) {
    await rm(work, { recursive: true, force: true })
    throw error
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
