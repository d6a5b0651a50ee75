/**
 * The event a REST API's Lambda proxy integration hands its function (payload format 1.0, what
 * `APIGatewayProxyHandler` receives), built from a request as API Gateway builds it: header and
 * query values singly (the last one) and all of them (`multiValue…`), `null` for what the request
 * has none of, the body as text or, when its Content-Type is one of the API's binary media
 * types, base64; the caller in `requestContext.identity` (IAM) or `requestContext.authorizer.claims`
 * (a Cognito user pool authorizer, claims as strings the way API Gateway writes them). Pure.
 */
import type { APIGatewayEventIdentity, APIGatewayProxyEvent } from 'aws-lambda'
import type { JWTPayload } from 'jose'
import type { Principal } from '../iam'

export interface ProxyRequest {
  httpMethod: string
  /** Node's `rawHeaders`: names in the case the client sent them, repeats kept. */
  rawHeaders: readonly string[]
  /** The query as received, without `?`. */
  rawQuery: string
  body: Buffer
  sourceIp: string
  /** `HTTP/1.1` */
  protocol: string
}

export interface ProxyTarget {
  accountId: string
  region: string
  apiId: string
  stage: string
  stageVariables: Record<string, string>
  binaryMediaTypes: readonly string[]
  /** The template path (`/items/{proxy+}`) and id of the resource matched. */
  resourcePath: string
  resourceId: string
  /** The request path after the stage, decoded: `/items/a b`. */
  path: string
  pathParameters: Record<string, string>
}

/** Who the request was authorized as: an IAM signer, or the claims of a user pool token. */
export type ProxyCaller
  = | { kind: 'none' }
    | { kind: 'iam', principal: Principal }
    | { kind: 'cognito', claims: JWTPayload }

export interface ProxyEventInput {
  request: ProxyRequest
  target: ProxyTarget
  caller: ProxyCaller
  requestId: string
  extendedRequestId: string
  /** The `x-api-key` a method that requires one was called with. */
  apiKey?: string
  now: Date
}

export function proxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { request, target, caller, now } = input
  const { single: headers, multi: multiValueHeaders } = headersOf(request.rawHeaders)
  const query = queryOf(request.rawQuery)
  const binary = isBinaryMediaType(headerValue(multiValueHeaders, 'content-type'), target.binaryMediaTypes)
  const userAgent = headerValue(multiValueHeaders, 'user-agent') ?? null
  return {
    resource: target.resourcePath,
    path: target.path,
    httpMethod: request.httpMethod,
    headers,
    multiValueHeaders,
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: Object.keys(target.pathParameters).length ? { ...target.pathParameters } : null,
    stageVariables: Object.keys(target.stageVariables).length ? { ...target.stageVariables } : null,
    requestContext: {
      accountId: target.accountId,
      apiId: target.apiId,
      // Absent for calls without an authorizer, as in the cloud.
      authorizer: caller.kind === 'cognito' ? { claims: claimStrings(caller.claims) } : undefined,
      domainName: `${target.apiId}.execute-api.${target.region}.amazonaws.com`,
      domainPrefix: target.apiId,
      extendedRequestId: input.extendedRequestId,
      httpMethod: request.httpMethod,
      identity: identityOf(caller, target.accountId, request.sourceIp, userAgent, input.apiKey),
      path: `/${target.stage}${target.path}`,
      protocol: request.protocol,
      requestId: input.requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: target.resourceId,
      resourcePath: target.resourcePath,
      stage: target.stage,
    },
    body: request.body.length === 0 ? null : binary ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: request.body.length > 0 && binary,
  }
}

/**
 * Whether `mediaType` (a Content-Type, or the first type of an Accept header) is one of the API's
 * binary media types, which may use `*` wildcards (`image/*`, `*\/*`). Parameters are ignored.
 */
export function isBinaryMediaType(mediaType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase()
  if (!type) return false
  return binaryMediaTypes.some((pattern) => {
    const expression = pattern.trim().toLowerCase().split('*').map(part => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')
    return new RegExp(`^${expression}$`).test(type)
  })
}

/** Headers as API Gateway passes them: names as sent (the first spelling), the last value, and every value. */
function headersOf(rawHeaders: readonly string[]): { single: Record<string, string>, multi: Record<string, string[]> } {
  const single: Record<string, string> = {}
  const multi: Record<string, string[]> = {}
  const spelling = new Map<string, string>()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const sent = rawHeaders[i]!
    const name = spelling.get(sent.toLowerCase()) ?? sent
    spelling.set(sent.toLowerCase(), name)
    single[name] = rawHeaders[i + 1]!
    ;(multi[name] ??= []).push(rawHeaders[i + 1]!)
  }
  return { single, multi }
}

/** The query's parameters, decoded as a form (`+` is a space); undefined when there are none. */
function queryOf(rawQuery: string): { single: Record<string, string>, multi: Record<string, string[]> } | undefined {
  const single: Record<string, string> = {}
  const multi: Record<string, string[]> = {}
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    single[name] = value
    ;(multi[name] ??= []).push(value)
  }
  return Object.keys(single).length ? { single, multi } : undefined
}

function headerValue(headers: Record<string, string[]>, name: string): string | undefined {
  const key = Object.keys(headers).find(key => key.toLowerCase() === name)
  return key === undefined ? undefined : headers[key]!.at(-1)
}

/**
 * A user pool token's claims as API Gateway passes them to the function: every value a string,
 * `exp` and `iat` as dates (`Fri Jul 29 18:52:53 UTC 2016`), lists as `[a b]`.
 */
export function claimStrings(claims: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') out[name] = javaDate(new Date(value * 1000))
    else if (Array.isArray(value)) out[name] = `[${value.map(String).join(' ')}]`
    else out[name] = typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
  return out
}

function identityOf(caller: ProxyCaller, accountId: string, sourceIp: string, userAgent: string | null, apiKey: string | undefined): APIGatewayEventIdentity {
  const none: APIGatewayEventIdentity = {
    accessKey: null,
    accountId: null,
    apiKey: apiKey ?? null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  }
  if (caller.kind !== 'iam') return none
  const { principal } = caller
  const session = principal.userArn.slice(principal.userArn.lastIndexOf('/') + 1)
  const user = `${principal.role.roleId ?? principal.role.name}:${session}`
  const identity = principal.identity
  return {
    ...none,
    accessKey: principal.accessKeyId,
    accountId,
    caller: user,
    user,
    userArn: principal.userArn,
    ...(identity
      ? {
          cognitoIdentityPoolId: identity.identityPoolId,
          cognitoIdentityId: identity.identityId,
          cognitoAuthenticationType: identity.authType,
          // API Gateway writes the providers without the quotes AppSync keeps.
          cognitoAuthenticationProvider: identity.authProvider?.replace(/"/g, '') ?? null,
        }
      : {}),
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const two = (n: number) => String(n).padStart(2, '0')

/** `09/Apr/2015:12:34:56 +0000` */
function requestTime(date: Date): string {
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
}

/** `Fri Jul 29 18:52:53 UTC 2016`: how API Gateway's Java renders a token's dates. */
function javaDate(date: Date): string {
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`
}
