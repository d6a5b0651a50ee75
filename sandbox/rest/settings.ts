/**
 * What the local API Gateway takes from the synthesized backend, through the assembly reader only:
 * every REST API (`AWS::ApiGateway::RestApi`) with its resource tree (`{param}` and `{proxy+}`
 * parts included), the methods on each resource (authorization, API key, integration), its
 * authorizers, stages and their variables, binary media types and customized gateway responses.
 * Whatever an API asks for that the sandbox does not do is said once, in `unserved` (printed at
 * start by ../unserved.ts); values that cannot be evaluated leave their method out and say so.
 */
import type { CloudAssembly, FoundResource } from '../assembly'

export interface RestApiSettings {
  /** The API's id in this sandbox (its `Ref`): the first part of every local request path. */
  id: string
  /** `restApiName` (`Name`), else the logical id. */
  name: string
  /** Stage name → its variables (`stageVariables`). */
  stages: Map<string, Record<string, string>>
  /** `BinaryMediaTypes`, as given (`image/png`, `image/*`, `*\/*`). */
  binaryMediaTypes: string[]
  root: ApiResource
  /** Customized gateway responses (`AWS::ApiGateway::GatewayResponse`), by `ResponseType`. */
  gatewayResponses: Map<string, GatewayResponseSettings>
  /** One line per thing the API asks for that is not served offline, with what a caller sees instead. */
  unserved: string[]
}

export interface ApiResource {
  /** Its `Ref` (the root's is the API's `RootResourceId`): `requestContext.resourceId`. */
  id: string
  /** `items`, `{id}`, `{proxy+}`; '' for the root. */
  pathPart: string
  /** The template path, `/items/{proxy+}`: the event's `resource`. */
  path: string
  children: ApiResource[]
  /** By HTTP method, upper-case; `ANY` stands for every method without one of its own. */
  methods: Map<string, MethodSettings>
}

export type Authorization
  = | { type: 'NONE' }
    | { type: 'AWS_IAM' }
    | { type: 'COGNITO_USER_POOLS', authorizer: CognitoAuthorizer, scopes: string[] }
    /** A Lambda (TOKEN / REQUEST) authorizer: not run offline, so every call is refused. */
    | { type: 'CUSTOM' }

export interface CognitoAuthorizer {
  name: string
  /** `ProviderARNs`: the user pools whose tokens it accepts. */
  userPoolArns: string[]
  /** The request header holding the token (`IdentitySource`, `method.request.header.Authorization`), lower-case. */
  header: string
}

export type Integration
  = | { type: 'LAMBDA_PROXY', functionArn: string, timeoutMs: number }
    | { type: 'MOCK', statusCode: number, responses: MockResponse[] }
    /** Anything else: answered with API Gateway's 500. */
    | { type: 'UNSUPPORTED' }

export interface MockResponse {
  /** `SelectionPattern`, a regular expression matched against the status code; undefined for the default response. */
  selectionPattern?: string
  statusCode: number
  /** Header name → `'literal'` value or `method.request.header.<name>` (the request's header). */
  headers: Record<string, string>
  /** `ResponseTemplates['application/json']` when it is plain text (no VTL). */
  body?: string
}

export interface MethodSettings {
  httpMethod: string
  authorization: Authorization
  apiKeyRequired: boolean
  integration: Integration
}

export interface GatewayResponseSettings {
  statusCode?: number
  /** Header name → `'literal'` value or `method.request.header.<name>`. */
  headers: Record<string, string>
  /** `ResponseTemplates['application/json']`: `$context.error.messageString` and `$context.error.message` are filled in. */
  template?: string
}

/** API Gateway's integration timeout when the method sets none (and its maximum without a quota increase). */
export const DEFAULT_TIMEOUT_MS = 29_000

/** Every REST API of the backend. */
export function restApiSettings(assembly: CloudAssembly): RestApiSettings[] {
  const reader = new Reader(assembly)
  return assembly.resourcesOfType('AWS::ApiGateway::RestApi').map(api => reader.api(api))
}

/** One REST API (for ../unserved.ts, which judges resources one at a time). */
export function restApiSettingsOf(assembly: CloudAssembly, api: FoundResource): RestApiSettings {
  return new Reader(assembly).api(api)
}

class Reader {
  constructor(private readonly assembly: CloudAssembly) {}

