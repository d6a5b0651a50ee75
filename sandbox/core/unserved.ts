/**
 * What the backend definition asks for that the offline sandbox does not serve, one line each, with
 * what an app will see instead, so nothing is missing silently or only at call time. Read from the
 * synthesized assembly: resolvers and data sources of the data API, authorization modes, the user
 * pool's triggers, MFA and sign-in options, and every other resource, recognised by type. What
 * Amplify and CDK deploy only to deploy (custom-resource providers, asset buckets, parameters) is
 * not the developer's and is left out.
 */
import type { CloudAssembly, FoundResource, Stack } from '../assembly'
import { restApiSettingsOf } from '../rest/settings'

/** Cognito's `LambdaConfig` keys, as Gen 2 names the trigger, and what happens without it. */
const TRIGGERS: Record<string, { name: string, effect: string }> = {
  PreSignUp: { name: 'preSignUp', effect: 'sign-ups go through unchecked' },
  PostConfirmation: { name: 'postConfirmation', effect: 'confirmations complete without it' },
  PreAuthentication: { name: 'preAuthentication', effect: 'sign-ins go through unchecked' },
  PostAuthentication: { name: 'postAuthentication', effect: 'sign-ins complete without it' },
  PreTokenGeneration: { name: 'preTokenGeneration', effect: 'tokens carry only the claims the pool itself puts in' },
  PreTokenGenerationConfig: { name: 'preTokenGeneration', effect: 'tokens carry only the claims the pool itself puts in' },
  CustomMessage: { name: 'customMessage', effect: 'messages use the pool\'s own text (printed by the sandbox)' },
  DefineAuthChallenge: { name: 'defineAuthChallenge', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  CreateAuthChallenge: { name: 'createAuthChallenge', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  VerifyAuthChallengeResponse: { name: 'verifyAuthChallengeResponse', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  UserMigration: { name: 'userMigration', effect: 'users unknown to the local pool are not migrated: their sign-in fails' },
  CustomEmailSender: { name: 'customEmailSender', effect: 'e-mails are printed by the sandbox instead' },
  CustomSMSSender: { name: 'customSmsSender', effect: 'text messages are not sent' },
}

/** Triggers the local user pool runs (./cognito/triggers.ts). */
const SERVED_TRIGGERS = new Set(['PreSignUp', 'PostConfirmation', 'PreAuthentication', 'PostAuthentication', 'PreTokenGeneration', 'PreTokenGenerationConfig', 'CustomMessage'])

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

/**
 * Types served, or deployed only to deploy: nothing for an app to miss. Lambda functions, buckets,
 * APIs and schedules are judged one by one below.
 */
const NOTHING_TO_SERVE = new Set([
  'AWS::CloudFormation::Stack', 'AWS::CDK::Metadata',
  'AWS::AppSync::GraphQLApi', 'AWS::AppSync::GraphQLSchema', 'AWS::AppSync::DataSource', 'AWS::AppSync::Resolver',
  'AWS::AppSync::FunctionConfiguration', 'AWS::AppSync::ApiKey',
  'Custom::AmplifyDynamoDBTable', 'AWS::DynamoDB::Table',
  'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::IdentityPool',
  'AWS::Cognito::IdentityPoolRoleAttachment', 'AWS::Cognito::UserPoolUICustomizationAttachment',
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy',
  'AWS::Lambda::Permission', 'AWS::Lambda::LayerVersion', 'AWS::Logs::LogGroup', 'AWS::SSM::Parameter',
  'AWS::S3::BucketPolicy', 'Custom::S3AutoDeleteObjects', 'Custom::CDKBucketDeployment', 'Custom::AmplifySecretFetcherResource',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::ApiGateway::Account', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::Stage', 'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::Model', 'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse', 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Deployment',
  // A REST method that requires a key has its line (./rest/settings.ts); keys and plans alone change nothing for a caller.
  'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey',
])
/** Judged below, one resource at a time. */
const JUDGED = new Set([
  'AWS::Lambda::Function', 'AWS::S3::Bucket', 'Custom::S3BucketNotifications', 'AWS::Scheduler::Schedule', 'AWS::Events::Rule', 'AWS::Lambda::EventSourceMapping',
  'AWS::ApiGateway::RestApi', 'AWS::ApiGatewayV2::Api', 'AWS::Cognito::UserPoolIdentityProvider', 'AWS::Cognito::UserPoolDomain',
  'AWS::AppSync::ApiCache',
  // Served only inside the data API, as its tables' waiter; anywhere else a step function of the developer's.
  'AWS::StepFunctions::StateMachine',
])

/** What a storage trigger is called in `defineStorage({ triggers })`, by the S3 events it listens to. */
const STORAGE_TRIGGERS: Record<string, { name: string, effect: string }> = {
  's3:ObjectCreated:*': { name: 'onUpload', effect: 'uploads complete without it' },
  's3:ObjectRemoved:*': { name: 'onDelete', effect: 'deletions complete without it' },
}

/** One line for each thing the definition uses that the sandbox does not serve, saying what the app will see. */
export function unservedFeatures(assembly: CloudAssembly): string[] {
  const reader = new Reader(assembly)
  return [...dataLines(reader), ...authLines(reader), ...otherLines(reader)]
}

function dataLines(reader: Reader): string[] {
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
  for (const cache of assembly.resourcesOfType('AWS::AppSync::ApiCache')) {
    lines.push(`Data: the API cache (${String(reader.value(cache, 'ApiCachingBehavior') ?? 'caching')}) is not served offline: every request runs its resolvers.`)
  }
  return lines
}

function authLines(reader: Reader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  for (const pool of assembly.resourcesOfType('AWS::Cognito::UserPool')) {
    const triggers = (pool.resource.Properties?.LambdaConfig ?? {}) as Record<string, unknown>
    const evaluated = (reader.value(pool, 'LambdaConfig') ?? {}) as Record<string, unknown>
    for (const key of Object.keys(triggers)) {
      const trigger = TRIGGERS[key]
      if (!trigger || SERVED_TRIGGERS.has(key)) continue
      const target = key === 'PreTokenGenerationConfig' ? (evaluated[key] as { LambdaArn?: unknown } | undefined)?.LambdaArn : evaluated[key]
      lines.push(`Auth: the ${trigger.name} trigger${reader.functionOf(target, ' (function ', ')')} is not run offline: ${trigger.effect}.`)
    }

    const mfa = reader.value(pool, 'MfaConfiguration')
    if (mfa === 'ON' || mfa === 'OPTIONAL') {
      const kinds = ((reader.value(pool, 'EnabledMfas') ?? []) as string[]).map(kind => ({ SMS_MFA: 'SMS', SOFTWARE_TOKEN_MFA: 'TOTP', EMAIL_OTP: 'e-mail' })[kind] ?? kind)
      const mode = mfa === 'ON' ? 'REQUIRED' : 'OPTIONAL'
      lines.push(`Auth: multi-factor authentication (${mode}${kinds.length ? `: ${kinds.join(', ')}` : ''}) is not served offline: sign-in never asks for a second factor${mfa === 'ON' ? ' although the cloud requires one' : ''}, and MFA set-up calls (setUpTOTP, updateMFAPreference) fail.`)
    }
    const usernames = [...((reader.value(pool, 'UsernameAttributes') ?? []) as string[]), ...((reader.value(pool, 'AliasAttributes') ?? []) as string[])]
    if (usernames.includes('phone_number')) {
      lines.push('Auth: sign-in with a phone number is not served offline (no text messages): only e-mail sign-up and sign-in work.')
    }
  }
  const providers = assembly.resourcesOfType('AWS::Cognito::UserPoolIdentityProvider').map(idp => String(reader.value(idp, 'ProviderName') ?? idp.logicalId))
  if (providers.length) {
    lines.push(`Auth: sign-in with ${providers.join(', ')} (externalProviders) is not served offline: signInWithRedirect has no hosted UI to reach and fails.`)
  }
  else if (assembly.resourcesOfType('AWS::Cognito::UserPoolDomain').length) {
    lines.push('Auth: the hosted UI (user pool domain) is not served offline: signInWithRedirect fails.')
  }
  for (const identityPool of assembly.resourcesOfType('AWS::Cognito::IdentityPool')) {
    const federated = [
      ...Object.keys((reader.value(identityPool, 'SupportedLoginProviders') ?? {}) as object),
      ...((reader.value(identityPool, 'OpenIdConnectProviderARNs') ?? []) as unknown[]).map(() => 'OIDC'),
      ...((reader.value(identityPool, 'SamlProviderARNs') ?? []) as unknown[]).map(() => 'SAML'),
    ]
    if (federated.length) lines.push(`Auth: identity-pool sign-in with ${[...new Set(federated)].join(', ')} is not served offline: only guests and user-pool users get credentials.`)
  }
  return lines
}

function otherLines(reader: Reader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  const unknown = new Map<string, number>()
  const dataStacks = new Set(assembly.resourcesOfType('AWS::AppSync::GraphQLApi').map(api => api.stack))
  const inData = (stack: Stack): boolean => dataStacks.has(stack) || (stack.parent !== undefined && inData(stack.parent.stack))

  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const found: FoundResource = { stack, logicalId, resource }
      const type = resource.Type
      if (NOTHING_TO_SERVE.has(type)) continue
      if (!JUDGED.has(type)) {
        unknown.set(type, (unknown.get(type) ?? 0) + 1)
        continue
      }
      switch (type) {
        // Every function runs offline when something invokes it (a trigger, the data API, a schedule,
        // the Lambda API): nothing to say about a function by itself.
        case 'AWS::Lambda::Function':
          break
        // Buckets are served; notifications set on one directly (not through CDK's custom resource) are not.
        case 'AWS::S3::Bucket':
          if (!inData(stack)) lines.push(...notificationLines(reader, reader.friendlyName(found), reader.value(found, 'NotificationConfiguration')))
          break
        case 'Custom::S3BucketNotifications': {
          const bucket = assembly.resourcesOfType('AWS::S3::Bucket').find(b => reader.ref(b) === reader.value(found, 'BucketName'))
          // Its function notifications (storage triggers) are sent offline (./storage/notifications.ts).
          lines.push(...notificationLines(reader, bucket ? reader.friendlyName(bucket) : String(reader.value(found, 'BucketName')), reader.value(found, 'NotificationConfiguration'), true))
          break
        }
        // Schedules fire offline (./functions/schedules.ts says at start which expressions it cannot).
        case 'AWS::Scheduler::Schedule':
        case 'AWS::Events::Rule': {
          const schedule = reader.value(found, 'ScheduleExpression')
          if (typeof schedule !== 'string') unknown.set(type, (unknown.get(type) ?? 0) + 1)
          break
        }
        case 'AWS::Lambda::EventSourceMapping':
          lines.push(`Function ${reader.functionOf(reader.value(found, 'FunctionName')) || logicalId} is not triggered offline by its event source (${String(reader.value(found, 'EventSourceArn') ?? 'stream or queue')}).`)
          break
        // Served (./rest/): what an API asks for beyond that is said one line each.
        case 'AWS::ApiGateway::RestApi':
          try {
            lines.push(...restApiSettingsOf(assembly, found).unserved)
          }
          catch (error) {
            lines.push(`REST API ${String(reader.value(found, 'Name') ?? logicalId)} (API Gateway) is not served offline (${(error as Error).message}): calls to it fail.`)
          }
          break
        case 'AWS::ApiGatewayV2::Api':
          lines.push(`${String(reader.value(found, 'ProtocolType') ?? 'HTTP')} API ${String(reader.value(found, 'Name') ?? logicalId)} (API Gateway) is not served offline: calls to it go to API Gateway and fail there.`)
          break
        case 'AWS::StepFunctions::StateMachine':
          if (!inData(stack)) unknown.set(type, (unknown.get(type) ?? 0) + 1)
          break
        // Identity providers, the hosted UI and the API cache have their lines above.
      }
    }
  }
  if (unknown.size) {
    const summary = [...unknown].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => (count > 1 ? `${type} ×${count}` : type)).join(', ')
    lines.push(`Other resources are not served offline (${summary}): nothing local answers for them; calls to them go to AWS.`)
  }
  return lines
}

