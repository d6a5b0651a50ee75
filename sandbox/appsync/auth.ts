/**
 * Who is calling, established as AppSync does it before any resolver runs. The simulator would take
 * any JWT whose `iss` starts with `https://cognito-idp.`, any API key and any SigV4 header, so every
 * request is checked here first and the simulator only learns the outcome (the mode, the verified
 * claims or the IAM identity):
 * - user pool tokens: signature, expiry, issuer and client, via the user pool (not revocation,
 *   which AppSync does not check either);
 * - API keys: the API's own key, until it expires;
 * - SigV4 (AWS_IAM): the signature over the request as sent, by credentials the sandbox issued, then
 *   `appsync:GraphQL` on every top-level field for the caller's role.
 * Messages are AppSync's, as the data client and apps may show or match on them.
 */
import type { DocumentNode, FieldNode, GraphQLSchema, SelectionSetNode } from 'graphql'
import type { JWTPayload } from 'jose'
import type { Iam, Principal } from '../iam/types'
import type { UserPool } from '../core/types'
import { checkApiKey, type ApiKey } from './api-key'
import type { AuthenticationType } from './definition'
import { graphql } from './graphql'
import type { LocalExecutionContext } from './simulator'

const { Kind, getOperationAST } = graphql

export interface AuthModes {
  defaultAuthentication: AuthenticationType
  additionalAuthentication: AuthenticationType[]
}

/** A caller AppSync let in, by the mode it authenticated with. */
export type Caller
  = | { mode: 'AMAZON_COGNITO_USER_POOLS', claims: JWTPayload }
    | { mode: 'API_KEY' }
    | { mode: 'AWS_IAM', principal: Principal }

export interface Refusal {
  ok: false
  /** The HTTP status AppSync answers with (401, or 403/400 for a bad signature). */
  status: number
  errorType: string
  message: string
  /** Why, in words, for the sandbox's request log (set where AppSync's message says little); never sent. */
  reason?: string
}

export type AuthResult = { ok: true, caller: Caller } | Refusal

/** What authentication needs to know about the API, as it is now. */
export interface Authenticator {
  modes: () => AuthModes
  verifyToken: UserPool['verifyToken']
  iam: Iam
  apiKey: () => ApiKey | undefined
  /** Told when a request comes with the key after it expired (the sandbox says so once). */
  onExpiredApiKey?: (key: ApiKey) => void
}

/**
 * A request as presented: its headers (HTTP headers, or the `authorization` object of a realtime
 * message) and, for SigV4, the request the client signed. Over HTTP that is the request itself;
 * over realtime it is a POST of the message's payload the client signed without sending.
 */
export interface PresentedRequest {
  headers: Record<string, unknown>
  signed: { method: string, path: string, query: string, body: string | Buffer }
}

const MESSAGES = {
  missing: 'Valid authorization header not provided.',
  unparsable: 'Unable to parse JWT token.',
  expired: 'Token has expired.',
  invalid: 'You are not authorized to make this call.',
  // What AppSync answers when the caller's IAM policy does not allow a field (aws-amplify/amplify-category-api#2457).
  permission: 'Permission denied',
} as const

const refuse = (message: string, status = 401, errorType = 'UnauthorizedException'): Refusal => ({ ok: false, status, errorType, message })

