import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Sandbox } from '../../sandbox'
import { projectRoot } from './project'
import { startTestSandbox, type TestSandboxOptions } from './started-sandbox'

export interface BuildOptions {
  /** Another Nitro preset than the node server (e.g. `aws_amplify`). */
  preset?: string
  /** App plugins to build with another file in their place: project-relative path to replacement path. */
  replacePlugins?: Record<string, string>
  /** Nitro plugins (project-relative paths, `server/plugins/…`) to leave out of the build. */
  removeServerPlugins?: string[]
}

/**
 * A production build of the app against `outputsFile`, into `dir/.output` (see nuxt-build.ts).
 * Resolves with the output folder. With `written`, Nuxt loads meanwhile and the build starts once it
 * resolves (the outputs file is in place); if it rejects, the build stops and rejects with it.
 */
export async function buildApp(outputsFile: string, dir: string, options: BuildOptions = {}, written?: Promise<unknown>): Promise<string> {
  const args = [join(projectRoot, 'test/support/nuxt-build.ts'), dir, JSON.stringify(options), ...(written ? ['--after-stdin'] : [])]
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...process.env, AMPLIFY_OUTPUTS: outputsFile, NODE_ENV: 'production', FORCE_COLOR: '0' },
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  // A build that failed while Nuxt loaded has closed its stdin before the outputs are written.
  child.stdin.on('error', () => {})
  let abandoned: { reason: unknown } | undefined
  written?.then(() => child.stdin.end(), (reason: unknown) => {
    abandoned = { reason }
    child.kill()
  })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  if (abandoned) throw abandoned.reason
  if (code !== 0) throw new Error(`The app's build failed (${code}):\n${output}`)
  return join(dir, '.output')
}

/** Where an Amplify Hosting build's server starts: the compute resource its deploy manifest names. */
export function hostingEntry(outputDir: string): string {
  const manifest = JSON.parse(readFileSync(join(outputDir, 'deploy-manifest.json'), 'utf8')) as { computeResources?: Array<{ name: string, entrypoint: string }> }
  const compute = manifest.computeResources?.[0]
  if (!compute) throw new Error(`${outputDir}/deploy-manifest.json names no compute resource`)
  return join(outputDir, 'compute', compute.name, compute.entrypoint)
}

/**
 * Loaded before a Hosting build's entry: Nitro's aws_amplify runtime listens on port 3000 on every
 * interface (what Hosting's compute expects) and reads no HOST or PORT. Here its server takes a free
 * loopback port instead and says which, before the runtime's own "localhost:3000" line.
 */
const LOOPBACK_LISTEN = `data:text/javascript,${encodeURIComponent(`
import { Server } from 'node:http'
const listen = Server.prototype.listen
Server.prototype.listen = function (...args) {
  const callback = args.find(arg => typeof arg === 'function')
  return listen.call(this, 0, '127.0.0.1', () => {
    console.log('Listening on http://127.0.0.1:' + this.address().port)
    callback?.()
  })
}
`)}`

/**
 * The built app's own server on a free loopback port: `node .output/server/index.mjs` for a
 * node-server build, the compute entry point of an aws_amplify build (what Hosting runs).
 */
export class AppServer {
  output = ''
  readonly url: Promise<string>
  private readonly child: ChildProcess

  /** `node` is the Node.js executable that runs it: this process's unless the benchmark names another. */
  constructor(outputDir: string, env: Record<string, string> = {}, node = process.execPath) {
    const args = existsSync(join(outputDir, 'deploy-manifest.json'))
      ? ['--import', LOOPBACK_LISTEN, hostingEntry(outputDir)]
      : [join(outputDir, 'server/index.mjs')]
    this.child = spawn(node, args, {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NITRO_HOST: '127.0.0.1', NITRO_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.url = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The app server did not start in 30 s:\n${this.output}`)), 30_000)
      const onData = (chunk: Buffer) => {
        this.output += chunk
        const match = this.output.match(/Listening on (http:\/\/\S+?)\/?\s/)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!.replace('[::1]', '127.0.0.1'))
        }
      }
      this.child.stdout!.on('data', onData)
      this.child.stderr!.on('data', onData)
      this.child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`The app server exited (${code}):\n${this.output}`))
      })
    })
  }

  /** The server's process id (the benchmark reads its CPU time). */
  get pid(): number {
    return this.child.pid!
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
  }
}

/**
 * One offline sandbox on free ports, one production build of the app against it (in a scratch
 * folder under `.amplify/<folder>/`; `options.preset: 'aws_amplify'` builds what Hosting deploys),
 * and that build's server: what the e2e tier, the benchmark and the screenshot script all run
 * against. `outputDir` is the build. `stop()` ends and deletes all of it.
 */
export async function startBuiltApp(folder = 'test', options: BuildOptions = {}, sandboxOptions: TestSandboxOptions = {}): Promise<{ baseUrl: string, outputDir: string, sandbox: Sandbox, server: AppServer, stop(): Promise<void> }> {
  const parent = join(projectRoot, '.amplify', folder)
  await mkdir(parent, { recursive: true })
  const work = await mkdtemp(join(parent, 'app-'))
  // Nuxt loads while the sandbox starts; the build then reads a copy of the sandbox's outputs.
  const outputsFile = join(work, 'amplify_outputs.json')
  const starting = startTestSandbox(sandboxOptions)
  const written = starting.then(({ sandbox }) => copyFile(sandbox.outputsPath, outputsFile))
  const [started, built] = await Promise.allSettled([starting, buildApp(outputsFile, work, options, written)])
  let server: AppServer | undefined
  const stop = async () => {
    await server?.stop()
    if (started.status === 'fulfilled') await started.value.stop()
    await rm(work, { recursive: true, force: true })
  }
  try {
    if (started.status === 'rejected') throw started.reason
    if (built.status === 'rejected') throw built.reason
    const { sandbox } = started.value
    // Server rendering reaches the sandbox's Storage over https: trust its certificate, as `npm run dev` does.
    server = new AppServer(built.value, { NODE_EXTRA_CA_CERTS: sandbox.certificatePath })
    return { baseUrl: await server.url, outputDir: built.value, sandbox, server, stop }
  }
  catch (error) {
    await stop()
    throw error
  }
}