  api(found: FoundResource): RestApiSettings {
    const id = String(this.assembly.ref(found.stack, found.logicalId))
    const name = String(this.lenient(found, 'Name') ?? found.logicalId)
    const unserved = new Set<string>()
    const say = (line: string) => unserved.add(`REST API ${name}: ${line}`)
    const ofThisApi = (type: string) => this.assembly.resourcesOfType(type).filter(resource => this.lenient(resource, 'RestApiId') === id)

    // The tree: every resource hangs from its parent by `ParentId`, the root being the API's `RootResourceId`.
    const rootId = String(this.assembly.getAttribute(found.stack, found.logicalId, 'RootResourceId'))
    const root: ApiResource = { id: rootId, pathPart: '', path: '/', children: [], methods: new Map() }
    const byId = new Map<string, ApiResource>([[rootId, root]])
    const pending = ofThisApi('AWS::ApiGateway::Resource').map(resource => ({
      id: String(this.ref(resource)),
      parentId: String(this.lenient(resource, 'ParentId')),
      pathPart: String(this.lenient(resource, 'PathPart') ?? resource.logicalId),
    }))
    // Parents first, whatever the templates' order.
    for (let placed = true; placed && pending.length;) {
      placed = false
      for (const [index, resource] of [...pending.entries()].reverse()) {
        const parent = byId.get(resource.parentId)
        if (!parent) continue
        const node: ApiResource = { id: resource.id, pathPart: resource.pathPart, path: `${parent.path === '/' ? '' : parent.path}/${resource.pathPart}`, children: [], methods: new Map() }
        parent.children.push(node)
        byId.set(node.id, node)
        pending.splice(index, 1)
        placed = true
      }
    }
    for (const orphan of pending) say(`the resource ${orphan.pathPart} has no parent the sandbox can find: it is not served offline (403 Missing Authentication Token).`)

    const authorizers = new Map<string, { type: string, cognito?: CognitoAuthorizer }>()
    for (const authorizer of ofThisApi('AWS::ApiGateway::Authorizer')) {
      const type = String(this.lenient(authorizer, 'Type'))
      const authorizerName = String(this.lenient(authorizer, 'Name') ?? authorizer.logicalId)
      const header = /^method\.request\.header\.(.+)$/.exec(String(this.lenient(authorizer, 'IdentitySource') ?? ''))?.[1] ?? 'Authorization'
      const userPoolArns = ((this.lenient(authorizer, 'ProviderARNs') ?? []) as unknown[]).map(String)
      authorizers.set(String(this.ref(authorizer)), type === 'COGNITO_USER_POOLS' ? { type, cognito: { name: authorizerName, userPoolArns, header: header.toLowerCase() } } : { type })
    }

    const validated = new Set<string>()
    for (const method of ofThisApi('AWS::ApiGateway::Method')) {
      const node = byId.get(String(this.lenient(method, 'ResourceId')))
      if (!node) continue
      const httpMethod = String(this.lenient(method, 'HttpMethod')).toUpperCase()
      const where = `${httpMethod} ${node.path}`
      let settings: MethodSettings
      try {
        settings = {
          httpMethod,
          authorization: this.authorization(method, authorizers, where, say),
          apiKeyRequired: this.lenient(method, 'ApiKeyRequired') === true || this.lenient(method, 'ApiKeyRequired') === 'true',
          integration: this.integration(method, where, say),
        }
      }
      catch (error) {
        say(`${where} is not served offline (${(error as Error).message}): calls to it get 403 Missing Authentication Token.`)
        continue
      }
      if (settings.apiKeyRequired) say('API keys are not checked offline: a call with any x-api-key header goes through (without one it gets 403 Forbidden, as in the cloud), and usage plans\' quotas and throttling do not apply.')
      if (this.lenient(method, 'RequestValidatorId') !== undefined) validated.add(where)
      node.methods.set(httpMethod, settings)
    }
    if (validated.size) say(`request validation (${[...validated].join(', ')}) is not done offline: requests the cloud refuses with 400 reach the integration.`)
    if (this.lenient(found, 'Policy') !== undefined) say('its resource policy is not enforced offline: only the caller\'s own IAM policies decide.')

    const stages = new Map<string, Record<string, string>>()
    for (const stage of ofThisApi('AWS::ApiGateway::Stage')) {
      const variables = (this.lenient(stage, 'Variables') ?? {}) as Record<string, unknown>
      stages.set(String(this.lenient(stage, 'StageName')), Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])))
    }
    // A deployment may make its stage itself (`StageName` on the deployment).
    for (const deployment of ofThisApi('AWS::ApiGateway::Deployment')) {
      const stageName = this.lenient(deployment, 'StageName')
      if (typeof stageName === 'string' && !stages.has(stageName)) stages.set(stageName, {})
    }

    const gatewayResponses = new Map<string, GatewayResponseSettings>()
    for (const response of ofThisApi('AWS::ApiGateway::GatewayResponse')) {
      const statusCode = this.lenient(response, 'StatusCode')
      const templates = (this.lenient(response, 'ResponseTemplates') ?? {}) as Record<string, unknown>
      const template = templates['application/json']
      gatewayResponses.set(String(this.lenient(response, 'ResponseType')), {
        ...(statusCode !== undefined ? { statusCode: Number(statusCode) } : {}),
        headers: headerMappings((this.lenient(response, 'ResponseParameters') ?? {}) as Record<string, unknown>, 'gatewayresponse.header.'),
        ...(typeof template === 'string' ? { template } : {}),
      })
    }

    return {
      id,
      name,
      stages,
      binaryMediaTypes: ((this.lenient(found, 'BinaryMediaTypes') ?? []) as unknown[]).map(type => String(type).replaceAll('~1', '/')),
      root,
      gatewayResponses,
      unserved: [...unserved],
    }
  }

  private authorization(method: FoundResource, authorizers: Map<string, { type: string, cognito?: CognitoAuthorizer }>, where: string, say: (line: string) => void): Authorization {
    const type = String(this.value(method, 'AuthorizationType') ?? 'NONE')
    switch (type) {
      case 'NONE':
      case 'AWS_IAM':
        return { type }
      case 'COGNITO_USER_POOLS': {
        const authorizer = authorizers.get(String(this.value(method, 'AuthorizerId')))
        if (!authorizer?.cognito) throw new Error('its Cognito authorizer cannot be found')
        const scopes = ((this.value(method, 'AuthorizationScopes') ?? []) as unknown[]).map(String)
        return { type, authorizer: authorizer.cognito, scopes }
      }
      default:
        say(`${where} uses a Lambda authorizer, which is not run offline: calls to it are refused with 401 Unauthorized.`)
        return { type: 'CUSTOM' }
    }
  }

  private integration(method: FoundResource, where: string, say: (line: string) => void): Integration {
    const integration = (this.value(method, 'Integration') ?? {}) as Record<string, unknown>
    const type = String(integration.Type ?? 'NONE')
    const uri = typeof integration.Uri === 'string' ? integration.Uri : ''
    const lambda = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(uri)?.[1]
    if (type === 'AWS_PROXY' && lambda) {
      const timeout = Number(integration.TimeoutInMillis ?? DEFAULT_TIMEOUT_MS)
      return { type: 'LAMBDA_PROXY', functionArn: lambda, timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS }
    }
    if (type === 'MOCK') return this.mock(integration, where, say)
    const kind = type === 'AWS' && lambda ? 'Lambda (non-proxy)' : type
    say(`${where} uses ${kind === 'NONE' ? 'no integration' : `an ${kind} integration`}, which is not served offline: calls to it get 500 {"message": "Internal server error"}.`)
    return { type: 'UNSUPPORTED' }
  }

  /** A MOCK integration as CDK writes CORS preflights: a request template naming the status, static responses. */
  private mock(integration: Record<string, unknown>, where: string, say: (line: string) => void): Integration {
    const requestTemplate = String(((integration.RequestTemplates ?? {}) as Record<string, unknown>)['application/json'] ?? '')
    const statusCode = Number(/statusCode"?\s*:\s*(\d{3})/.exec(requestTemplate)?.[1] ?? 200)
    let templated = false
    const responses = ((integration.IntegrationResponses ?? []) as Array<Record<string, unknown>>).map((response) => {
      const template = ((response.ResponseTemplates ?? {}) as Record<string, unknown>)['application/json']
      const plain = typeof template === 'string' && !/[$#]/.test(template)
      if (typeof template === 'string' && !plain) templated = true
      return {
        ...(typeof response.SelectionPattern === 'string' && response.SelectionPattern !== '' ? { selectionPattern: response.SelectionPattern } : {}),
        statusCode: Number(response.StatusCode ?? 200),
        headers: headerMappings((response.ResponseParameters ?? {}) as Record<string, unknown>, 'method.response.header.'),
        ...(plain ? { body: template } : {}),
      }
    })
    // CDK's preflight for several allowed origins picks the caller's origin in a mapping template.
    if (templated) say(`${where} has a mapping template (VTL), which is not run offline: it answers with its static status and headers only (a CORS preflight allows only the first of several origins).`)
    return { type: 'MOCK', statusCode, responses }
  }

  private value(found: FoundResource, name: string): unknown {
    return this.assembly.property(found.stack, found.logicalId, name)
  }

  /** A value, or undefined when it cannot be evaluated (the resource is then left out, and said to be). */
  private lenient(found: FoundResource, name: string): unknown {
    try {
      return this.value(found, name)
    }
    catch {
      return undefined
    }
  }

  private ref(found: FoundResource): unknown {
    return this.assembly.ref(found.stack, found.logicalId)
  }
}

/** `{ '<prefix>X-Header': "'value'" }` → `{ 'X-Header': "'value'" }`, values kept as mappings. */
function headerMappings(parameters: Record<string, unknown>, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(parameters)) {
    if (key.startsWith(prefix) && typeof value === 'string') headers[key.slice(prefix.length)] = value
  }
  return headers
}
