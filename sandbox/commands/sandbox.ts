/**
 * `npm run sandbox`: starts the offline sandbox in the foreground, like `npx ampx sandbox` but local.
 */
import { realpathSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCommandLine, usage } from './args'
import { ADMIN_PROFILE } from '../iam'
import { startSandbox, type Sandbox } from '../index'
import { printLog, printMessage, reportStartError } from './terminal'

const help = usage('sandbox')

/**
 * The command that started this process, to be run again with `--reset`: npm names the script it
 * runs (`npm run dev` starts the sandbox too) in npm_lifecycle_event; `npx` and a bare `node` do not.
 */
export function startCommand(env: NodeJS.ProcessEnv = process.env): string {
  const script = env.npm_lifecycle_event
  return script && env.npm_command !== 'exec' && /^[\w:.-]+$/.test(script) ? `npm run ${script}` : 'npm run sandbox'
}

/** The block printed once the sandbox serves; its first line is what scripts and tests wait for. */
export function readyBlock(sandbox: Sandbox, projectDir: string, watching: boolean, command = startCommand()): string {
  const show = (path: string) => relative(projectDir, path) || '.'
  return [
    '',
    `Offline sandbox ready in ${process.uptime().toFixed(1)} s`,
    ...sandbox.summary(),
    `  Admin      AWS_SHARED_CREDENTIALS_FILE=${show(sandbox.adminCredentialsPath)} AWS_PROFILE=${ADMIN_PROFILE}  (signs admin calls; not in the outputs)`,
    `  Outputs    ${show(sandbox.outputsPath)}`,
    `  Data       ${show(sandbox.dataDir)}  (wipe with: ${command} -- --reset)`,
    `  Backend    ${sandbox.reusedSynth ? 'reused the last synth (amplify/ unchanged)' : 'synthesized from amplify/'}`,
    watching ? 'Watching amplify/ for changes. Ctrl-C to stop.' : '',
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  // The AWS SDK here only talks to the local DynamoDB store: its Node-version notice is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const args = parseCommandLine('sandbox', process.argv.slice(2))
  if (args.help) {
    console.log(help)
    return
  }
  const projectDir = process.cwd()
  const sandbox = await startSandbox({ projectDir, ...args.sandbox, log: printLog, onMessage: printMessage })
  console.log(readyBlock(sandbox, projectDir, args.sandbox.watch))

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

// Only as the command: scripts/dev.ts imports readyBlock.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => reportStartError(error, help))
}
