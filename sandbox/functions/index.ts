/**
 * The backend's functions, run locally from the bundles synth produced (./runtime.ts runs each in
 * a process of its own). This module gives each the environment the cloud would: its own
 * variables, `AWS_REGION`, credentials for its role issued by the sandbox's IAM, and
 * `AWS_ENDPOINT_URL_*` pointing the AWS SDK at the local services, so the docs' patterns
 * (AdminAddUserToGroup in a trigger, secrets and resource references read from SSM by the bundle's
 * own start-up code) run unchanged. A secret the function needs but nobody set fails its calls
 * with the secret's name, before the handler runs.
 */
import type { CloudAssembly } from '../assembly'
import type { Clock } from '../core/clock'
import type { IssuedCredentials, SandboxIam } from '../iam'
import { secretNameOf, type ParameterStore } from '../ssm'
import { findFunction, functionDefinitions, type FunctionDefinition } from './definitions'
import { createLambdaRuntime, runtimeVersionNote, type InvokeResult, type LambdaFunctionConfig, type LambdaRuntime } from './runtime'
import { scheduleDefinitions, startSchedules } from './schedules'

export type { FunctionDefinition } from './definitions'
export type { InvokeResult } from './runtime'

export interface FunctionEndpoints {
  /** The user pool's port: Cognito, Cognito Identity and SSM answer there. */
  userPoolEndpoint: string
  /** `127.0.0.1:<port>` of the local S3 (TLS). */
  storageEndpoint: string
  graphqlUrl: string
  certificatePath: string
}

export interface LocalFunctions {
  /** Runs a function by ARN, name or friendly name; an unknown one is an error result, not a throw. */
  invoke(reference: string, event: unknown): Promise<InvokeResult>
  has(reference: string): boolean
  definitions(): readonly FunctionDefinition[]
  /** A new backend: functions whose bundle or settings changed start cold. */
  reload(assembly: CloudAssembly): Promise<void>
  close(): Promise<void>
}

/** Issued credentials are renewed this long before they expire (the process restarts with them). */
const RENEW_BEFORE_MS = 5 * 60_000

export interface CreateFunctionsOptions {
  assembly: CloudAssembly
  iam: SandboxIam
  parameters: ParameterStore
  endpoints: FunctionEndpoints
  /** Bare imports a bundle left external (Lambda provides `@aws-sdk/*`) resolve from here: the project. */
  projectDir: string
  log: (line: string) => void
  runtime?: LambdaRuntime
  /** What schedules fire by (the system clock unless a test moves its own). */
  clock?: Clock
}

