import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloudAssembly } from '../../../sandbox/assembly'
import { unservedFeatures } from '../../../sandbox/core/unserved'
import { SERVICES } from '../../../sandbox/services'

const ids = { region: 'us-east-1', accountId: '000000000000', apiId: 'unservedtest00000000000000', userPoolId: 'us-east-1_Unserved1', clientId: 'unservedclient000000000000', identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000001', bucketSuffix: 'unservedtest' }
const tags = (name: string) => [{ Key: 'amplify:friendly-name', Value: name }, { Key: 'created-by', Value: 'amplify' }]
const vtl = { RequestMappingTemplate: '{}', ResponseMappingTemplate: '$util.toJson({})' }

type Resources = Record<string, { Type: string, Properties?: Record<string, unknown> }>

/** What Gen 2 synthesizes for a backend the sandbox serves whole: auth, a model, API key and IAM. */
const served: Record<string, Resources> = {
  data: {
    Api: { Type: 'AWS::AppSync::GraphQLApi', Properties: { Name: 'amplifyData', AuthenticationType: 'AMAZON_COGNITO_USER_POOLS', AdditionalAuthenticationProviders: [{ AuthenticationType: 'API_KEY' }, { AuthenticationType: 'AWS_IAM' }], Tags: tags('amplifyData') } },
    Schema: { Type: 'AWS::AppSync::GraphQLSchema', Properties: { ApiId: { 'Fn::GetAtt': ['Api', 'ApiId'] }, Definition: 'type Query { a: String }' } },
    Key: { Type: 'AWS::AppSync::ApiKey', Properties: { ApiId: { 'Fn::GetAtt': ['Api', 'ApiId'] }, Expires: 1796743648 } },
    NoneDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'NONE_DS', Type: 'NONE' } },
    TodoTable: { Type: 'Custom::AmplifyDynamoDBTable', Properties: { tableName: 'Todo-x-NONE' } },
    TodoDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'TodoTable', Type: 'AMAZON_DYNAMODB', DynamoDBConfig: { TableName: 'Todo-x-NONE' } } },
    AuthFn: { Type: 'AWS::AppSync::FunctionConfiguration', Properties: { Name: 'auth', DataSourceName: 'NONE_DS', ...vtl } },
    ListTodos: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'listTodos', Kind: 'PIPELINE', PipelineConfig: { Functions: [{ 'Fn::GetAtt': ['AuthFn', 'FunctionId'] }] }, ...vtl } },
    GetTodo: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'getTodo', Kind: 'UNIT', DataSourceName: 'TodoTable', ...vtl } },
    // a.handler.custom: JavaScript, with and without a table.
    PutTodoFn: { Type: 'AWS::AppSync::FunctionConfiguration', Properties: { Name: 'putTodo', DataSourceName: 'TodoTable', Runtime: { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' }, CodeS3Location: 's3://assets/put.js' } },
    AddTodo: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Mutation', FieldName: 'addTodo', Kind: 'PIPELINE', PipelineConfig: { Functions: [{ 'Fn::GetAtt': ['PutTodoFn', 'FunctionId'] }] }, Runtime: { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' }, Code: 'export const request = () => ({})' } },
    Echo: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'echo', Kind: 'UNIT', DataSourceName: 'NONE_DS', Runtime: { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' }, Code: 'export function request() {}' } },
    TableManager: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.onEvent', Tags: tags('amplifyData') } },
    CodegenBucket: { Type: 'AWS::S3::Bucket', Properties: { Tags: tags('amplifyData') } },
    CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
    CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C1536MiBC5D8AB21: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
    Deployment: { Type: 'Custom::CDKBucketDeployment', Properties: {} },
    Parameter: { Type: 'AWS::SSM::Parameter', Properties: { Value: 'x' } },
    Waiter: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
  },
  auth: {
    Pool: { Type: 'AWS::Cognito::UserPool', Properties: { UsernameAttributes: ['email'], MfaConfiguration: 'OFF', Tags: tags('amplifyAuth') } },
    Client: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'Pool' } } },
    Admins: { Type: 'AWS::Cognito::UserPoolGroup', Properties: { GroupName: 'Admin', UserPoolId: { Ref: 'Pool' } } },
    Identities: { Type: 'AWS::Cognito::IdentityPool', Properties: { AllowUnauthenticatedIdentities: true, SupportedLoginProviders: {} } },
    Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
    Attachment: { Type: 'AWS::Cognito::IdentityPoolRoleAttachment', Properties: { IdentityPoolId: { Ref: 'Identities' } } },
    AmplifySecretFetcherResourceProviderLambda27823B35: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
  },
}

