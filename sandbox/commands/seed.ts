/**
 * `npm run sandbox:seed`: runs `amplify/seed/seed.ts` against the running offline sandbox, as
 * `npx ampx sandbox seed` runs it against a cloud sandbox. The script's `@aws-amplify/seed` calls
 * reach the offline one (sandbox/seed/offline-seed.ts); its `aws-amplify` calls go to the sandbox
 * through the amplify_outputs.json it configures with; an AWS SDK client it makes itself finds the
 * sandbox's Cognito, SSM and Lambda endpoint and admin credentials in the environment, as one in
 * the cloud finds the deployer's.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { adminConnection, CommandError, CREDENTIALS_FILE, explainAdminError, PROFILE, type Outputs } from './admin-connection'

const USAGE = `Usage: npm run sandbox:seed

Runs amplify/seed/seed.ts against the running offline sandbox (npm run sandbox or npm run dev), with
the same @aws-amplify/seed calls that npx ampx sandbox seed makes against the cloud: create users,
sign in as them, then create data and files as them with aws-amplify.`

export const SEED_SCRIPT = join('amplify', 'seed', 'seed.ts')

/** Where a running sandbox is, for the seed script: its outputs, admin credentials and data folder. */
export interface SeedTarget {
  outputsPath: string
  /** The AWS shared credentials file (profile amplify-sandbox) that signs admin calls. */
  credentialsPath: string
  dataDir: string
}

/**
 * Runs `script` (an `amplify/seed/seed.ts`) against the sandbox `target` names: its
 * `@aws-amplify/seed` calls reach the offline one, and an AWS SDK client it makes itself finds the
 * sandbox's Cognito, SSM and Lambda endpoint and admin credentials in the environment. Resolves with
 * the script's exit code; its output goes where this process's goes.
 */
export async function runSeed(script: string, target: SeedTarget, cwd: string): Promise<number> {
  const outputs = JSON.parse(await readFile(target.outputsPath, 'utf8')) as Outputs
  const endpoint = outputs.custom?.offlineSandbox?.userPoolEndpoint
  if (!endpoint) throw new CommandError(`${target.outputsPath} is not the offline sandbox's`)
  const certificate = outputs.custom?.offlineSandbox?.certificatePath
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AMPLIFY_OUTPUTS: target.outputsPath,
    SANDBOX_SEED_OUTPUTS: target.outputsPath,
    SANDBOX_SEED_DATA_DIR: target.dataDir,
    AWS_SHARED_CREDENTIALS_FILE: target.credentialsPath,
    AWS_CONFIG_FILE: target.credentialsPath,
    AWS_PROFILE: PROFILE,
    AWS_REGION: outputs.auth?.aws_region ?? 'us-east-1',
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint,
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_ENDPOINT_URL_LAMBDA: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Files and live updates come over TLS with the sandbox's own certificate.
    ...(certificate ? { NODE_EXTRA_CA_CERTS: certificate } : {}),
  }
  const register = fileURLToPath(new URL('../seed/register.mjs', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', register, script], { cwd, env, stdio: 'inherit' })
  return new Promise<number>(done => child.once('close', (status, signal) => done(status ?? (signal ? 1 : 0))))
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    return
  }
  if (argv.length > 0) {
    console.error(USAGE)
    process.exitCode = 1
    return
  }
  const projectDir = resolve(process.cwd())
  const script = join(projectDir, SEED_SCRIPT)
  let target: SeedTarget
  try {
    if (!existsSync(script)) throw new CommandError(`No ${SEED_SCRIPT}: write one with @aws-amplify/seed (see the README's Seed section).`)
    const { outputsPath, endpoint } = await adminConnection(projectDir, 'against a cloud sandbox, run npx ampx sandbox seed.')
    // A sandbox that is not running answers nothing: say so in one line, before the script starts.
    await fetch(endpoint, { method: 'OPTIONS', signal: AbortSignal.timeout(5_000) })
    target = { outputsPath, credentialsPath: join(projectDir, CREDENTIALS_FILE), dataDir: join(projectDir, '.amplify', 'sandbox') }
  }
  catch (error) {
    console.error(explainAdminError(error))
    process.exitCode = 1
    return
  }
  const code = await runSeed(script, target, projectDir)
  if (code === 0) console.log(`Seeded the offline sandbox from ${SEED_SCRIPT}.`)
  else console.error(`${SEED_SCRIPT} failed (exit code ${code}); what it did before that stays in the sandbox.`)
  process.exitCode = code
}

// Run as the command, not when the screenshot script imports runSeed.
if (import.meta.url === `file://${process.argv[1]}`) await main()
