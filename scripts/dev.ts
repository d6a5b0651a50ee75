/**
 * `npm run dev`: the offline sandbox and `nuxi dev` in one terminal, stopped together by Ctrl-C.
 * Next to a cloud `amplify_outputs.json` (from `npx ampx sandbox`) it runs `nuxi dev` alone on that backend.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { parseCommandLine, usage } from '../sandbox/commands/args'
import { readyBlock } from '../sandbox/commands/sandbox'
import { SandboxStartError, startSandbox, type Sandbox } from '../sandbox/index'
import { outputsOwner } from '../sandbox/core/outputs'
import { printLog, printMessage, reportStartError } from '../sandbox/commands/terminal'

const help = usage('dev')

/** After SIGTERM, how long nuxi gets to close before it is killed. */
const STOP_GRACE_MS = 10_000

/** True when the outputs file exists and the offline sandbox did not write it. */
async function isCloudOutputs(path: string): Promise<boolean> {
  const owner = await outputsOwner(path)
  if (owner === 'invalid') throw new SandboxStartError(`${path} is not valid JSON. Delete it to use the offline sandbox, or regenerate it from the cloud.`)
  return owner === 'other'
}

function spawnNuxiDev(projectDir: string, extra: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const pkg = createRequire(join(projectDir, 'package.json')).resolve('nuxt/package.json')
  const bin = join(dirname(pkg), (JSON.parse(readFileSync(pkg, 'utf8')) as { bin: Record<string, string> }).bin.nuxi!)
  const hostGiven = extra.some(a => a === '--host' || a.startsWith('--host=') || a === '-h')
  return spawn(process.execPath, [bin, 'dev', ...(hostGiven ? [] : ['--host', '127.0.0.1']), ...extra], {
    cwd: projectDir,
    env: { ...process.env, ...env },
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
async function runNuxiDev(projectDir: string, extra: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const nuxi = spawnNuxiDev(projectDir, extra, env)
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
  const args = parseCommandLine('dev', process.argv.slice(2))
  if (args.help) {
    console.log(help)
    return 0
  }
  const projectDir = process.cwd()
  // The same file nuxt.config.ts builds the app against.
  const outputsPath = resolve(projectDir, process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json')

  if (await isCloudOutputs(outputsPath)) {
    console.log(`Using the cloud backend in ${relative(projectDir, outputsPath)}: the offline sandbox is not started.`)
    return runNuxiDev(projectDir, args.nuxi)
  }

  const sandbox: Sandbox = await startSandbox({ projectDir, outputsPath, ...args.sandbox, log: printLog, onMessage: printMessage })
  console.log(readyBlock(sandbox, projectDir, args.sandbox.watch))
  try {
    // Server rendering reaches the sandbox's Storage over https (the only way aws-amplify takes a
    // custom S3 endpoint): the dev server trusts the sandbox's own certificate, and nothing else new.
    return await runNuxiDev(projectDir, args.nuxi, { NODE_EXTRA_CA_CERTS: sandbox.certificatePath })
  }
  finally {
    await sandbox.close()
  }
}

main().then(
  code => process.exit(code),
  (error: Error) => reportStartError(error, help),
)
