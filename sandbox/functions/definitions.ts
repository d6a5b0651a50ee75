/**
 * The backend's functions as the synthesized templates state them: what `defineFunction` (or the
 * developer's own CDK) made, with the bundle synth produced, its handler, runtime limits, role and
 * environment. CDK's custom-resource providers and Amplify's own deploy-time functions are not the
 * developer's and are left out. Pure reading of the assembly.
 */
import { existsSync, statSync } from 'node:fs'
import type { CloudAssembly, FoundResource } from '../assembly'

/** CDK's custom-resource providers and Amplify's deploy-time helpers, by the logical ids CDK gives them. */
const PROVIDER_FUNCTION = /Provider|CustomResource|BucketDeployment|^BucketNotificationsHandler|^AWS679f53fac002430cb0da5b7982bd2287|^LogRetention/

/** Lambda's defaults when a template leaves them out. */
const DEFAULT_TIMEOUT_SECONDS = 3
const DEFAULT_MEMORY_MB = 128

export interface FunctionDefinition {
  /** The name given in `amplify/` (`defineFunction({ name })`), else the logical id. */
  name: string
  /** What Lambda calls it (`FunctionName`, or the one CloudFormation would make up). */
  functionName: string
  arn: string
  logicalId: string
  runtime: string
  /** The bundle's folder in the assembly; undefined when the code is inline or not a folder. */
  codeDir?: string
  handler: string
  timeoutSeconds: number
  memoryMB: number
  roleArn?: string
  /** `Environment.Variables`, evaluated. */
  environment: Record<string, string>
}

const tagOf = (found: FoundResource, key: string): string | undefined => {
  const tags = found.resource.Properties?.Tags
  const value = Array.isArray(tags) ? (tags as Array<{ Key?: unknown, Value?: unknown }>).find(tag => tag.Key === key)?.Value : undefined
  return typeof value === 'string' ? value : undefined
}

/**
 * Whether a function is the developer's: what `defineFunction` or their own CDK made. Not CDK's
 * providers, nor Amplify's own (tagged with the data API's or user pool's name, e.g. the table manager).
 */
function isDevelopersFunction(assembly: CloudAssembly, found: FoundResource): boolean {
  const own = new Set([...assembly.resourcesOfType('AWS::AppSync::GraphQLApi'), ...assembly.resourcesOfType('AWS::Cognito::UserPool')]
    .map(resource => tagOf(resource, 'amplify:friendly-name')))
  const name = tagOf(found, 'amplify:friendly-name')
  if (name !== undefined) return !own.has(name)
  return !PROVIDER_FUNCTION.test(found.logicalId)
}

/** Every function of the developer's in the backend. */
export function functionDefinitions(assembly: CloudAssembly): FunctionDefinition[] {
  const definitions: FunctionDefinition[] = []
  for (const found of assembly.resourcesOfType('AWS::Lambda::Function')) {
    if (!isDevelopersFunction(assembly, found)) continue
    const property = (name: string): unknown => {
      try {
        return assembly.property(found.stack, found.logicalId, name)
      }
      catch {
        return undefined
      }
    }
    const code = (property('Code') ?? {}) as { S3Key?: unknown, ZipFile?: unknown }
    let codeDir: string | undefined
    if (typeof code.S3Key === 'string') {
      try {
        const path = assembly.assetPath(code.S3Key)
        if (existsSync(path) && statSync(path).isDirectory()) codeDir = path
      }
      catch {
        // Not in this assembly: the function is listed, and says so when invoked.
      }
    }
    const variables = ((property('Environment') as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {}
    const environment: Record<string, string> = {}
    for (const [key, value] of Object.entries(variables)) environment[key] = typeof value === 'string' ? value : JSON.stringify(value)
    const functionName = String(assembly.ref(found.stack, found.logicalId))
    definitions.push({
      name: tagOf(found, 'amplify:friendly-name') ?? (typeof property('FunctionName') === 'string' ? String(property('FunctionName')) : found.logicalId),
      functionName,
      arn: String(assembly.getAttribute(found.stack, found.logicalId, 'Arn')),
      logicalId: found.logicalId,
      runtime: String(property('Runtime') ?? ''),
      ...(codeDir ? { codeDir } : {}),
      handler: String(property('Handler') ?? 'index.handler'),
      timeoutSeconds: Number(property('Timeout') ?? DEFAULT_TIMEOUT_SECONDS),
      memoryMB: Number(property('MemorySize') ?? DEFAULT_MEMORY_MB),
      ...(typeof property('Role') === 'string' ? { roleArn: String(property('Role')) } : {}),
      environment,
    })
  }
  return definitions
}

/** The definition an ARN, a function name or a friendly name points at (Lambda accepts `name:qualifier` too). */
export function findFunction(definitions: readonly FunctionDefinition[], reference: string): FunctionDefinition | undefined {
  const unqualified = reference.startsWith('arn:') ? reference.split(':').slice(0, 7).join(':') : reference.split(':')[0]
  return definitions.find(fn => fn.arn === unqualified || fn.functionName === unqualified || fn.name === unqualified)
}
