/**
 * Turns a synthesized cloud assembly into what the local API serves: the transformed schema, the
 * data sources, pipeline functions and resolvers with their VTL or APPSYNC_JS code, and the
 * DynamoDB tables. Nothing here knows about particular models: everything comes from the
 * `AWS::AppSync::*` and table resources of the assembly, so a model added to
 * `amplify/data/resource.ts` is served as synthesized.
 */
import type {
  AmplifyAppSyncSimulatorConfig,
  AppSyncSimulatorDataSourceConfig,
  AppSyncSimulatorFunctionsConfig,
  AppSyncSimulatorPipelineResolverConfig,
  AppSyncSimulatorUnitResolverConfig,
  AppSyncVTLTemplate,
} from '@aws-amplify/amplify-appsync-simulator'
import type { CfnResource, CloudAssembly, Stack } from '../assembly'
import type { FunctionInvoker } from '../core/types'
import { apiKeyLifetimeMs, type ApiKeySetting } from './api-key'
import type { DynamoDispatch } from './dynamodb'
import type { LocalLambdaDataSourceConfig } from './lambda'
import { UNSUPPORTED_DATA_SOURCE, type LocalDynamoDBDataSourceConfig, type LocalSimulatorConfig } from './simulator'

export type AuthenticationType = 'AMAZON_COGNITO_USER_POOLS' | 'AWS_IAM' | 'API_KEY' | 'OPENID_CONNECT' | 'AWS_LAMBDA'

export interface DataSourceDefinition {
  name: string
  /** AppSync's type; `NONE`, `AMAZON_DYNAMODB` and `AWS_LAMBDA` are executed locally. */
  type: string
  tableName?: string
  /** The function of an `AWS_LAMBDA` data source, as the assembly evaluates its ARN. */
  functionArn?: string
}

export interface FunctionDefinition {
  id: string
  name: string
  dataSourceName: string
  requestTemplate: string
  responseTemplate: string
  /** APPSYNC_JS code (`request` and `response` exports); when set, the templates are not used. */
  code?: string
}

export interface ResolverDefinition {
  typeName: string
  fieldName: string
  kind: 'PIPELINE' | 'UNIT'
  /** Function ids, for pipeline resolvers. */
  functions: string[]
  dataSourceName?: string
  requestTemplate: string
  responseTemplate: string
  /** APPSYNC_JS code (`request` and `response` exports); when set, the templates are not used. */
  code?: string
}

/** DynamoDB `CreateTable` input, as the table manager custom resource would create it. */
export interface TableDefinition {
  TableName: string
  AttributeDefinitions: Array<{ AttributeName: string, AttributeType: 'S' | 'N' | 'B' }>
  KeySchema: Array<{ AttributeName: string, KeyType: 'HASH' | 'RANGE' }>
  GlobalSecondaryIndexes?: IndexDefinition[]
  LocalSecondaryIndexes?: IndexDefinition[]
}

export interface IndexDefinition {
  IndexName: string
  KeySchema: Array<{ AttributeName: string, KeyType: 'HASH' | 'RANGE' }>
  Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE', NonKeyAttributes?: string[] }
}

export interface ApiDefinition {
  apiId: string
  /** The account the API's ARNs name. */
  accountId: string
  name: string
  /** The transformed SDL (what AppSync serves, with `@aws_*` directives). */
  schema: string
  defaultAuthentication: AuthenticationType
  additionalAuthentication: AuthenticationType[]
  /** The `AWS::AppSync::ApiKey` the API has (API-key authorization), if any. */
  apiKey?: ApiKeySetting
  dataSources: DataSourceDefinition[]
  functions: FunctionDefinition[]
  resolvers: ResolverDefinition[]
  tables: TableDefinition[]
}

