import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from './project'

/** `npm run sandbox` as a user runs it, in `cwd`, on free ports. */
export class SandboxProcess {
  output = ''
  private readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<number | null>

  constructor(cwd: string, args: string[] = []) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'cli.ts'), '--auth-port', '0', '--data-port', '0', ...args], {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0' },
    })
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += chunk))
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk))
    this.exited = new Promise(resolve => this.child.once('close', code => resolve(code)))
  }

  /** Resolves with the first match of `pattern` in the output from `from` on. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = this.output.slice(from).match(pattern)
      if (match) return match
      if (this.child.exitCode !== null) throw new Error(`sandbox exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`)
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${this.output}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
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
