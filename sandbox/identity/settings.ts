/**
 * What the local identity pool takes from the synthesized `AWS::Cognito::IdentityPool` and its
 * `AWS::Cognito::IdentityPoolRoleAttachment`, through the assembly reader only.
 */
import type { CloudAssembly } from '../assembly'

export interface RoleMappingRule {
  claim: string
  matchType: 'Equals' | 'Contains' | 'StartsWith' | 'NotEqual'
  value: string
  roleArn: string
}

export interface RoleMapping {
  type: 'Token' | 'Rules'
  /** What happens when the token names no usable role: the authenticated role, or a refusal. */
  ambiguousRoleResolution: 'AuthenticatedRole' | 'Deny'
  rules: RoleMappingRule[]
}

export interface IdentityPoolSettings {
  /** `<region>:<uuid>`, the sandbox's id for the definition's identity pool. */
  identityPoolId: string
  region: string
  allowUnauthenticated: boolean
  /** `CognitoIdentityProviders`: `cognito-idp.<region>.amazonaws.com/<userPoolId>` and its client. */
  providers: Array<{ providerName: string, clientId: string }>
  /** `SupportedLoginProviders` (Google, Facebook...): named so a login from one gets a clear refusal. */
  otherProviders: string[]
  roles: { authenticated?: string, unauthenticated?: string }
  /** By `<providerName>:<clientId>`, as `RoleMappings[].IdentityProvider` names them. */
  roleMappings: Map<string, RoleMapping>
}

/** The definition's identity pool, or undefined when it has none (e.g. `defineAuth` without one). */
export function identityPoolSettings(assembly: CloudAssembly): IdentityPoolSettings | undefined {
  const pool = assembly.resourcesOfType('AWS::Cognito::IdentityPool')[0]
  if (!pool) return undefined
  const property = (name: string) => assembly.property(pool.stack, pool.logicalId, name)
  const identityPoolId = String(assembly.ref(pool.stack, pool.logicalId))

  const providers = asArray(property('CognitoIdentityProviders')).map((provider) => {
    const p = provider as { ProviderName?: unknown, ClientId?: unknown }
    return { providerName: String(p.ProviderName ?? ''), clientId: String(p.ClientId ?? '') }
  })
  const supported = property('SupportedLoginProviders')
  const otherProviders = supported && typeof supported === 'object' ? Object.keys(supported) : []

  const settings: IdentityPoolSettings = {
    identityPoolId,
    region: assembly.ids.region,
    allowUnauthenticated: String(property('AllowUnauthenticatedIdentities')) === 'true',
    providers,
    otherProviders,
    roles: {},
    roleMappings: new Map(),
  }

  for (const attachment of assembly.resourcesOfType('AWS::Cognito::IdentityPoolRoleAttachment')) {
    const attached = (name: string) => assembly.property(attachment.stack, attachment.logicalId, name)
    if (attached('IdentityPoolId') !== identityPoolId) continue
    const roles = (attached('Roles') ?? {}) as Record<string, unknown>
    if (typeof roles.authenticated === 'string') settings.roles.authenticated = roles.authenticated
    if (typeof roles.unauthenticated === 'string') settings.roles.unauthenticated = roles.unauthenticated
    for (const mapping of Object.values((attached('RoleMappings') ?? {}) as Record<string, Record<string, unknown>>)) {
      const rules = asArray((mapping.RulesConfiguration as { Rules?: unknown } | undefined)?.Rules).map((rule) => {
        const r = rule as Record<string, unknown>
        return { claim: String(r.Claim), matchType: String(r.MatchType) as RoleMappingRule['matchType'], value: String(r.Value), roleArn: String(r.RoleARN) }
      })
      settings.roleMappings.set(String(mapping.IdentityProvider), {
        type: mapping.Type === 'Rules' ? 'Rules' : 'Token',
        ambiguousRoleResolution: mapping.AmbiguousRoleResolution === 'Deny' ? 'Deny' : 'AuthenticatedRole',
        rules,
      })
    }
  }
  return settings
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