/** What the local API serves, read from the assembly's `AWS::AppSync::*` and table resources. */
export async function loadApiDefinition(assembly: CloudAssembly): Promise<ApiDefinition> {
  const apis = assembly.resourcesOfType('AWS::AppSync::GraphQLApi')
  if (apis.length === 0) throw new Error(`${assembly.dir} defines no AppSync API (no defineData in the backend?)`)
  // Every API would get the same local id and port; Gen 2 backends define one.
  if (apis.length > 1) throw new Error(`${assembly.dir} defines ${apis.length} AppSync APIs; the offline sandbox serves one`)
  const [api] = apis as [(typeof apis)[number]]
  const prop = (stack: Stack, logicalId: string, name: string) => assembly.property(stack, logicalId, name)
  const text = async (stack: Stack, logicalId: string, inline: string, location: string): Promise<string | undefined> => {
    const value = prop(stack, logicalId, inline)
    if (typeof value === 'string') return value
    const s3 = prop(stack, logicalId, location)
    return typeof s3 === 'string' ? assembly.readAsset(s3) : undefined
  }

  const defaultAuthentication = prop(api.stack, api.logicalId, 'AuthenticationType') as AuthenticationType
  const additional = (prop(api.stack, api.logicalId, 'AdditionalAuthenticationProviders') ?? []) as Array<{ AuthenticationType: AuthenticationType }>

  const schemas = assembly.resourcesOfType('AWS::AppSync::GraphQLSchema')
  const schemaResource = schemas[0]
  const schema = schemaResource && (await text(schemaResource.stack, schemaResource.logicalId, 'Definition', 'DefinitionS3Location'))
  if (!schema) throw new Error(`${assembly.dir} has no GraphQL schema for the API`)

  const dataSources: DataSourceDefinition[] = assembly.resourcesOfType('AWS::AppSync::DataSource').map(({ stack, logicalId }) => {
    const type = String(prop(stack, logicalId, 'Type'))
    const dynamo = prop(stack, logicalId, 'DynamoDBConfig') as { TableName?: string } | undefined
    const lambda = prop(stack, logicalId, 'LambdaConfig') as { LambdaFunctionArn?: unknown } | undefined
    return {
      name: String(prop(stack, logicalId, 'Name')),
      type,
      tableName: dynamo?.TableName,
      ...(typeof lambda?.LambdaFunctionArn === 'string' ? { functionArn: lambda.LambdaFunctionArn } : {}),
    }
  })

  const functions: FunctionDefinition[] = []
  for (const { stack, logicalId, resource } of assembly.resourcesOfType('AWS::AppSync::FunctionConfiguration')) {
    const name = String(prop(stack, logicalId, 'Name'))
    const code = isJavaScript(resource) ? ((await text(stack, logicalId, 'Code', 'CodeS3Location')) ?? '') : undefined
    functions.push({
      id: String(assembly.getAttribute(stack, logicalId, 'FunctionId')),
      name,
      dataSourceName: String(prop(stack, logicalId, 'DataSourceName')),
      requestTemplate: code !== undefined ? '' : ((await text(stack, logicalId, 'RequestMappingTemplate', 'RequestMappingTemplateS3Location')) ?? '{}'),
      responseTemplate: code !== undefined ? '' : ((await text(stack, logicalId, 'ResponseMappingTemplate', 'ResponseMappingTemplateS3Location')) ?? '$util.toJson($ctx.result)'),
      ...(code !== undefined ? { code } : {}),
    })
  }

  const resolvers: ResolverDefinition[] = []
  for (const { stack, logicalId, resource } of assembly.resourcesOfType('AWS::AppSync::Resolver')) {
    const typeName = String(prop(stack, logicalId, 'TypeName'))
    const fieldName = String(prop(stack, logicalId, 'FieldName'))
    const kind = prop(stack, logicalId, 'Kind') === 'PIPELINE' ? 'PIPELINE' : 'UNIT'
    const pipeline = prop(stack, logicalId, 'PipelineConfig') as { Functions?: string[] } | undefined
    const code = isJavaScript(resource) ? ((await text(stack, logicalId, 'Code', 'CodeS3Location')) ?? '') : undefined
    resolvers.push({
      typeName,
      fieldName,
      kind,
      functions: pipeline?.Functions ?? [],
      dataSourceName: prop(stack, logicalId, 'DataSourceName') as string | undefined,
      requestTemplate: code !== undefined ? '' : ((await text(stack, logicalId, 'RequestMappingTemplate', 'RequestMappingTemplateS3Location')) ?? '{}'),
      responseTemplate: code !== undefined
        ? ''
        : ((await text(stack, logicalId, 'ResponseMappingTemplate', 'ResponseMappingTemplateS3Location'))
          ?? (kind === 'PIPELINE' ? '$util.toJson($ctx.prev.result)' : '$util.toJson($ctx.result)')),
      ...(code !== undefined ? { code } : {}),
    })
  }

  const apiKeys = assembly.resourcesOfType('AWS::AppSync::ApiKey')
  const apiKey = apiKeys[0] && {
    logicalId: apiKeys[0].logicalId,
    lifetimeMs: apiKeyLifetimeMs(prop(apiKeys[0].stack, apiKeys[0].logicalId, 'Expires'), await assembly.synthesizedAt()),
  }

  const tables: TableDefinition[] = [
    ...assembly.resourcesOfType('Custom::AmplifyDynamoDBTable'),
    ...assembly.resourcesOfType('AWS::DynamoDB::Table'),
  ].map(({ stack, logicalId, resource }) => tableDefinition(assembly, stack, logicalId, resource))

  return {
    apiId: String(assembly.getAttribute(api.stack, api.logicalId, 'ApiId')),
    accountId: assembly.ids.accountId,
    name: String(prop(api.stack, api.logicalId, 'Name')),
    schema,
    defaultAuthentication,
    additionalAuthentication: additional.map(provider => provider.AuthenticationType),
    ...(apiKey ? { apiKey } : {}),
    dataSources,
    functions,
    resolvers,
    tables,
  }
}