/** The same backend with one of everything the sandbox does not serve. */
function unserved(): Record<string, Resources> {
  const data = { ...served.data! }
  data.Api = { Type: 'AWS::AppSync::GraphQLApi', Properties: { Name: 'amplifyData', AuthenticationType: 'AMAZON_COGNITO_USER_POOLS', Tags: tags('amplifyData'), AdditionalAuthenticationProviders: [
    { AuthenticationType: 'AWS_LAMBDA', LambdaAuthorizerConfig: { AuthorizerUri: { 'Fn::GetAtt': ['Authorizer', 'Arn'] } } },
    { AuthenticationType: 'OPENID_CONNECT', OpenIDConnectConfig: { Issuer: 'https://issuer.example.com' } },
  ] } }
  Object.assign(data, {
    LambdaDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'FnSayHelloLambdaDataSource', Type: 'AWS_LAMBDA', LambdaConfig: { LambdaFunctionArn: { 'Fn::GetAtt': ['SayHello', 'Arn'] } } } },
    InvokeFn: { Type: 'AWS::AppSync::FunctionConfiguration', Properties: { Name: 'invoke', DataSourceName: 'FnSayHelloLambdaDataSource', ...vtl } },
    SayHelloResolver: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'sayHello', Kind: 'PIPELINE', PipelineConfig: { Functions: [{ 'Fn::GetAtt': ['AuthFn', 'FunctionId'] }, { 'Fn::GetAtt': ['InvokeFn', 'FunctionId'] }] }, ...vtl } },
    // a.handler.function naming a function the backend does not define.
    LegacyDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'FnLegacyLambdaDataSource', Type: 'AWS_LAMBDA', LambdaConfig: { LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:legacy-fn' } } },
    LegacyResolver: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'legacy', Kind: 'UNIT', DataSourceName: 'FnLegacyLambdaDataSource', ...vtl } },
    HttpDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'WeatherApi', Type: 'HTTP', HttpConfig: { Endpoint: 'https://weather.example.com' } } },
    WeatherResolver: { Type: 'AWS::AppSync::Resolver', Properties: { TypeName: 'Query', FieldName: 'weather', Kind: 'UNIT', DataSourceName: 'WeatherApi', ...vtl } },
    SearchDs: { Type: 'AWS::AppSync::DataSource', Properties: { Name: 'Search', Type: 'AMAZON_OPENSEARCH_SERVICE' } },
    // In the same stack as what refers to them: Gen 2's cross-stack references are not the point here.
    SayHello: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', Tags: tags('say-hello') } },
    Authorizer: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Tags: tags('authorizer') } },
  })
  const auth = { ...served.auth! }
  auth.Pool = { Type: 'AWS::Cognito::UserPool', Properties: {
    // Served offline: required TOTP, phone-number sign-in. Not served: remembered devices and passwordless sign-in.
    UsernameAttributes: ['email', 'phone_number'], MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'], Tags: tags('amplifyAuth'),
    DeviceConfiguration: { ChallengeRequiredOnNewDevice: true }, Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
    LambdaConfig: { PreSignUp: { 'Fn::GetAtt': ['PreSignUpFn', 'Arn'] }, CustomMessage: { 'Fn::GetAtt': ['PreSignUpFn', 'Arn'] } },
  } }
  auth.Identities = { Type: 'AWS::Cognito::IdentityPool', Properties: { AllowUnauthenticatedIdentities: true, SupportedLoginProviders: { 'accounts.google.com': 'id' } } }
  Object.assign(auth, {
    Google: { Type: 'AWS::Cognito::UserPoolIdentityProvider', Properties: { ProviderName: 'Google', ProviderType: 'Google', UserPoolId: { Ref: 'Pool' } } },
    Domain: { Type: 'AWS::Cognito::UserPoolDomain', Properties: { Domain: 'x', UserPoolId: { Ref: 'Pool' } } },
    PreSignUpFn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Tags: tags('pre-signup') } },
  })
  return {
    data,
    auth,
    functions: {
      Nightly: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Tags: tags('nightly') } },
      NightlySchedule: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'cron(0 0 * * ? *)', Target: { Arn: { 'Fn::GetAtt': ['Nightly', 'Arn'] } } } },
      Permission: { Type: 'AWS::Lambda::Permission', Properties: {} },
    },
    storage: {
      // Served, with its files deployed; only its trigger is not.
      photosBucket: { Type: 'AWS::S3::Bucket', Properties: { Tags: tags('photos') } },
      photosPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: {} },
      photosDeployment: { Type: 'Custom::CDKBucketDeployment', Properties: {} },
      CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
      photosBucketNotifications: { Type: 'Custom::S3BucketNotifications', Properties: {
        BucketName: { Ref: 'photosBucket' },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [{ Events: ['s3:ObjectCreated:*'], LambdaFunctionArn: { 'Fn::GetAtt': ['Thumbnailer', 'Arn'] } }],
          QueueConfigurations: [{ Events: ['s3:ObjectRemoved:*'], QueueArn: 'arn:aws:sqs:us-east-1:000000000000:removed' }],
        },
      } },
      BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
      Thumbnailer: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Tags: tags('thumbnailer') } },
    },
    custom: {
      HelloApi: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'hello' } },
      // Served offline, but for its Lambda authorizer.
      HelloMethod: { Type: 'AWS::ApiGateway::Method', Properties: { RestApiId: { Ref: 'HelloApi' }, ResourceId: { 'Fn::GetAtt': ['HelloApi', 'RootResourceId'] }, HttpMethod: 'GET', AuthorizationType: 'CUSTOM', Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Worker', 'Arn'] }, '/invocations']] } } } },
      Worker: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', FunctionName: 'image-worker' } },
      Alerts: { Type: 'AWS::SNS::Topic', Properties: {} },
      Jobs: { Type: 'AWS::SQS::Queue', Properties: {} },
      MoreJobs: { Type: 'AWS::SQS::Queue', Properties: {} },
    },
  }
}

