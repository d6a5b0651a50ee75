/**
 * The user pool's Lambda triggers, run as Cognito runs them: events shaped as Cognito builds them
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html),
 * a function's error refused with `UserLambdaValidationException` and Cognito's wording
 * ("PreSignUp failed with error <message>."), and what a trigger returns honoured by the
 * operations that call these (auto-confirm, token claims and groups, custom messages).
 */
import { invalidTriggerResponse, triggerDidNotAnswer, triggerRefused, triggerUnavailable } from './errors'
import { stringMap, type Body } from './params'
import type { LocalPool } from './pool'
import type { StoredUser } from './state-file'

export type TriggerName = 'PreSignUp' | 'PostConfirmation' | 'PreAuthentication' | 'PostAuthentication' | 'CustomMessage' | 'PreTokenGeneration'

/** What the operation knows about the call: the app client and the caller's ClientMetadata. */
export interface TriggerCall {
  clientId?: string
  clientMetadata?: Record<string, string>
}

/** The app client and `ClientMetadata` of a request, as triggers get them. */
export function callOf(body: Body): TriggerCall {
  const clientMetadata = body.ClientMetadata === undefined ? undefined : stringMap(body, 'ClientMetadata')
  return { ...(typeof body.ClientId === 'string' ? { clientId: body.ClientId } : {}), ...(clientMetadata ? { clientMetadata } : {}) }
}

/** The user's attributes as triggers see them: `sub` and `cognito:user_status` included, as Cognito sends. */
export function userAttributesOf(user: StoredUser): Record<string, string> {
  return { 'sub': user.sub, ...user.attributes, 'cognito:user_status': user.status }
}

/**
 * Runs the pool's `name` trigger, if it has one, and answers what the function returned as
 * `response`; `undefined` when there is no such trigger. A function error, timeout or crash is
 * thrown as the Cognito error the client would get.
 */
export async function runTrigger(
  pool: LocalPool,
  name: TriggerName,
  input: { triggerSource: string, user?: StoredUser, userName?: string, call: TriggerCall, request: Record<string, unknown>, response?: Record<string, unknown> },
): Promise<Record<string, unknown> | undefined> {
  const configured = name === 'PreTokenGeneration' ? pool.settings.triggers.PreTokenGeneration : pool.settings.triggers[name]
  if (!configured) return undefined
  const arn = typeof configured === 'string' ? configured : configured.arn
  const version = typeof configured === 'string' ? 1 : configured.version
  const invoke = pool.triggerInvoker
  if (!invoke) throw triggerUnavailable(name)
  const event: Record<string, unknown> = {
    version: String(version),
    region: pool.settings.region,
    userPoolId: pool.settings.userPoolId,
    userName: input.userName ?? input.user?.sub ?? '',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: input.call.clientId ?? pool.settings.clientId },
    triggerSource: input.triggerSource,
    request: { ...input.request, ...(input.call.clientMetadata ? { clientMetadata: input.call.clientMetadata } : {}) },
    response: input.response ?? {},
  }
  const result = await invoke(arn, event)
  if (!result.ok) {
    const { errorType, errorMessage } = result.error
    // Cognito waits 5 s for a trigger; a function that does not answer fails the call differently from one that throws.
    if (errorType === 'Sandbox.Timedout' || errorType.startsWith('Runtime.')) {
      throw triggerDidNotAnswer(name, errorType)
    }
    throw triggerRefused(name, errorMessage)
  }
  const answered = result.payload as { response?: unknown } | null
  if (!answered || typeof answered !== 'object') throw invalidTriggerResponse(`${name} returned no event.`)
  const response = answered.response ?? {}
  if (typeof response !== 'object' || response === null) throw invalidTriggerResponse(`${name} returned a response that is not an object.`)
  return response as Record<string, unknown>
}

/** PreSignUp's answer: whether to confirm the user now, and which attributes to mark verified. */
export async function preSignUp(pool: LocalPool, triggerSource: 'PreSignUp_SignUp' | 'PreSignUp_AdminCreateUser', user: StoredUser, call: TriggerCall, validationData?: Record<string, string>) {
  const response = await runTrigger(pool, 'PreSignUp', {
    triggerSource,
    user,
    call,
    request: { userAttributes: { ...user.attributes }, validationData: validationData ?? null },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  })
  return { autoConfirmUser: response?.autoConfirmUser === true, autoVerifyEmail: response?.autoVerifyEmail === true, autoVerifyPhone: response?.autoVerifyPhone === true }
}

/**
 * The subject and body of a message with its code, from the CustomMessage trigger if there is one:
 * its `emailMessage` for an e-mail, its `smsMessage` for a text (which has no subject).
 */