function isJavaScript(resource: CfnResource): boolean {
  const runtime = resource.Properties?.Runtime as { Name?: unknown } | undefined
  return runtime?.Name === 'APPSYNC_JS' || resource.Properties?.Code !== undefined || resource.Properties?.CodeS3Location !== undefined
}

/**
 * The table manager custom resource takes DynamoDB's CreateTable input with camelCase keys;
 * `AWS::DynamoDB::Table` takes it PascalCase. Both become CreateTable input.
 */
function tableDefinition(assembly: CloudAssembly, stack: Stack, logicalId: string, resource: CfnResource): TableDefinition {
  const custom = resource.Type === 'Custom::AmplifyDynamoDBTable'
  const read = (name: string) => pascalKeys(assembly.property(stack, logicalId, custom ? name[0]!.toLowerCase() + name.slice(1) : name))
  const tableName = custom ? assembly.property(stack, logicalId, 'tableName') : (assembly.property(stack, logicalId, 'TableName') ?? `${stack.name}-${logicalId}`)
  const index = (raw: unknown): IndexDefinition => {
    const { IndexName, KeySchema, Projection } = raw as IndexDefinition
    return { IndexName, KeySchema, Projection: Projection ?? { ProjectionType: 'ALL' } }
  }
  const gsis = read('GlobalSecondaryIndexes') as unknown[] | undefined
  const lsis = read('LocalSecondaryIndexes') as unknown[] | undefined
  return {
    TableName: String(tableName),
    AttributeDefinitions: read('AttributeDefinitions') as TableDefinition['AttributeDefinitions'],
    KeySchema: read('KeySchema') as TableDefinition['KeySchema'],
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis.map(index) } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis.map(index) } : {}),
  }
}

function pascalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key[0]!.toUpperCase() + key.slice(1), pascalKeys(inner)]))
}

export interface SimulatorDataSourceOptions {
  /** The local DynamoDB's port: the simulator's loader requires one, though requests go through `client`. */
  endpoint: string
  region: string
  /** What every DynamoDB data source sends its requests through. */
  client: DynamoDispatch
  /** Runs the functions of AWS_LAMBDA data sources; undefined until the functions run. */
  invoker: () => FunctionInvoker | undefined
  log: (line: string) => void
}

