/**
 * Which role an identity's credentials act as: the pool's unauthenticated role for a guest; for a
 * signed-in user the role mapping of their provider (Token: the id token's `cognito:preferred_role`;
 * Rules: the first matching claim rule), else the authenticated role or a refusal, as the mapping's
 * AmbiguousRoleResolution says. A role is only handed out when its trust policy lets this pool's
 * identities assume it, as STS would check.
 */
import { isAllowedBy } from '../../iam/policy'
import type { Role } from '../../iam/types'
import { ambiguousRoleDenied, customRoleNotAllowed, noRoleConfigured } from '../errors'
import type { LocalIdentityPool } from '../pool'
import type { IdentityPoolSettings, RoleMappingRule } from '../settings'
import type { VerifiedLogin } from './logins'

/** `cognito-identity.amazonaws.com:amr`: how the identity authenticated. */
export function authMethods(login: VerifiedLogin | undefined): string[] {
  return login ? ['authenticated', login.providerName, `${login.providerName}:CognitoSignIn:${login.sub}`] : ['unauthenticated']
}

export function chooseRole(pool: LocalIdentityPool, settings: IdentityPoolSettings, identityId: string, login: VerifiedLogin | undefined, customRoleArn?: string): Role {
  const context = {
    'cognito-identity.amazonaws.com:aud': settings.identityPoolId,
    'cognito-identity.amazonaws.com:sub': identityId,
    'cognito-identity.amazonaws.com:amr': authMethods(login),
  }
  const assumable = (arn: unknown): Role | undefined => {
    const role = typeof arn === 'string' ? pool.iam.roles.get(arn) : undefined
    if (!role) return undefined
    return !role.trustPolicy || isAllowedBy([role.trustPolicy], 'sts:AssumeRoleWithWebIdentity', role.arn, context) ? role : undefined
  }
  const fallback = (arn: string | undefined): Role => {
    const role = assumable(arn)
    if (!role) throw noRoleConfigured()
    return role
  }

  if (!login) return fallback(settings.roles.unauthenticated)
  const mapping = settings.roleMappings.get(`${login.providerName}:${login.clientId}`)
  if (!mapping) {
    if (customRoleArn) throw customRoleNotAllowed()
    return fallback(settings.roles.authenticated)
  }

  let chosen: Role | undefined
  if (mapping.type === 'Token') {
    const roles = login.claims['cognito:roles']
    const preferred = login.claims['cognito:preferred_role']
    if (customRoleArn) {
      const listed = customRoleArn === preferred || (Array.isArray(roles) && roles.includes(customRoleArn))
      chosen = listed ? assumable(customRoleArn) : undefined
      if (!chosen) throw customRoleNotAllowed()
      return chosen
    }
    chosen = assumable(preferred)
  }
  else {
    if (customRoleArn) throw customRoleNotAllowed()
    const rule = mapping.rules.find(r => ruleMatches(r, login.claims[r.claim]))
    chosen = rule && assumable(rule.roleArn)
  }
  if (chosen) return chosen
  if (mapping.ambiguousRoleResolution === 'Deny') throw ambiguousRoleDenied()
  return fallback(settings.roles.authenticated)
}

/** A claim that is a list (e.g. `cognito:groups`) matches when any of its values does. */
function ruleMatches(rule: RoleMappingRule, claim: unknown): boolean {
  if (claim === undefined || claim === null) return false
  const values = (Array.isArray(claim) ? claim : [claim]).map(String)
  switch (rule.matchType) {
    case 'Equals':
      return values.includes(rule.value)
    case 'NotEqual':
      return !values.includes(rule.value)
    case 'Contains':
      return values.some(value => value.includes(rule.value))
    case 'StartsWith':
      return values.some(value => value.startsWith(rule.value))
    default:
      return false
  }
}
