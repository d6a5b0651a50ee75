/**
 * Writes `amplify_outputs.json` for the offline sandbox with Amplify's own generator
 * (`@aws-amplify/client-config`, what `ampx generate outputs` runs), so the file has exactly the
 * cloud format. The generator reads a deployed stack through CloudFormation and S3 clients; here it
 * gets stand-ins that answer from the synthesized root stack, with the sandbox's ids. The local
 * endpoints go in afterwards, so the generator's work can be kept across starts.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { CloudAssembly } from '../assembly'
import { readJsonIfExists, writeAtomically } from './fs'
import { localizeRestUrls } from '../rest/urls'
import type { OfflineSandboxOutputs } from './types'

/** Where the sandbox serves: what can change from one start to the next while the backend does not. */
export interface LocalEndpoints extends OfflineSandboxOutputs {
  graphqlUrl: string
  /** The local data API's key, when the definition has API-key auth: `data.api_key`. */
  apiKey?: string
  /** The REST APIs served at `restEndpoint`: their cloud URLs in `custom` (`custom.API`) become local ones. */
  restApiIds?: readonly string[]
}

type Outputs = Record<string, unknown>

const OUTPUT_BUCKET = 'offline-sandbox-assets'

/**
 * The parts of the backend (by the root stack's `AWS::Amplify::*` metadata) the sandbox serves: the
 * generator writes only these, so `amplify_outputs.json` never points the client at a service
 * nothing answers (storage, functions, REST...). A service that comes to be served adds its key.
 */
const SERVED_OUTPUTS = ['AWS::Amplify::Platform', 'AWS::Amplify::Auth', 'AWS::Amplify::GraphQL', 'AWS::Amplify::Storage', 'AWS::Amplify::Custom']
/** Bumped when what generateBackendOutputs writes for the same backend changes (it is cached). */
const OUTPUTS_FORMAT = 4

/**
 * The value a root-stack output takes once "deployed" with the sandbox's ids: literal outputs pass
 * through, the rest are evaluated by the assembly as a deploy would (ids, ARNs, JSON lists joined
 * from them). Undefined for one the assembly cannot evaluate: it is left out, and the generator
 * then omits what depends on it rather than parse a placeholder.
 */
function resolveOutput(key: string, value: unknown, assembly: CloudAssembly): string | undefined {
  if (typeof value === 'string') return value
  const { ids } = assembly
  switch (key) {
    case 'awsAppsyncApiEndpoint':
      // The cloud's URL for this id; withLocalEndpoints points `data.url` at the local API.
      return `https://${ids.apiId}.appsync-api.${ids.region}.amazonaws.com/graphql`
    case 'amplifyApiModelSchemaS3Uri':
      // Read back through the S3 stand-in below, whatever the bucket.
      return `s3://${OUTPUT_BUCKET}/model-schema.graphql`
  }
  try {
    const evaluated = assembly.evaluate(assembly.stacks[0]!, value, `Outputs.${key}`)
    return typeof evaluated === 'string' ? evaluated : undefined
  }
  catch {
    return undefined
  }
}

/** The outputs a deploy of this assembly would have, with the sandbox's ids and the cloud's endpoints. */
async function generateBackendOutputs(assembly: CloudAssembly): Promise<Outputs> {
  // About 1.5 s to load (it brings Amplify's codegen): only when the outputs are not cached.
  const { DEFAULT_CLIENT_CONFIG_VERSION, generateClientConfig } = await import('@aws-amplify/client-config')
  const outputs = Object.entries(assembly.outputs).flatMap(([OutputKey, { Value }]) => {
    const OutputValue = resolveOutput(OutputKey, Value, assembly)
    return OutputValue === undefined ? [] : [{ OutputKey, OutputValue }]
  })
  const metadata = Object.fromEntries(Object.entries((assembly.metadata ?? {}) as Record<string, unknown>).filter(([key]) => SERVED_OUTPUTS.includes(key)))
  const schema = outputs.some(o => o.OutputKey === 'amplifyApiModelSchemaS3Uri') ? await assembly.modelSchema() : ''

  // Only what the generator sends: the stack's metadata and outputs, and the model schema object.
  const cloudFormation = {
    send: async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'GetTemplateSummaryCommand') return { Metadata: JSON.stringify(metadata) }
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
  return (await generateClientConfig({ stackName: 'offline-sandbox' }, DEFAULT_CLIENT_CONFIG_VERSION, {
    getCloudFormationClient: () => cloudFormation,
    getS3Client: () => s3,
    getAmplifyClient: () => unavailable,
  } as unknown as Parameters<typeof generateClientConfig>[2])) as unknown as Outputs
}