export function createFunctions(options: CreateFunctionsOptions): LocalFunctions {
  const { iam, parameters, endpoints, projectDir } = options
  const runtime = options.runtime ?? createLambdaRuntime({ log: options.log })
  const region = options.assembly.ids.region
  /** The cloud URL of the data API, as synth's references name it, and the local one that stands in. */
  const cloudGraphqlUrl = `https://${options.assembly.ids.apiId}.appsync-api.${region}.amazonaws.com/graphql`
  let definitions = functionDefinitions(options.assembly)
  const credentials = new Map<string, IssuedCredentials>()
  const versionNote = runtimeVersionNote(definitions.map(definition => definition.runtime))
  if (versionNote) options.log(versionNote)

  const localize = (value: string) => value === cloudGraphqlUrl ? endpoints.graphqlUrl : value
  const readParameters = (assembly: CloudAssembly) => {
    const found = new Map<string, string>()
    for (const parameter of assembly.resourcesOfType('AWS::SSM::Parameter')) {
      try {
        const name = assembly.property(parameter.stack, parameter.logicalId, 'Name')
        const value = assembly.property(parameter.stack, parameter.logicalId, 'Value')
        if (typeof name === 'string' && typeof value === 'string') found.set(name, localize(value))
      }
      catch {
        // A parameter whose value the sandbox cannot evaluate is not served: the function reads it as missing.
      }
    }
    parameters.setParameters(found)
  }
  readParameters(options.assembly)

  async function credentialsFor(definition: FunctionDefinition): Promise<IssuedCredentials | undefined> {
    if (!definition.roleArn) return undefined
    const held = credentials.get(definition.arn)
    if (held && held.roleArn === definition.roleArn && held.expiresAt - Date.now() > RENEW_BEFORE_MS) return held
    const issued = await iam.issue({ roleArn: definition.roleArn, sessionName: definition.functionName })
    credentials.set(definition.arn, issued)
    return issued
  }

  /** The secret a function needs that nobody set offline, with the variable it would fill. */
  function missingSecret(definition: FunctionDefinition): { secret: string, variable: string } | undefined {
    let config: Record<string, { path?: string, sharedPath?: string }>
    try {
      config = JSON.parse(definition.environment.AMPLIFY_SSM_ENV_CONFIG ?? '{}') as typeof config
    }
    catch {
      return undefined
    }
    for (const [variable, { path, sharedPath }] of Object.entries(config)) {
      const secret = path ? secretNameOf(path) : undefined
      if (!secret) continue
      if (parameters.lookup(path!) === undefined && (!sharedPath || parameters.lookup(sharedPath) === undefined)) return { secret, variable }
    }
    return undefined
  }

  async function configOf(definition: FunctionDefinition): Promise<LambdaFunctionConfig> {
    const issued = await credentialsFor(definition)
    const storage = `https://${endpoints.storageEndpoint}`
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(definition.environment).map(([key, value]) => [key, localize(value)])),
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      ...(issued ? { AWS_ACCESS_KEY_ID: issued.accessKeyId, AWS_SECRET_ACCESS_KEY: issued.secretAccessKey, AWS_SESSION_TOKEN: issued.sessionToken } : {}),
      // The AWS SDK's service-specific endpoints (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_SSM: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_S3: storage,
      NODE_EXTRA_CA_CERTS: endpoints.certificatePath,
    }
    return {
      name: definition.name,
      functionName: definition.functionName,
      codeDir: definition.codeDir!,
      handler: definition.handler,
      timeoutSeconds: definition.timeoutSeconds,
      memoryMB: definition.memoryMB,
      env,
      resolveFrom: projectDir,
    }
  }

  const failure = (errorType: string, errorMessage: string): InvokeResult => ({ ok: false, error: { errorType, errorMessage }, durationMs: 0 })

  async function invoke(reference: string, event: unknown): Promise<InvokeResult> {
    const definition = findFunction(definitions, reference)
    if (!definition) return failure('ResourceNotFoundException', `Function not found: ${reference}`)
    if (!definition.runtime.startsWith('nodejs')) return failure('Runtime.Unsupported', `Function ${definition.name} uses ${definition.runtime || 'an unknown runtime'}: the offline sandbox runs Node.js functions only`)
    if (!definition.codeDir) return failure('Runtime.CodeNotFound', `Function ${definition.name} has no bundle in the synthesized backend`)
    const missing = missingSecret(definition)
    if (missing) {
      return failure('SecretNotSet', `Function ${definition.name} needs secret ${missing.secret} (for ${missing.variable}), which is not set offline: npm run sandbox:secret -- set ${missing.secret}`)
    }
    return runtime.invoke(await configOf(definition), event)
  }

  const schedules = startSchedules({
    log: options.log,
    clock: options.clock,
    fire(target, event, schedule) {
      invoke(target, event).then((result) => {
        const name = findFunction(definitions, target)?.name ?? target
        if (!result.ok) options.log(`[${name}] schedule ${schedule.expression} failed: ${result.error.errorType}: ${result.error.errorMessage}`)
      }, () => {})
    },
  })
  schedules.update(scheduleDefinitions(options.assembly))

  return {
    has: reference => findFunction(definitions, reference) !== undefined,
    definitions: () => definitions,
    invoke,
    async reload(assembly) {
      definitions = functionDefinitions(assembly)
      readParameters(assembly)
      const current = await Promise.all(definitions.filter(fn => fn.codeDir).map(configOf))
      await runtime.retain(current)
      schedules.update(scheduleDefinitions(assembly))
    },
    async close() {
      schedules.close()
      await runtime.close()
    },
  }
}