export async function customMessage(
  pool: LocalPool,
  triggerSource: string,
  user: StoredUser,
  code: string,
  call: TriggerCall,
  /** The message without a trigger: the pool's verification e-mail unless told (an invitation's). */
  template: { subject: string, message: string } = pool.settings.verificationEmail,
  medium: 'EMAIL' | 'SMS' = 'EMAIL',
): Promise<{ subject: string, body: string }> {
  const { subject, message } = template
  const fallback = { subject, body: message.replaceAll('{####}', code) }
  const invitation = triggerSource === 'CustomMessage_AdminCreateUser'
  const response = await runTrigger(pool, 'CustomMessage', {
    triggerSource,
    user,
    call,
    request: { userAttributes: userAttributesOf(user), codeParameter: '{####}', linkParameter: '{##Click Here##}', usernameParameter: invitation ? '{username}' : null },
    response: { smsMessage: null, emailMessage: null, emailSubject: null },
  })
  if (!response) return fallback
  const custom = medium === 'SMS' ? response.smsMessage : response.emailMessage
  if (typeof custom === 'string' && custom) {
    // Cognito refuses a custom message that drops the code: the user could never confirm.
    if (!custom.includes('{####}')) throw invalidTriggerResponse(`the ${medium === 'SMS' ? 'sms' : 'email'} message must contain {####}.`)
    const body = custom.replaceAll('{####}', code)
    return {
      subject: medium === 'EMAIL' && typeof response.emailSubject === 'string' && response.emailSubject ? response.emailSubject : subject,
      body: invitation ? body.replaceAll('{username}', user.attributes.email ?? user.attributes.phone_number ?? user.sub) : body,
    }
  }
  return fallback
}

/** Claims a PreTokenGeneration trigger adds, overrides or suppresses, per token, and the groups it sets. */
export interface TokenOverrides {
  id: { add: Record<string, unknown>, suppress: string[] }
  access: { add: Record<string, unknown>, suppress: string[], scopesToAdd: string[], scopesToSuppress: string[] }
  groups?: { groups?: string[], roles?: string[], preferredRole?: string }
}

/** Claims no trigger may change (Cognito ignores them). */
const RESERVED_CLAIMS = new Set(['acr', 'amr', 'aud', 'at_hash', 'auth_time', 'azp', 'client_id', 'cognito:username', 'event_id', 'exp', 'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sub', 'token_use', 'username'])

function claimChanges(value: unknown): { add: Record<string, unknown>, suppress: string[] } {
  const details = (value ?? {}) as { claimsToAddOrOverride?: Record<string, unknown>, claimsToSuppress?: unknown[] }
  const add = Object.fromEntries(Object.entries(details.claimsToAddOrOverride ?? {}).filter(([claim]) => !RESERVED_CLAIMS.has(claim)))
  const suppress = (details.claimsToSuppress ?? []).filter((claim): claim is string => typeof claim === 'string' && !RESERVED_CLAIMS.has(claim))
  return { add, suppress }
}

/** Runs PreTokenGeneration for a sign-in or refresh; `undefined` without the trigger. */
export async function preTokenGeneration(
  pool: LocalPool,
  triggerSource: 'TokenGeneration_Authentication' | 'TokenGeneration_RefreshTokens' | 'TokenGeneration_NewPasswordChallenge',
  user: StoredUser,
  groups: { groups: string[], roles: string[], preferredRole?: string } | undefined,
  call: TriggerCall,
): Promise<TokenOverrides | undefined> {
  const version = pool.settings.triggers.PreTokenGeneration?.version ?? 1
  const groupConfiguration = { groupsToOverride: groups?.groups ?? [], iamRolesToOverride: groups?.roles ?? [], preferredRole: groups?.preferredRole ?? null }
  const response = await runTrigger(pool, 'PreTokenGeneration', {
    triggerSource,
    user,
    call,
    request: {
      userAttributes: userAttributesOf(user),
      groupConfiguration,
      ...(version >= 2 ? { scopes: ['aws.cognito.signin.user.admin'] } : {}),
    },
    response: version >= 2 ? { claimsAndScopeOverrideDetails: null } : { claimsOverrideDetails: null },
  })
  if (!response) return undefined
  const overrideGroups = (details: unknown): TokenOverrides['groups'] => {
    const group = (details ?? undefined) as { groupsToOverride?: string[], iamRolesToOverride?: string[], preferredRole?: string } | undefined
    if (!group) return undefined
    return {
      ...(Array.isArray(group.groupsToOverride) ? { groups: group.groupsToOverride.map(String) } : {}),
      ...(Array.isArray(group.iamRolesToOverride) ? { roles: group.iamRolesToOverride.map(String) } : {}),
      ...(typeof group.preferredRole === 'string' ? { preferredRole: group.preferredRole } : {}),
    }
  }
  if (version >= 2) {
    const details = (response.claimsAndScopeOverrideDetails ?? {}) as Record<string, unknown>
    const id = claimChanges(details.idTokenGeneration)
    const accessDetails = (details.accessTokenGeneration ?? {}) as { scopesToAdd?: unknown[], scopesToSuppress?: unknown[] }
    const strings = (list: unknown[] | undefined) => (list ?? []).filter((item): item is string => typeof item === 'string')
    return {
      id,
      access: { ...claimChanges(details.accessTokenGeneration), scopesToAdd: strings(accessDetails.scopesToAdd), scopesToSuppress: strings(accessDetails.scopesToSuppress) },
      groups: overrideGroups(details.groupOverrideDetails),
    }
  }
  // Version 1 changes the id token only (and the groups, in both).
  const details = (response.claimsOverrideDetails ?? {}) as Record<string, unknown>
  return {
    id: claimChanges(details),
    access: { add: {}, suppress: [], scopesToAdd: [], scopesToSuppress: [] },
    groups: overrideGroups(details.groupOverrideDetails),
  }
}
