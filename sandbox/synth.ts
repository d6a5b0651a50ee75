/**
 * Runs the project's real backend definition (`amplify/backend.ts`) through CDK synth, offline, and
 * reads what the local stand-ins need from the resulting cloud assembly.
 */
import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { UserPoolSettings } from './types'

/** The context `ampx sandbox` passes to synth; it needs no AWS account or credentials. */
const SANDBOX_CONTEXT = {
  'amplify-backend-namespace': 'local',
  'amplify-backend-name': 'sandbox',
  'amplify-backend-type': 'sandbox',
}

export class SynthError extends Error {
  override name = 'SynthError'
}

/** Synthesizes `<projectDir>/amplify/backend.ts` into `outDir` (a fresh folder). */
export async function synthesize(projectDir: string, outDir: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('amplify', 'backend.ts')], {
    cwd: projectDir,
    env: { ...process.env, CDK_OUTDIR: outDir, CDK_CONTEXT_JSON: JSON.stringify(SANDBOX_CONTEXT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new SynthError(`Synth of amplify/backend.ts failed:\n${cleanSynthOutput(output)}`)
}

/** Keeps what tells the user what is wrong: drops CDK's deprecation noise and Node internals. */
function cleanSynthOutput(output: string): string {
  return output
    .split('\n')
    .filter(line => !/^\s+at .*(node:internal|node_modules)/.test(line))
    .filter(line => !/^\[WARNING\] aws-cdk-lib\./.test(line) && !/^\s+Use `addResourceDependency`/.test(line))
    .join('\n')
    .trim()
}

type CfnResource = { Type: string, Properties?: Record<string, unknown> }
type CfnTemplate = { Resources?: Record<string, CfnResource>, Outputs?: Record<string, { Value: unknown }>, Metadata?: unknown }

export interface CloudAssembly {
  dir: string
  /** The root stack's template: its Metadata and Outputs are what `ampx generate outputs` reads. */
  root: CfnTemplate
  /** Every template, root and nested. */
  templates: CfnTemplate[]
}

export async function readAssembly(dir: string): Promise<CloudAssembly> {
  const files = (await readdir(dir)).filter(f => f.endsWith('.template.json'))
  const rootFile = files.find(f => !f.endsWith('.nested.template.json'))
  if (!rootFile) throw new SynthError(`No stack template in ${dir}`)
  const read = async (f: string) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CfnTemplate
  return { dir, root: await read(rootFile), templates: await Promise.all(files.map(read)) }
}

function resourcesOfType(assembly: CloudAssembly, type: string): Record<string, unknown>[] {
  return assembly.templates.flatMap(t =>
    Object.values(t.Resources ?? {}).filter(r => r.Type === type).map(r => r.Properties ?? {}),
  )
}

/** Cognito's lifetimes when the client sets none: 60 min access/id, 30 days refresh. */
const DEFAULT_VALIDITY = { AccessToken: 60 * 60, IdToken: 60 * 60, RefreshToken: 30 * 24 * 60 * 60 }
const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 }
/** Units Cognito assumes when `TokenValidityUnits` is absent. */
const DEFAULT_UNITS = { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' }

export function userPoolSettings(
  assembly: CloudAssembly,
  ids: Pick<UserPoolSettings, 'region' | 'userPoolId' | 'clientId'>,
): UserPoolSettings | undefined {
  const [pool] = resourcesOfType(assembly, 'AWS::Cognito::UserPool')
  if (!pool) return undefined
  const clients = resourcesOfType(assembly, 'AWS::Cognito::UserPoolClient')
  // Amplify's web client is the one without a secret (a browser cannot keep one).
  const client = clients.find(c => !c.GenerateSecret) ?? {}
  const policy = ((pool.Policies as Record<string, unknown> | undefined)?.PasswordPolicy ?? {}) as Record<string, unknown>
  const template = (pool.VerificationMessageTemplate ?? {}) as Record<string, string>
  const units = { ...DEFAULT_UNITS, ...(client.TokenValidityUnits as Record<string, string> | undefined) }
  const validity = (key: keyof typeof DEFAULT_VALIDITY, prop: string) => {
    const value = client[prop]
    return typeof value === 'number' ? value * (UNIT_SECONDS[units[key]] ?? 1) : DEFAULT_VALIDITY[key]
  }
  return {
    ...ids,
    passwordPolicy: {
      minimumLength: Number(policy.MinimumLength ?? 8),
      requireLowercase: policy.RequireLowercase === true,
      requireUppercase: policy.RequireUppercase === true,
      requireNumbers: policy.RequireNumbers === true,
      requireSymbols: policy.RequireSymbols === true,
    },
    usernameAttributes: (pool.UsernameAttributes as string[] | undefined) ?? [],
    caseSensitive: (pool.UsernameConfiguration as { CaseSensitive?: boolean } | undefined)?.CaseSensitive ?? true,
    autoVerifiedAttributes: (pool.AutoVerifiedAttributes as string[] | undefined) ?? [],
    requiredAttributes: ((pool.Schema as Array<{ Name: string, Required?: boolean }> | undefined) ?? [])
      .filter(a => a.Required)
      .map(a => a.Name),
    explicitAuthFlows: (client.ExplicitAuthFlows as string[] | undefined) ?? [],
    preventUserExistenceErrors: client.PreventUserExistenceErrors === 'ENABLED',
    tokenValidity: {
      accessSeconds: validity('AccessToken', 'AccessTokenValidity'),
      idSeconds: validity('IdToken', 'IdTokenValidity'),
      refreshSeconds: validity('RefreshToken', 'RefreshTokenValidity'),
    },
    verificationEmail: {
      subject: template.EmailSubject ?? String(pool.EmailVerificationSubject ?? 'Your verification code'),
      message: template.EmailMessage ?? String(pool.EmailVerificationMessage ?? 'Your verification code is {####}'),
    },
  }
}
