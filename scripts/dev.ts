/**
 * `npm run dev`: the offline sandbox and `nuxi dev` in one terminal, stopped together by Ctrl-C.
 * Next to a cloud `amplify_outputs.json` (from `npx ampx sandbox`) it runs `nuxi dev` alone on that backend.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { printLog, printMessage, readyBlock, reportStartError, sandboxPorts } from '../sandbox/cli'
import { DEFAULT_AUTH_PORT, DEFAULT_DATA_PORT, SandboxStartError, startSandbox, type Sandbox } from '../sandbox/index'
import { outputsOwner } from '../sandbox/outputs'

const usage = `Usage: npm run dev -- [options] [nuxi dev options]

  --reset            wipe the offline sandbox's users and items first
  --no-watch         do not reload the backend when amplify/ changes
  --auth-port <n>    user pool port (default ${DEFAULT_AUTH_PORT}, env SANDBOX_AUTH_PORT)
  --data-port <n>    GraphQL port (default ${DEFAULT_DATA_PORT}, env SANDBOX_DATA_PORT)
  --help             this text

Anything else goes to \`nuxi dev\` (e.g. --port 3001), which listens on 127.0.0.1:3000 by default.
The backend is the one amplify_outputs.json (or the file env AMPLIFY_OUTPUTS names) points at.`

/** After SIGTERM, how long nuxi gets to close before it is killed. */
const STOP_GRACE_MS = 10_000

interface DevArgs {
  reset: boolean
  watch: boolean
  authPort?: string
  dataPort?: string
  help: boolean
  nuxi: string[]
}

/** Takes the sandbox's own flags out; everything else is nuxi's, in order. */
function splitArgs(argv: string[]): DevArgs {
  const args: DevArgs = { reset: false, watch: true, help: false, nuxi: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      args.nuxi.push(...argv.slice(i + 1))
      break
    }
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (flag === '--reset') args.reset = true
    else if (flag === '--no-watch') args.watch = false
    else if (flag === '--help') args.help = true
    else if (flag === '--auth-port' || flag === '--data-port') {
      const value = flag === arg ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined) throw new SandboxStartError(`${flag} needs a port number\n\n${usage}`)
      if (flag === '--auth-port') args.authPort = value
      else args.dataPort = value
    }
    else args.nuxi.push(arg)
  }
  return args
}

/** True when the outputs file exists and the offline sandbox did not write it. */
async function isCloudOutputs(path: string): Promise<boolean> {
  const owner = await outputsOwner(path)
  if (owner === 'invalid') throw new SandboxStartError(`${path} is not valid JSON. Delete it to use the offline sandbox, or regenerate it from the cloud.`)
  return owner === 'other'
}

function spawnNuxiDev(projectDir: string, extra: string[]): ChildProcess {
  const pkg = createRequire(join(projectDir, 'package.json')).resolve('nuxt/package.json')
  const bin = join(dirname(pkg), (JSON.parse(readFileSync(pkg, 'utf8')) as { bin: Record<string, string> }).bin.nuxi!)
  const hostGiven = extra.some(a => a === '--host' || a.startsWith('--host=') || a === '-h')
  return spawn(process.execPath, [bin, 'dev', ...(hostGiven ? [] : ['--host', '127.0.0.1']), ...extra], {
    cwd: projectDir,
    stdio: 'inherit',
    // Its own process group, so one signal reaches nuxi and the dev-server forks it starts, and
    // nothing is left holding the port.
    detached: true,
  })
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal)
  }
  catch {
    // The group is already gone.
  }
}

/** Runs nuxi dev until it exits or a signal stops it; resolves with the exit code for this process. */
async function runNuxiDev(projectDir: string, extra: string[]): Promise<number> {
  const nuxi = spawnNuxiDev(projectDir, extra)
  const exited = new Promise<number | null>((resolve) => {
    nuxi.once('exit', code => resolve(code))
    nuxi.once('error', (error) => {
      console.error(`Could not start nuxi dev: ${error.message}`)
      resolve(1)
    })
  })

  let stopping = false
  const stop = () => {
    // Ctrl-C reaches this process twice under npm (from the terminal and forwarded by npm): once is enough.
    if (stopping) return
    stopping = true
    signalGroup(nuxi, 'SIGTERM')
    setTimeout(() => signalGroup(nuxi, 'SIGKILL'), STOP_GRACE_MS).unref()
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)

  const code = await exited
  // nuxi may exit before its forks do (a crash): they must not outlive it.
  signalGroup(nuxi, 'SIGTERM')
  if (stopping) return 0
  return code ?? 1
}

async function main(): Promise<number> {
  // The AWS SDK here only talks to the local DynamoDB store: its Node-version notice is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const args = splitArgs(process.argv.slice(2))
  if (args.help) {
    console.log(usage)
    return 0
  }
  const projectDir = process.cwd()
  // The same file nuxt.config.ts builds the app against.
  const outputsPath = resolve(projectDir, process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json')

  if (await isCloudOutputs(outputsPath)) {
    console.log(`Using the cloud backend in ${relative(projectDir, outputsPath)}: the offline sandbox is not started.`)
    return runNuxiDev(projectDir, args.nuxi)
  }

  const sandbox: Sandbox = await startSandbox({
    projectDir,
    outputsPath,
    reset: args.reset,
    watch: args.watch,
    ...sandboxPorts({ auth: args.authPort, data: args.dataPort }, usage),
    log: printLog,
    onMessage: printMessage,
  })
  console.log(readyBlock(sandbox, projectDir, args.watch))
  try {
    return await runNuxiDev(projectDir, args.nuxi)
  }
  finally {
    await sandbox.close()
  }
}

main().then(
  code => process.exit(code),
  (error: Error & { code?: string }) => reportStartError(error, usage),
)