/** Authenticates one request; refusals are AppSync's, with its status codes. */
export async function authenticate(request: PresentedRequest, auth: Authenticator): Promise<AuthResult> {
  const authorization = header(request.headers, 'authorization')
  const apiKey = header(request.headers, 'x-api-key')
  const modes = auth.modes()
  const allowed = new Set([modes.defaultAuthentication, ...modes.additionalAuthentication])

  if (authorization?.startsWith('AWS4-HMAC-SHA256')) {
    if (!allowed.has('AWS_IAM')) return refuse(MESSAGES.invalid)
    const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string | string[]] => typeof entry[1] === 'string' || Array.isArray(entry[1])))
    const verified = await auth.iam.verify({ ...request.signed, headers }, 'appsync')
    if (!verified.ok) return refuse(verified.message, verified.status, verified.code)
    return { ok: true, caller: { mode: 'AWS_IAM', principal: verified.principal } }
  }
  if (!authorization && apiKey) {
    if (!allowed.has('API_KEY')) return refuse(MESSAGES.missing)
    const key = auth.apiKey()
    const check = checkApiKey(key, apiKey)
    if (check === 'expired') auth.onExpiredApiKey?.(key!)
    // AppSync says the same for an expired key as for a wrong one.
    return check === 'valid' ? { ok: true, caller: { mode: 'API_KEY' } } : refuse(MESSAGES.invalid)
  }
  if (!authorization) return refuse(MESSAGES.missing)
  if (!allowed.has('AMAZON_COGNITO_USER_POOLS')) {
    const unserved = [...allowed].filter(mode => mode === 'OPENID_CONNECT' || mode === 'AWS_LAMBDA')
    return refuse(unserved.length ? `${MESSAGES.invalid} (${unserved.join(' and ')} authorization is not served by the offline sandbox.)` : MESSAGES.invalid)
  }
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(authorization)) return refuse(MESSAGES.unparsable)
  try {
    return { ok: true, caller: { mode: 'AMAZON_COGNITO_USER_POOLS', claims: await auth.verifyToken(authorization) } }
  }
  catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    if (code === 'ERR_JWT_EXPIRED' || /expired/i.test(message ?? '')) return refuse(MESSAGES.expired)
    return refuse(MESSAGES.invalid)
  }
}

/**
 * AppSync's IAM authorization: the caller's role must allow `appsync:GraphQL` on each top-level
 * field the operation selects (`<apiArn>/types/<Type>/fields/<field>`); one denied field refuses the
 * request. Other modes pass: their rules are in the resolvers.
 */
export function authorizeFields(caller: Caller, schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, iam: Iam, apiArn: string): Refusal | undefined {
  if (caller.mode !== 'AWS_IAM') return undefined
  const operation = getOperationAST(document, operationName)
  // An operation the schema cannot run is refused by execution, in GraphQL's words.
  if (!operation) return undefined
  const type = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[operation.operation]
  if (!type) return undefined
  for (const field of topLevelFields(document, operation.selectionSet)) {
    if (field.startsWith('__')) continue
    const arn = `${apiArn}/types/${type.name}/fields/${field}`
    if (!iam.isAllowed(caller.principal, 'appsync:GraphQL', arn)) return { ...refuse(MESSAGES.permission), reason: iam.explain(caller.principal, 'appsync:GraphQL', arn) }
  }
  return undefined
}

/** What the simulator is told about the caller: the mode its `$util.authType()` and directives read, and `$ctx.identity`'s source. */
export function executionIdentity(caller: Caller): Pick<LocalExecutionContext, 'requestAuthorizationMode' | 'jwt' | 'iamToken'> {
  switch (caller.mode) {
    case 'AMAZON_COGNITO_USER_POOLS':
      return { requestAuthorizationMode: caller.mode, jwt: caller.claims as Record<string, unknown> }
    case 'API_KEY':
      return { requestAuthorizationMode: caller.mode }
    case 'AWS_IAM': {
      const { userArn, identity, role } = caller.principal
      const session = userArn.slice(userArn.lastIndexOf('/') + 1)
      return {
        requestAuthorizationMode: caller.mode,
        iamToken: {
          // AppSync's `username` for a role's session, as IAM's `aws:userid`.
          username: `${role.roleId ?? role.name}:${session}`,
          userArn,
          cognitoIdentityPoolId: identity?.identityPoolId,
          cognitoIdentityId: identity?.identityId,
          cognitoIdentityAuthType: identity?.authType,
          cognitoIdentityAuthProvider: identity?.authProvider,
        },
      }
    }
  }
}

/** The fields an operation selects at its root, through fragments. */
function topLevelFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  const fields: string[] = []
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push((selection as FieldNode).name.value)
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields.push(...topLevelFields(document, selection.selectionSet, seen))
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value)
      const fragment = document.definitions.find(d => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value)
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) fields.push(...topLevelFields(document, fragment.selectionSet, seen))
    }
  }
  return fields
}

/** Case-insensitive header lookup in Node's (lower-case) headers or a client-built object. */
function header(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string' && first.trim() !== '') return first.trim()
  }
  return undefined
}
