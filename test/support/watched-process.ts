import type { ChildProcessWithoutNullStreams } from 'node:child_process'

/** A child process whose whole output is kept, so tests can wait for what it prints. */
export class WatchedProcess {
  output = ''
  readonly exited: Promise<number | null>

  constructor(protected readonly child: ChildProcessWithoutNullStreams, private readonly label: string) {
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk))
    this.exited = new Promise(resolve => child.once('close', code => resolve(code)))
  }

  /** Resolves with the first match of `pattern` in the output from `from` on. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = this.output.slice(from).match(pattern)
      if (match) return match
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`)
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${this.output}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}