/** The `@aws-amplify/amplify-appsync-simulator` configuration for an API definition, with its APPSYNC_JS code. */
export function toSimulatorConfig(api: ApiDefinition, options: SimulatorDataSourceOptions): LocalSimulatorConfig {
  const mappingTemplates: AppSyncVTLTemplate[] = []
  const code: LocalSimulatorConfig['code'] = []
  // Templates go in by path so the simulator parses each once, not on every request.
  const template = (path: string, content: string) => {
    mappingTemplates.push({ path, content })
    return path
  }
  /** A step's two handlers: VTL templates, or the request and response exports of its JavaScript. */
  const handlers = (base: string, step: { requestTemplate: string, responseTemplate: string, code?: string }) => {
    if (step.code === undefined) {
      return {
        requestMappingTemplateLocation: template(`${base}.req.vtl`, step.requestTemplate),
        responseMappingTemplateLocation: template(`${base}.res.vtl`, step.responseTemplate),
      }
    }
    code.push({ path: `${base}.js`, code: step.code })
    return { requestMappingTemplateLocation: `${base}.js#request`, responseMappingTemplateLocation: `${base}.js#response` }
  }
  const dataSources = api.dataSources.map((source): AppSyncSimulatorDataSourceConfig => {
    if (source.type === 'NONE') return { name: source.name, type: 'NONE' }
    if (source.type === 'AMAZON_DYNAMODB' && source.tableName) {
      const config: LocalDynamoDBDataSourceConfig = {
        name: source.name,
        type: 'AMAZON_DYNAMODB',
        config: { endpoint: options.endpoint, region: options.region, tableName: source.tableName },
        client: options.client,
      }
      return config
    }
    if (source.type === 'AWS_LAMBDA' && source.functionArn) {
      const config: LocalLambdaDataSourceConfig = { name: source.name, type: 'AWS_LAMBDA', functionArn: source.functionArn, invoker: options.invoker, log: options.log }
      return config as unknown as AppSyncSimulatorDataSourceConfig
    }
    return { name: source.name, type: UNSUPPORTED_DATA_SOURCE } as unknown as AppSyncSimulatorDataSourceConfig
  })
  const functions = api.functions.map(
    (fn): AppSyncSimulatorFunctionsConfig => ({
      name: fn.id,
      dataSourceName: fn.dataSourceName,
      ...handlers(`functions/${fn.id}`, fn),
    }),
  )
  const resolvers = api.resolvers.map((resolver): AppSyncSimulatorPipelineResolverConfig | AppSyncSimulatorUnitResolverConfig => {
    const templates = handlers(`resolvers/${resolver.typeName}.${resolver.fieldName}`, resolver)
    return resolver.kind === 'PIPELINE'
      ? ({ kind: 'PIPELINE', typeName: resolver.typeName, fieldName: resolver.fieldName, functions: resolver.functions, ...templates } as AppSyncSimulatorPipelineResolverConfig)
      : ({ kind: 'UNIT', typeName: resolver.typeName, fieldName: resolver.fieldName, dataSourceName: resolver.dataSourceName ?? '', ...templates } as AppSyncSimulatorUnitResolverConfig)
  })
  return {
    schema: { path: 'schema.graphql', content: api.schema },
    dataSources,
    functions,
    resolvers,
    mappingTemplates,
    code,
    appSync: {
      name: api.name,
      accountId: api.accountId,
      defaultAuthenticationType: simulatorAuth(api.defaultAuthentication),
      additionalAuthenticationProviders: api.additionalAuthentication.map(simulatorAuth),
    },
  }
}

function simulatorAuth(type: AuthenticationType): AmplifyAppSyncSimulatorConfig['appSync']['defaultAuthenticationType'] {
  if (type === 'AMAZON_COGNITO_USER_POOLS') return { authenticationType: type, cognitoUserPoolConfig: {} } as never
  return { authenticationType: type } as never
}