/** One line per event notification of a bucket that is not sent offline (function ones are, unless set on the bucket directly). */
function notificationLines(reader: Reader, bucket: string, configuration: unknown, functionsServed = false): string[] {
  const config = (configuration ?? {}) as Record<string, unknown>
  const lines: string[] = []
  for (const lambda of (functionsServed ? [] : config.LambdaFunctionConfigurations ?? config.LambdaConfigurations ?? []) as Array<{ Events?: unknown, Event?: unknown, LambdaFunctionArn?: unknown, Function?: unknown }>) {
    const events = (Array.isArray(lambda.Events) ? lambda.Events : [lambda.Event]).map(String)
    const fn = reader.functionOf(lambda.LambdaFunctionArn ?? lambda.Function, ' (function ', ')')
    for (const event of events) {
      const trigger = STORAGE_TRIGGERS[event]
      lines.push(trigger
        ? `Storage: the ${trigger.name} trigger of bucket ${bucket}${fn} is not run offline: ${trigger.effect}.`
        : `Storage: the ${event} notification of bucket ${bucket}${fn} is not sent offline.`)
    }
  }
  for (const [key, kind] of [['QueueConfigurations', 'SQS'], ['TopicConfigurations', 'SNS']] as const) {
    if (Array.isArray(config[key]) && config[key].length) lines.push(`Storage: the ${kind} notifications of bucket ${bucket} are not sent offline.`)
  }
  if (config.EventBridgeConfiguration) lines.push(`Storage: the EventBridge notifications of bucket ${bucket} are not sent offline.`)
  return lines
}

