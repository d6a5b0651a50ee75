/**
 * How the sandbox's commands (`npm run sandbox:group`, `npm run sandbox:invoke`) reach a running
 * sandbox as any AWS client would: the endpoint from the `amplify_outputs.json` it wrote, signed
 * with its admin credentials (`.amplify/sandbox/admin-credentials`). They import nothing else of
 * the sandbox.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { fromIni } from '@aws-sdk/credential-provider-ini'

/** Where the sandbox keeps its admin credentials (never in amplify_outputs.json, which browsers get). */
export const CREDENTIALS_FILE = join('.amplify', 'sandbox', 'admin-credentials')
export const PROFILE = 'amplify-sandbox'

/** A failure the user can act on: printed as one line, without a stack. */
export class CommandError extends Error {
  override name = 'CommandError'
}

export interface Outputs {
  auth?: { user_pool_id?: string, aws_region?: string }
  custom?: { offlineSandbox?: { userPoolEndpoint?: string, certificatePath?: string } }
}

/** The running sandbox's outputs, the user pool port's endpoint (Cognito, SSM, Lambda) and admin credentials for an AWS SDK client. */
export async function adminConnection(projectDir: string, cloudHint: string) {
  const outputsPath = resolve(projectDir, process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json')
  const shown = relative(projectDir, outputsPath) || outputsPath
  if (!existsSync(outputsPath)) throw new CommandError(`No ${shown}: start the offline sandbox first (npm run sandbox).`)
  let outputs: Outputs
  try {
    outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as Outputs
  }
  catch (error) {
    throw new CommandError(`${shown} is not valid JSON (${(error as Error).message}).`)
  }
  const endpoint = outputs.custom?.offlineSandbox?.userPoolEndpoint
  if (!endpoint) throw new CommandError(`${shown} is a cloud backend's, not the offline sandbox's: ${cloudHint}`)
  const credentials = join(projectDir, CREDENTIALS_FILE)
  if (!existsSync(credentials)) throw new CommandError(`No admin credentials at ${CREDENTIALS_FILE}: start the offline sandbox in this project (npm run sandbox).`)
  return {
    outputs,
    outputsPath,
    endpoint,
    region: outputs.auth?.aws_region ?? 'us-east-1',
    // The same file as config too, so a profile of that name in ~/.aws/config cannot mix in.
    credentials: fromIni({ filepath: credentials, configFilepath: credentials, profile: PROFILE }),
  }
}

/** One line for what went wrong talking to the sandbox; the stack only for what looks like a bug. */
export function explainAdminError(error: unknown): string {
  if (error instanceof CommandError) return error.message
  const { name, message, code, cause } = error as Error & { code?: string, cause?: { code?: string } }
  if (code === 'ECONNREFUSED' || cause?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return 'The offline sandbox is not running (its endpoint refused the connection): start it with npm run sandbox.'
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException'].includes(name)) {
    return `The sandbox refused the admin credentials in ${CREDENTIALS_FILE} (${name}: ${message}): restart the sandbox to write them again.`
  }
  if (name === 'ResourceNotFoundException') return `${message} Is amplify_outputs.json from the sandbox that is running?`
  return error instanceof Error && /Exception$/.test(name) ? `${name}: ${message}` : String((error as Error).stack ?? error)
}
