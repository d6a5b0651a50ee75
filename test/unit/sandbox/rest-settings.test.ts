/**
 * What the local API Gateway reads from a synthesized REST API (the shapes CDK's `RestApi`,
 * `LambdaIntegration`, `CognitoUserPoolsAuthorizer` and `defaultCorsPreflightOptions` write), the
 * ids its intrinsics evaluate to, what it says it does not serve, and how cloud URLs become local.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloudAssembly } from '../../../sandbox/assembly'
import { DEFAULT_TIMEOUT_MS, restApiSettings, type ApiResource } from '../../../sandbox/rest/settings'
import { localizeRestUrls, localStageUrl } from '../../../sandbox/rest/urls'

const ids = { region: 'us-east-1', accountId: '000000000000', apiId: 'resttest000000000000000000', userPoolId: 'us-east-1_RestTest1', clientId: 'restclient0000000000000000', identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000002', bucketSuffix: 'resttest0001' }

const api = { Ref: 'RestApi' }
const lambdaUri = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, ':lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '/invocations']] }
const proxy = (extra: Record<string, unknown> = {}) => ({ IntegrationHttpMethod: 'POST', Type: 'AWS_PROXY', Uri: lambdaUri, ...extra })
const cors = {
  IntegrationResponses: [{
    ResponseParameters: {
      'method.response.header.Access-Control-Allow-Headers': '\'Content-Type,X-Amz-Date,Authorization\'',
      'method.response.header.Access-Control-Allow-Origin': '\'*\'',
      'method.response.header.Access-Control-Allow-Methods': '\'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD\'',
    },
    StatusCode: '204',
  }],
  RequestTemplates: { 'application/json': '{ statusCode: 200 }' },
  Type: 'MOCK',
}
const resource = (parent: unknown, part: string, restApi: unknown = api) => ({ Type: 'AWS::ApiGateway::Resource', Properties: { ParentId: parent, PathPart: part, RestApiId: restApi } })
const method = (on: unknown, httpMethod: string, properties: Record<string, unknown>, restApi: unknown = api) => ({ Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: httpMethod, ResourceId: on, RestApiId: restApi, ...properties } })
const rootOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'RootResourceId'] })

/** The Gen 2 docs' REST API (trimmed to one method of each kind), as synth writes it. */
const docsApi = {
  Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', Tags: [{ Key: 'amplify:friendly-name', Value: 'api-function' }] } },
  Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
  RestApi: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'myRestApi', BinaryMediaTypes: ['image/png'] } },
  Deployment: { Type: 'AWS::ApiGateway::Deployment', Properties: { RestApiId: api } },
  Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { DeploymentId: { Ref: 'Deployment' }, RestApiId: api, StageName: 'dev', Variables: { table: 'Items' } } },
  RootOptions: method(rootOf('RestApi'), 'OPTIONS', { AuthorizationType: 'NONE', ApiKeyRequired: false, Integration: cors }),
  Items: resource(rootOf('RestApi'), 'items'),
  ItemsGet: method({ Ref: 'Items' }, 'GET', { AuthorizationType: 'AWS_IAM', Integration: proxy() }),
  ItemsProxy: resource({ Ref: 'Items' }, '{proxy+}'),
  ItemsProxyAny: method({ Ref: 'ItemsProxy' }, 'ANY', { AuthorizationType: 'AWS_IAM', Integration: proxy({ TimeoutInMillis: 1000 }) }),
  Authorizer: { Type: 'AWS::ApiGateway::Authorizer', Properties: { IdentitySource: 'method.request.header.Authorization', Name: 'CognitoAuth', ProviderARNs: [{ 'Fn::GetAtt': ['Pool', 'Arn'] }], RestApiId: api, Type: 'COGNITO_USER_POOLS' } },
  CognitoPath: resource(rootOf('RestApi'), 'cognito-auth-path'),
  CognitoGet: method({ Ref: 'CognitoPath' }, 'GET', { AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: 'Authorizer' }, Integration: proxy() }),
  NotFound: { Type: 'AWS::ApiGateway::GatewayResponse', Properties: { RestApiId: api, ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404', ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': '\'*\'' }, ResponseTemplates: { 'application/json': '{"error":$context.error.messageString}' } } },
}

