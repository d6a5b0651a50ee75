import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from './project'
import { freePorts, testSynthCacheEnv } from './started-sandbox'
import { WatchedProcess } from './watched-process'

/** The flags that put every service of `npm run sandbox` on a free port (`--auth-port 0` ...). */
export function freePortFlags(): string[] {
  return Object.entries(freePorts()).flatMap(([name, port]) => [`--${name}-port`, String(port)])
}

/** `npm run sandbox` as a user runs it, in `cwd`, on free ports. */
export class SandboxProcess extends WatchedProcess {
  constructor(cwd: string, args: string[] = []) {
    super(spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'sandbox.ts'), ...freePortFlags(), ...args], {
      cwd,
      env: { ...process.env, ...testSynthCacheEnv, FORCE_COLOR: '0' },
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
