/**
 * What of a data API the local one does not serve (../core/unserved.ts gathers every service's
 * lines): authorization modes, data sources it cannot run (and the fields that use them), the cache.
 */
import type { AssemblyReader, FoundResource } from '../core/unserved'

/**
 * Data source types the local API executes, with VTL or APPSYNC_JS resolvers alike (Lambda ones by
 * running the backend's own Node.js functions); any other fails its fields with UnsupportedOperation.
 */
const EXECUTED_DATA_SOURCES = new Set(['NONE', 'AMAZON_DYNAMODB', 'AWS_LAMBDA'])
const DATA_SOURCE_KINDS: Record<string, string> = {
  HTTP: 'HTTP data source',
  AMAZON_OPENSEARCH_SERVICE: 'OpenSearch data source',
  AMAZON_ELASTICSEARCH: 'OpenSearch data source',
  RELATIONAL_DATABASE: 'RDS data source',
  AMAZON_EVENTBRIDGE: 'EventBridge data source',
  AMAZON_BEDROCK_RUNTIME: 'Bedrock data source',
}

/** The resource types the data API serves or judges below. */
export const DATA_RESOURCE_TYPES = [
  'AWS::AppSync::GraphQLApi', 'AWS::AppSync::GraphQLSchema', 'AWS::AppSync::DataSource', 'AWS::AppSync::Resolver',
  'AWS::AppSync::FunctionConfiguration', 'AWS::AppSync::ApiKey', 'AWS::AppSync::ApiCache',
  'Custom::AmplifyDynamoDBTable', 'AWS::DynamoDB::Table',
  // Served only inside the data API, as its tables' waiter; anywhere else a step function of the developer's.
  'AWS::StepFunctions::StateMachine',
]

export function dataApiUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  for (const api of assembly.resourcesOfType('AWS::AppSync::GraphQLApi')) {
    const providers = [
      { AuthenticationType: reader.value(api, 'AuthenticationType') },
      ...((reader.value(api, 'AdditionalAuthenticationProviders') ?? []) as Array<Record<string, unknown>>),
    ]
    for (const provider of providers) {
      if (provider.AuthenticationType === 'OPENID_CONNECT') {
        lines.push('Data: OIDC authorization (oidcAuthorizationMode) is not served offline: requests with an OIDC token are refused with 401 UnauthorizedException.')
      }
      if (provider.AuthenticationType === 'AWS_LAMBDA') {
        const uri = (provider.LambdaAuthorizerConfig as { AuthorizerUri?: unknown } | undefined)?.AuthorizerUri
        lines.push(`Data: Lambda authorization (lambdaAuthorizationMode${reader.functionOf(uri, ', function ')}) is not served offline: requests with authMode 'lambda' are refused with 401 UnauthorizedException.`)
      }
    }
  }

  const dataSources = new Map(assembly.resourcesOfType('AWS::AppSync::DataSource').map(ds => [String(reader.value(ds, 'Name')), ds]))
  const functions = new Map(assembly.resourcesOfType('AWS::AppSync::FunctionConfiguration').map(fn => [String(reader.attribute(fn, 'FunctionId')), fn]))
  // The functions the sandbox can run for a Lambda data source: the backend's own, on Node.js.
  const runtimes = new Map(assembly.resourcesOfType('AWS::Lambda::Function').map(fn => [reader.attribute(fn, 'Arn'), String(reader.value(fn, 'Runtime') ?? '')]))
  const used = new Set<string>()
  /** Why a step's data source is not served, and the error a call then returns. */
  const unsupported = (sourceName: unknown): { reason: string, error: string } | undefined => {
    const source = typeof sourceName === 'string' ? dataSources.get(sourceName) : undefined
    if (!source) return undefined
    used.add(String(sourceName))
    const type = String(reader.value(source, 'Type'))
    if (type === 'AWS_LAMBDA') {
      const arn = (reader.value(source, 'LambdaConfig') as { LambdaFunctionArn?: unknown } | undefined)?.LambdaFunctionArn
      const name = reader.functionOf(arn) || String(sourceName)
      const runtime = runtimes.get(arn)
      if (runtime === undefined) return { reason: `calls Lambda function ${name} (a.handler.function), which is not part of this backend`, error: 'Lambda:ResourceNotFoundException' }
      if (!runtime.startsWith('nodejs')) return { reason: `calls Lambda function ${name} (a.handler.function), whose runtime ${runtime || '(none)'} the sandbox does not run`, error: 'Lambda:Unhandled' }
      return undefined
    }
    if (EXECUTED_DATA_SOURCES.has(type)) return undefined
    return { reason: `uses ${DATA_SOURCE_KINDS[type] ?? `${type} data source`} ${String(sourceName)}, which is not served offline`, error: 'UnsupportedOperation' }
  }

  for (const resolver of assembly.resourcesOfType('AWS::AppSync::Resolver')) {
    const field = `${String(reader.value(resolver, 'TypeName'))}.${String(reader.value(resolver, 'FieldName'))}`
    const steps = [resolver, ...(((reader.value(resolver, 'PipelineConfig') as { Functions?: unknown[] } | undefined)?.Functions ?? [])
      .map(id => functions.get(String(id)))
      .filter((fn): fn is FoundResource => fn !== undefined))]
    const reasons = new Map<string, string>()
    for (const step of steps) {
      const found = unsupported(reader.value(step, 'DataSourceName'))
      if (found) reasons.set(found.reason, found.error)
    }
    if (reasons.size) {
      // The first step that fails ends the pipeline: its error is the one a call returns.
      const [error] = [...reasons.values()]
      lines.push(`Data: ${field} ${[...reasons.keys()].join(' and ')}: calling it returns a${/^[AEIOU]/.test(error!) ? 'n' : ''} ${error} error.`)
    }
  }
  for (const [name, source] of dataSources) {
    const type = String(reader.value(source, 'Type'))
    if (!used.has(name) && !EXECUTED_DATA_SOURCES.has(type)) {
      lines.push(`Data: ${DATA_SOURCE_KINDS[type] ?? `${type} data source`} ${name} is not served offline; no field uses it yet.`)
    }
  }
  for (const machine of assembly.resourcesOfType('AWS::StepFunctions::StateMachine')) {
    if (!reader.inDataApi(machine.stack)) reader.other(machine.resource.Type)
  }
  for (const cache of assembly.resourcesOfType('AWS::AppSync::ApiCache')) {
    lines.push(`Data: the API cache (${String(reader.value(cache, 'ApiCachingBehavior') ?? 'caching')}) is not served offline: every request runs its resolvers.`)
  }
  return lines
}