const endpointOutput = { 'Fn::Join': ['', ['https://', api, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: 'Stage' }, '/']] }

/** A second API with one of everything the sandbox does not do. */
const other = { Ref: 'Other' }
const otherApi = {
  Other: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'legacy', Policy: { Statement: [] } } },
  OtherStage: { Type: 'AWS::ApiGateway::Deployment', Properties: { RestApiId: other, StageName: 'prod' } },
  Guarded: method(rootOf('Other'), 'GET', { AuthorizationType: 'CUSTOM', AuthorizerId: 'x', ApiKeyRequired: true, RequestValidatorId: { Ref: 'Validator' }, Integration: proxy() }, other),
  Validator: { Type: 'AWS::ApiGateway::RequestValidator', Properties: { RestApiId: other } },
  Forward: resource(rootOf('Other'), 'forward', other),
  ForwardAny: method({ Ref: 'Forward' }, 'ANY', { AuthorizationType: 'NONE', Integration: { Type: 'HTTP_PROXY', Uri: 'https://example.com/{proxy}' } }, other),
  Origins: method({ Ref: 'Forward' }, 'OPTIONS', { AuthorizationType: 'NONE', Integration: { ...cors, IntegrationResponses: [{ ...cors.IntegrationResponses[0], ResponseTemplates: { 'application/json': '#set($origin = $input.params().header.get("Origin"))' } }] } }, other),
}

