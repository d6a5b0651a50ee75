/**
 * What of an identity pool the local one does not serve (../core/unserved.ts gathers every
 * service's lines): federated sign-in other than the user pool's.
 */
import type { AssemblyReader } from '../core/unserved'

/** The resource types the identity pool serves or judges below. */
export const IDENTITY_POOL_RESOURCE_TYPES = ['AWS::Cognito::IdentityPool', 'AWS::Cognito::IdentityPoolRoleAttachment']

export function identityPoolUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
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
