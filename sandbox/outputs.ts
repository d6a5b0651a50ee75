/**
 * Writes `amplify_outputs.json` for the offline sandbox with Amplify's own generator
 * (`@aws-amplify/client-config`, what `ampx generate outputs` runs), so the file has exactly the
 * cloud format. The generator reads a deployed stack through CloudFormation and S3 clients; here it
 * gets stand-ins that answer from the synthesized root stack, with the local ids and endpoints.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_CLIENT_CONFIG_VERSION, generateClientConfig } from '@aws-amplify/client-config'
import { readJsonIfExists, writeAtomically } from './fs'
import type { CloudAssembly } from './synth'
import type { OfflineSandboxOutputs } from './types'

export interface LocalBackendValues {
  region: string
  userPoolId: string
  clientId: string
  apiId: string
  graphqlUrl: string
}

const OUTPUT_BUCKET = 'offline-sandbox-assets'

/** The value each root-stack output takes once "deployed" locally; literal outputs pass through. */
function resolveOutput(key: string, value: unknown, local: LocalBackendValues): string {
  if (typeof value === 'string') return value
  switch (key) {
    case 'region':
    case 'authRegion':
    case 'awsAppsyncRegion':
      return local.region
    case 'userPoolId':
      return local.userPoolId
    case 'webClientId':
    case 'oauthClientId':
      return local.clientId
    case 'awsAppsyncApiId':
      return local.apiId
    case 'awsAppsyncApiEndpoint':
      return local.graphqlUrl
    case 'amplifyApiModelSchemaS3Uri':
      return `s3://${OUTPUT_BUCKET}/model-schema.graphql`
    case 'identityPoolId':
      // Required by the output schema; removed again below, since no identity pool runs offline.
      return `${local.region}:00000000-0000-0000-0000-000000000000`
    default:
      // Something the sandbox does not emulate (storage, functions...): a visible placeholder.
      return `offline-sandbox-unavailable:${key}`
  }
}

/** Finds the synthesized model schema the data client's `model_introspection` is generated from. */
async function modelSchema(assembly: CloudAssembly): Promise<string> {
  const manifest = JSON.parse(await readFile(join(assembly.dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string, properties?: { file?: string } }>
  }
  for (const artifact of Object.values(manifest.artifacts)) {
    if (artifact.type !== 'cdk:asset-manifest' || !artifact.properties?.file) continue
    const assets = JSON.parse(await readFile(join(assembly.dir, artifact.properties.file), 'utf8')) as {
      files?: Record<string, { source: { path: string, packaging?: string } }>
    }
    for (const asset of Object.values(assets.files ?? {})) {
      if (asset.source.packaging !== 'zip' && asset.source.packaging !== undefined) continue
      try {
        return await readFile(join(assembly.dir, asset.source.path, 'model-schema.graphql'), 'utf8')
      }
      catch {
        // Not this asset.
      }
    }
  }
  throw new Error('The synthesized backend has no model-schema.graphql asset')
}

export async function generateOutputs(
  assembly: CloudAssembly,
  local: LocalBackendValues,
  sandbox: OfflineSandboxOutputs,
): Promise<Record<string, unknown>> {
  const outputs = Object.entries(assembly.root.Outputs ?? {}).map(([OutputKey, { Value }]) => ({
    OutputKey,
    OutputValue: resolveOutput(OutputKey, Value, local),
  }))
  const schema = outputs.some(o => o.OutputKey === 'amplifyApiModelSchemaS3Uri') ? await modelSchema(assembly) : ''

  // Only what the generator sends: the stack's metadata and outputs, and the model schema object.
  const cloudFormation = {
    send: async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'GetTemplateSummaryCommand') return { Metadata: JSON.stringify(assembly.root.Metadata) }
      if (command.constructor.name === 'DescribeStacksCommand') return { Stacks: [{ StackStatus: 'CREATE_COMPLETE', Outputs: outputs }] }
      throw new Error(`Offline sandbox: unexpected CloudFormation call ${command.constructor.name}`)
    },
  }
  const s3 = {
    send: async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'GetObjectCommand') return { Body: { transformToString: async () => schema } }
      throw new Error(`Offline sandbox: unexpected S3 call ${command.constructor.name}`)
    },
  }
  const unavailable = {
    send: async () => {
      throw new Error('Offline sandbox: the Amplify service is not emulated')
    },
  }
  const config = (await generateClientConfig({ stackName: 'offline-sandbox' }, DEFAULT_CLIENT_CONFIG_VERSION, {
    getCloudFormationClient: () => cloudFormation,
    getS3Client: () => s3,
    getAmplifyClient: () => unavailable,
  } as unknown as Parameters<typeof generateClientConfig>[2])) as unknown as Record<string, unknown>

  // The identity pool and IAM authorization are not emulated: advertising them would make the
  // client call AWS for credentials it cannot get offline.
  const data = config.data as { authorization_types?: string[] } | undefined
  if (data?.authorization_types) data.authorization_types = data.authorization_types.filter(t => t !== 'AWS_IAM')
  const auth = config.auth as Record<string, unknown> | undefined
  if (auth) {
    delete auth.identity_pool_id
    delete auth.unauthenticated_identities_enabled
  }

  config.custom = { ...(config.custom as object | undefined), offlineSandbox: sandbox }
  return config
}

/** True for an outputs file this sandbox wrote (anything else came from a cloud deploy or a person). */
function isOfflineSandboxOutputs(outputs: unknown): boolean {
  return typeof (outputs as { custom?: { offlineSandbox?: unknown } } | null)?.custom?.offlineSandbox === 'object'
}

export class CloudOutputsError extends Error {
  override name = 'CloudOutputsError'
}

/** Who wrote the outputs file at `path`: nobody yet, this sandbox, someone else, or nothing readable. */
export async function outputsOwner(path: string): Promise<'absent' | 'offline' | 'other' | 'invalid'> {
  let outputs: unknown
  try {
    outputs = await readJsonIfExists(path)
  }
  catch (error) {
    if (error instanceof SyntaxError) return 'invalid'
    throw error
  }
  if (outputs === undefined) return 'absent'
  return isOfflineSandboxOutputs(outputs) ? 'offline' : 'other'
}

/** Refuses to replace an `amplify_outputs.json` that the offline sandbox did not write. */
export async function assertOutputsReplaceable(path: string): Promise<void> {
  const owner = await outputsOwner(path)
  if (owner === 'other' || owner === 'invalid') {
    throw new CloudOutputsError(
      `${path} was not written by the offline sandbox (it looks like a cloud deploy's, from \`npx ampx sandbox\` `
      + 'or `ampx generate outputs`). The offline sandbox will not overwrite it. To work offline, move it '
      + 'away (e.g. `mv amplify_outputs.json amplify_outputs.cloud.json`) and start again; to use the cloud, '
      + 'just run the app.',
    )
  }
}

export async function writeOutputs(path: string, outputs: Record<string, unknown>): Promise<void> {
  await writeAtomically(path, `${JSON.stringify(outputs, null, 2)}\n`, 0o644)
}