describe('REST API settings', () => {
  let dir: string
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const load = async (resources: Record<string, unknown>, withIds = ids) => {
    dir = await mkdtemp(join(tmpdir(), 'rest-settings-'))
    await writeFile(join(dir, 'api.template.json'), JSON.stringify({ Resources: resources, Outputs: { Endpoint: { Value: endpointOutput } } }))
    return CloudAssembly.load(dir, withIds)
  }
  const paths = (node: ApiResource): string[] => [`${node.path} ${[...node.methods.keys()].join(',')}`.trim(), ...node.children.flatMap(paths)]

  it('gives each API a stable 10-character id of its own, and the outputs its URL with the stage name', async () => {
    const assembly = await load(docsApi)
    const [settings] = restApiSettings(assembly)
    expect(settings!.id).toMatch(/^[a-z0-9]{10}$/)
    expect(assembly.evaluate(assembly.stacks[0]!, endpointOutput)).toBe(`https://${settings!.id}.execute-api.us-east-1.amazonaws.com/dev/`)
    expect(assembly.getAttribute(assembly.stacks[0]!, 'RestApi', 'RestApiId')).toBe(settings!.id)
    expect(restApiSettings(await load(docsApi))[0]!.id).toBe(settings!.id)
    expect(restApiSettings(await load(docsApi, { ...ids, apiId: 'anothersandbox000000000000' }))[0]!.id).not.toBe(settings!.id)
  })

  it('reads the resource tree, methods, authorization and integrations of the docs\' API', async () => {
    const assembly = await load(docsApi)
    const [settings] = restApiSettings(assembly)
    const functionArn = String(assembly.getAttribute(assembly.stacks[0]!, 'Fn', 'Arn'))
    expect(settings).toMatchObject({ name: 'myRestApi', binaryMediaTypes: ['image/png'], unserved: [] })
    expect([...settings!.stages]).toEqual([['dev', { table: 'Items' }]])
    expect(paths(settings!.root).sort()).toEqual(['/ OPTIONS', '/cognito-auth-path GET', '/items GET', '/items/{proxy+} ANY'])

    const items = settings!.root.children.find(child => child.pathPart === 'items')!
    expect(items.methods.get('GET')).toEqual({ httpMethod: 'GET', authorization: { type: 'AWS_IAM' }, apiKeyRequired: false, integration: { type: 'LAMBDA_PROXY', functionArn, timeoutMs: DEFAULT_TIMEOUT_MS } })
    expect(items.children[0]!.methods.get('ANY')!.integration).toEqual({ type: 'LAMBDA_PROXY', functionArn, timeoutMs: 1000 })
    const cognito = settings!.root.children.find(child => child.pathPart === 'cognito-auth-path')!
    expect(cognito.methods.get('GET')!.authorization).toEqual({
      type: 'COGNITO_USER_POOLS',
      scopes: [],
      authorizer: { name: 'CognitoAuth', header: 'authorization', userPoolArns: [`arn:aws:cognito-idp:us-east-1:000000000000:userpool/${ids.userPoolId}`] },
    })
    expect(settings!.root.methods.get('OPTIONS')!.integration).toEqual({
      type: 'MOCK',
      statusCode: 200,
      responses: [{ statusCode: 204, headers: { 'Access-Control-Allow-Headers': '\'Content-Type,X-Amz-Date,Authorization\'', 'Access-Control-Allow-Origin': '\'*\'', 'Access-Control-Allow-Methods': '\'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD\'' } }],
    })
    expect(settings!.gatewayResponses.get('MISSING_AUTHENTICATION_TOKEN')).toEqual({ statusCode: 404, headers: { 'Access-Control-Allow-Origin': '\'*\'' }, template: '{"error":$context.error.messageString}' })
  })

  it('says, per API, what it does not serve and what a caller sees instead', async () => {
    const all = restApiSettings(await load({ ...docsApi, ...otherApi }))
    expect(all.find(settings => settings.name === 'myRestApi')!.unserved).toEqual([])
    const legacy = all.find(settings => settings.name === 'legacy')!
    expect([...legacy.stages.keys()]).toEqual(['prod'])
    const expected = [
      /^REST API legacy: GET \/ uses a Lambda authorizer, which is not run offline: calls to it are refused with 401 Unauthorized\.$/,
      /^REST API legacy: API keys are not checked offline: .*403 Forbidden/,
      /^REST API legacy: request validation \(GET \/\) is not done offline/,
      /^REST API legacy: ANY \/forward uses an HTTP_PROXY integration, which is not served offline: calls to it get 500/,
      /^REST API legacy: OPTIONS \/forward has a mapping template \(VTL\), which is not run offline/,
      /^REST API legacy: its resource policy is not enforced offline/,
    ]
    for (const pattern of expected) expect(legacy.unserved.filter(line => pattern.test(line)), String(pattern)).toHaveLength(1)
    expect(legacy.unserved).toHaveLength(expected.length)
  })
})

describe('local REST URLs', () => {
  it('rewrites the cloud URL of a served API, wherever it is in the custom outputs, and nothing else', () => {
    const custom = {
      API: { myRestApi: { endpoint: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/dev/', region: 'us-east-1', apiName: 'myRestApi' } },
      links: ['https://abc123defg.execute-api.eu-west-1.amazonaws.com/dev/items?x=1', 'https://zzz999zzzz.execute-api.us-east-1.amazonaws.com/dev/', 'https://abc123defg.execute-api.us-east-1.amazonaws.com.evil.example/'],
      count: 3,
    }
    expect(localizeRestUrls(custom, 'http://127.0.0.1:20004', ['abc123defg'])).toEqual({
      API: { myRestApi: { endpoint: 'http://127.0.0.1:20004/abc123defg/dev/', region: 'us-east-1', apiName: 'myRestApi' } },
      links: ['http://127.0.0.1:20004/abc123defg/dev/items?x=1', 'https://zzz999zzzz.execute-api.us-east-1.amazonaws.com/dev/', 'https://abc123defg.execute-api.us-east-1.amazonaws.com.evil.example/'],
      count: 3,
    })
    expect(localStageUrl('http://127.0.0.1:20004', 'abc123defg', 'dev')).toBe('http://127.0.0.1:20004/abc123defg/dev/')
  })
})