describe('unservedFeatures', () => {
  let dir: string
  afterEach(() => rm(dir, { recursive: true, force: true }))

  /** An assembly with one root stack per entry (no nested stacks needed to tell Gen 2's parts apart). */
  const assemblyOf = async (stacks: Record<string, Resources>) => {
    dir = await mkdtemp(join(tmpdir(), 'unserved-'))
    for (const [name, Resources] of Object.entries(stacks)) await writeFile(join(dir, `${name}.template.json`), JSON.stringify({ Resources }))
    return CloudAssembly.load(dir, ids)
  }

  it('says nothing about a backend it serves whole, nor about what is only there to deploy it', async () => {
    expect(unservedFeatures(await assemblyOf(served), SERVICES)).toEqual([])
  })

  it('names each thing it does not serve, once, with what the app sees instead', async () => {
    const lines = unservedFeatures(await assemblyOf(unserved()), SERVICES)
    // a.handler.function on the backend's own function, and a.handler.custom (APPSYNC_JS), are served.
    expect(lines.filter(line => /Query\.(sayHello|echo)\b/.test(line))).toEqual([])
    // Functions run offline (as triggers, by the data API, on their schedules, through the Lambda API): the
    // user pool's preSignUp and customMessage triggers, their functions and the nightly schedule are not listed.
    expect(lines.filter(line => /pre-signup|preSignUp|customMessage|^Function |^Schedule /.test(line))).toEqual([])
    const expected = [
      /^Data: Lambda authorization \(lambdaAuthorizationMode, function authorizer\) .* refused with 401 UnauthorizedException\.$/,
      /^Data: OIDC authorization .* refused with 401 UnauthorizedException\.$/,
      /^Data: Query\.legacy calls Lambda function legacy-fn \(a\.handler\.function\), which is not part of this backend: calling it returns a Lambda:ResourceNotFoundException error\.$/,
      /^Data: Query\.weather uses HTTP data source WeatherApi, .* UnsupportedOperation error\.$/,
      /^Data: OpenSearch data source Search is not served offline; no field uses it yet\.$/,
      /^Auth: remembered devices \(DeviceConfiguration\) are not served offline/,
      /^Auth: passwordless sign-in \(EMAIL_OTP\) is not served offline: the USER_AUTH flow is refused/,
      /^Auth: sign-in with Google \(externalProviders\) .* signInWithRedirect/,
      /^Auth: identity-pool sign-in with accounts\.google\.com is not served offline/,
      // The onUpload trigger is run offline; the queue is not.
      /^Storage: the SQS notifications of bucket photos are not sent offline\.$/,
      /^REST API hello: GET \/ uses a Lambda authorizer, which is not run offline: calls to it are refused with 401 Unauthorized\.$/,
      /^Other resources are not served offline \(AWS::SNS::Topic, AWS::SQS::Queue ×2\): nothing local answers for them; calls to them go to AWS\.$/,
    ]
    for (const pattern of expected) expect(lines.filter(line => pattern.test(line)), String(pattern)).toHaveLength(1)
    expect(lines).toHaveLength(expected.length)
  })
})