/** The assembly's values, read leniently: a value it cannot evaluate must not stop the others' lines. */
class Reader {
  private functionsByArn?: Map<string, string>

  constructor(readonly assembly: CloudAssembly) {}

  value(found: FoundResource, name: string): unknown {
    try {
      return this.assembly.property(found.stack, found.logicalId, name)
    }
    catch {
      return found.resource.Properties?.[name]
    }
  }

  ref(found: FoundResource): unknown {
    try {
      return this.assembly.ref(found.stack, found.logicalId)
    }
    catch {
      return undefined
    }
  }

  attribute(found: FoundResource, name: string): unknown {
    try {
      return this.assembly.getAttribute(found.stack, found.logicalId, name)
    }
    catch {
      return undefined
    }
  }

  /** `amplify:friendly-name` (what the developer named it in `amplify/`), else the logical id. */
  friendlyName(found: FoundResource): string {
    const tags = found.resource.Properties?.Tags
    const tag = Array.isArray(tags) ? (tags as Array<{ Key?: unknown, Value?: unknown }>).find(t => t.Key === 'amplify:friendly-name')?.Value : undefined
    return typeof tag === 'string' ? tag : found.logicalId
  }

  functionName(found: FoundResource): string {
    const name = this.friendlyName(found)
    if (name !== found.logicalId) return name
    const explicit = this.value(found, 'FunctionName')
    return typeof explicit === 'string' ? explicit : found.logicalId
  }

  /** The name of the function an ARN (as the assembly evaluates it) points at, wrapped in `before`/`after`; '' if none. */
  functionOf(arn: unknown, before = '', after = ''): string {
    if (!this.functionsByArn) {
      this.functionsByArn = new Map()
      for (const fn of this.assembly.resourcesOfType('AWS::Lambda::Function')) {
        const evaluated = this.attribute(fn, 'Arn')
        if (typeof evaluated === 'string') this.functionsByArn.set(evaluated, this.functionName(fn))
      }
    }
    const name = typeof arn === 'string' ? (this.functionsByArn.get(arn) ?? /:function:([^:]+)/.exec(arn)?.[1]) : undefined
    return name ? `${before}${name}${after}` : ''
  }
}
