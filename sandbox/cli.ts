/**
 * `npm run sandbox`: starts the offline sandbox in the foreground, like `npx ampx sandbox` but local.
 */
import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_AUTH_PORT, DEFAULT_DATA_PORT, SandboxStartError, startSandbox } from './index'
import { CloudOutputsError } from './outputs'
import { SynthError } from './synth'

const usage = `Usage: npm run sandbox -- [options]

  --reset            wipe the sandbox's users and items first
  --no-watch         do not reload when amplify/ changes
  --auth-port <n>    user pool port (default ${DEFAULT_AUTH_PORT}, env SANDBOX_AUTH_PORT)
  --data-port <n>    GraphQL port (default ${DEFAULT_DATA_PORT}, env SANDBOX_DATA_PORT)
  --help             this text`

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new SandboxStartError(`${flag} must be a port number (0-65535), got "${value}"\n\n${usage}`)
  return n
}

async function main(): Promise<void> {
  // The AWS SDK here only talks to the local DynamoDB store: its Node-version notice is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { values } = parseArgs({
    options: {
      reset: { type: 'boolean', default: false },
      'no-watch': { type: 'boolean', default: false },
      'auth-port': { type: 'string' },
      'data-port': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const projectDir = process.cwd()
  const show = (path: string) => relative(projectDir, path) || '.'
  const sandbox = await startSandbox({
    projectDir,
    reset: values.reset,
    watch: !values['no-watch'],
    authPort: port(values['auth-port'] ?? process.env.SANDBOX_AUTH_PORT, DEFAULT_AUTH_PORT, '--auth-port'),
    dataPort: port(values['data-port'] ?? process.env.SANDBOX_DATA_PORT, DEFAULT_DATA_PORT, '--data-port'),
    log: (line) => console.log(`[sandbox] ${line}`),
    onMessage: (m) => console.log(`[sandbox] ✉ ${m.kind} code for ${m.to}: ${m.code}`),
  })
  const ready = process.uptime()
  const realtime = sandbox.graphqlUrl.replace(/^http/, 'ws').replace(/\/graphql$/, '/graphql/realtime')
  console.log(
    [
      '',
      `Offline sandbox ready in ${ready.toFixed(1)} s`,
      `  User pool  ${sandbox.userPoolEndpoint}  (${sandbox.userPool.settings.userPoolId}, client ${sandbox.userPool.settings.clientId})`,
      `  GraphQL    ${sandbox.graphqlUrl}`,
      `  Realtime   ${realtime.replace(/^ws:/, 'wss:')}  (self-signed: ${show(sandbox.certificatePath)})`,
      `  Messages   ${sandbox.messagesUrl}  (sign-up and reset codes, also printed here)`,
      `  Outputs    ${show(sandbox.outputsPath)}`,
      `  Data       ${show(sandbox.dataDir)}  (wipe with: npm run sandbox -- --reset)`,
      values['no-watch'] ? '' : 'Watching amplify/ for changes. Ctrl-C to stop.',
      '',
    ].join('\n'),
  )

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

main().catch((error: Error & { code?: string }) => {
  if (error.code?.startsWith('ERR_PARSE_ARGS')) console.error(`\n${error.message}\n\n${usage}\n`)
  else if (error instanceof CloudOutputsError || error instanceof SynthError || error instanceof SandboxStartError) console.error(`\n${error.message}\n`)
  else console.error(error)
  // exitCode, not exit(): let stderr drain. Everything started was closed by the failed start.
  process.exitCode = 1
})
