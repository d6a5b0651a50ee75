/**
 * `npm run sandbox`: starts the offline sandbox in the foreground, like `npx ampx sandbox` but local.
 */
import { realpathSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_AUTH_PORT, DEFAULT_DATA_PORT, SandboxStartError, startSandbox, type Sandbox } from './index'
import { CloudOutputsError } from './outputs'
import { SynthError } from './synth'
import type { SandboxMessage } from './types'

const usage = `Usage: npm run sandbox -- [options]

  --reset            wipe the sandbox's users and items first
  --no-watch         do not reload when amplify/ changes
  --auth-port <n>    user pool port (default ${DEFAULT_AUTH_PORT}, env SANDBOX_AUTH_PORT)
  --data-port <n>    GraphQL port (default ${DEFAULT_DATA_PORT}, env SANDBOX_DATA_PORT)
  --help             this text`

// What `npm run dev` (scripts/dev.ts) shares with this command, so both terminals read the same.

function port(value: string | undefined, fallback: number, flag: string, help: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new SandboxStartError(`${flag} must be a port number (0-65535), got "${value}"\n\n${help}`)
  return n
}

/** The sandbox's ports from `--auth-port` / `--data-port`, else SANDBOX_AUTH_PORT / SANDBOX_DATA_PORT, else the defaults. */
export function sandboxPorts(flags: { auth?: string, data?: string }, help = usage): { authPort: number, dataPort: number } {
  return {
    authPort: port(flags.auth ?? process.env.SANDBOX_AUTH_PORT, DEFAULT_AUTH_PORT, '--auth-port', help),
    dataPort: port(flags.data ?? process.env.SANDBOX_DATA_PORT, DEFAULT_DATA_PORT, '--data-port', help),
  }
}

export const printLog = (line: string) => console.log(`[sandbox] ${line}`)
export const printMessage = (m: SandboxMessage) => console.log(`[sandbox] ✉ ${m.kind} code for ${m.to}: ${m.code}`)

/** The block printed once the sandbox serves; its first line is what scripts and tests wait for. */
export function readyBlock(sandbox: Sandbox, projectDir: string, watching: boolean): string {
  const show = (path: string) => relative(projectDir, path) || '.'
  const realtime = sandbox.graphqlUrl.replace(/^http/, 'ws').replace(/\/graphql$/, '/graphql/realtime')
  return [
    '',
    `Offline sandbox ready in ${process.uptime().toFixed(1)} s`,
    `  User pool  ${sandbox.userPoolEndpoint}  (${sandbox.userPool.settings.userPoolId}, client ${sandbox.userPool.settings.clientId})`,
    `  GraphQL    ${sandbox.graphqlUrl}`,
    `  Realtime   ${realtime.replace(/^ws:/, 'wss:')}  (self-signed: ${show(sandbox.certificatePath)})`,
    `  Messages   ${sandbox.messagesUrl}  (sign-up and reset codes, also printed here)`,
    `  Outputs    ${show(sandbox.outputsPath)}`,
    `  Data       ${show(sandbox.dataDir)}  (wipe with: npm run sandbox -- --reset)`,
    watching ? 'Watching amplify/ for changes. Ctrl-C to stop.' : '',
    '',
  ].join('\n')
}

/**
 * Prints a failed start: the message alone when the user can act on it, the stack for a bug. Sets
 * the exit code rather than exiting, so stderr drains; a failed start closed what it had started.
 */
export function reportStartError(error: Error & { code?: string }, help = usage): void {
  if (error.code?.startsWith('ERR_PARSE_ARGS')) console.error(`\n${error.message}\n\n${help}\n`)
  else if (error instanceof CloudOutputsError || error instanceof SynthError || error instanceof SandboxStartError) console.error(`\n${error.message}\n`)
  else console.error(error)
  process.exitCode = 1
}

async function main(): Promise<void> {
  // The AWS SDK here only talks to the local DynamoDB store: its Node-version notice is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { values } = parseArgs({
    options: {
      'reset': { type: 'boolean', default: false },
      'no-watch': { type: 'boolean', default: false },
      'auth-port': { type: 'string' },
      'data-port': { type: 'string' },
      'help': { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const projectDir = process.cwd()
  const sandbox = await startSandbox({
    projectDir,
    reset: values.reset,
    watch: !values['no-watch'],
    ...sandboxPorts({ auth: values['auth-port'], data: values['data-port'] }),
    log: printLog,
    onMessage: printMessage,
  })
  console.log(readyBlock(sandbox, projectDir, !values['no-watch']))

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`[sandbox] ${signal}: stopping...`)
    sandbox.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`[sandbox] error while stopping: ${error.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

// Only as the command: scripts/dev.ts imports the pieces above.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: Error & { code?: string }) => reportStartError(error))
}