/** Backend outputs pointed at the local endpoints, with the sandbox's own block in `custom`. */
export function withLocalEndpoints(backend: Outputs, endpoints: LocalEndpoints): Outputs {
  const { graphqlUrl, apiKey, restApiIds = [], ...sandbox } = endpoints
  const config = structuredClone(backend)
  if (config.data) {
    const data = config.data as { url: string, api_key?: string }
    data.url = graphqlUrl
    // The generator's value is the cloud key's id; the local API has its own key.
    if (apiKey) data.api_key = apiKey
  }
  // `backend.addOutput({ custom: { API: { … endpoint: restApi.url } } })`, read by the REST client.
  const custom = sandbox.restEndpoint && config.custom ? localizeRestUrls(config.custom, sandbox.restEndpoint, restApiIds) : config.custom
  config.custom = { ...(custom as object | undefined), offlineSandbox: sandbox }
  return config
}

export async function generateOutputs(assembly: CloudAssembly, endpoints: LocalEndpoints): Promise<Outputs> {
  return withLocalEndpoints(await generateBackendOutputs(assembly), endpoints)
}

/** Starts loading the generator in the background (while synth runs, the CPU has time for it). */
export function preloadOutputsGenerator(): void {
  import('@aws-amplify/client-config').catch(() => {})
}

interface CachedOutputs {
  /** A hash of everything the generator read: it is reused only for the same inputs. */
  input: string
  /** Of `outputs` as stored: a file changed since is regenerated, not served. */
  sha256: string
  outputs: Outputs
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The generator's version: new code may write the same backend differently. */
async function generatorVersion(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('@aws-amplify/client-config')
  const { version } = JSON.parse(await readFile(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }
  return version
}

/**
 * generateBackendOutputs, kept in `cacheDir`: loading the generator is most of a start whose synth
 * was reused, and its result only depends on the assembly's outputs and the ids. Each result is its
 * own file, named by the hash of what the generator read, so backends sharing a cache folder do not
 * overwrite each other's.
 */
export async function cachedBackendOutputs(assembly: CloudAssembly, cacheDir: string): Promise<{ outputs: Outputs, reused: boolean }> {
  const schema = await assembly.modelSchema().catch(() => '')
  const input = sha256(JSON.stringify([OUTPUTS_FORMAT, SERVED_OUTPUTS, await generatorVersion(), assembly.ids, assembly.outputs, assembly.metadata, schema]))
  const entryFile = outputsCacheEntry(cacheDir, input)
  const cached = await readJsonIfExists<CachedOutputs>(entryFile).catch(() => undefined)
  if (cached?.input === input && cached.outputs && cached.sha256 === sha256(JSON.stringify(cached.outputs))) return { outputs: cached.outputs, reused: true }
  const outputs = await generateBackendOutputs(assembly)
  const entry: CachedOutputs = { input, sha256: sha256(JSON.stringify(outputs)), outputs }
  await mkdir(cacheDir, { recursive: true })
  await writeAtomically(entryFile, JSON.stringify(entry), 0o644)
  return { outputs, reused: false }
}

/** Where cachedBackendOutputs keeps the outputs generated from `input` (a hash). */
export function outputsCacheEntry(cacheDir: string, input: string): string {
  return join(cacheDir, `${input.slice(0, 32)}.json`)
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
