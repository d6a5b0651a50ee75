import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from './project'
import { WatchedProcess } from './watched-process'

/** `npm run sandbox` as a user runs it, in `cwd`, on free ports. */
export class SandboxProcess extends WatchedProcess {
  constructor(cwd: string, args: string[] = []) {
    super(spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'sandbox.ts'), '--auth-port', '0', '--data-port', '0', '--storage-port', '0', '--rest-port', '0', ...args], {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0' },
    }), 'sandbox')
  }

  /** Seconds the sandbox reported for its start. */
  async ready(): Promise<number> {
    return Number((await this.waitFor(/Offline sandbox ready in ([\d.]+) s/))[1])
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal)
    return this.exited
  }
}
