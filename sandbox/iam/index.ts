/**
 * The sandbox's IAM: who signed a request (credentials the identity pool issued, or the admin's),
 * and what that caller's role lets it do, from the roles and policies the backend synthesizes.
 * Every local service that takes SigV4-signed requests goes through `verify` and `isAllowed`.
 */
import type { CloudAssembly } from '../assembly'
import type { SandboxIds } from '../core/ids'
import { ADMIN_PROFILE, CredentialStore, type AdminCredentials, type IssuedCredentials, type IssueInput } from './credentials'
import { isChunked, payloadDecoder } from './payload'
import { describeExplanation, evaluatePolicies, explainPolicies, isAllowedBy, statementsAbout, type PolicyContext } from './policy'
import { readRoles } from './roles'
import { verifySignature } from './sigv4'
import type { Decision, Iam, Principal, Role, SignedPayload, SignedRequest, VerifyResult } from './types'

export type { AdminCredentials, IssuedCredentials, IssueInput } from './credentials'
export { PayloadRejected, type PayloadDecoder } from './payload'
export type * from './types'

export interface CreateIamOptions {
  /** Folder for the issued credentials; created if missing. */
  dir: string
  /** The admin's AWS shared credentials file (`<dataDir>/admin-credentials`), made if missing. */
  adminCredentialsFile: string
  /** The backend whose roles issued credentials act as; without one, only the admin can do anything. */
  assembly?: CloudAssembly
  ids: SandboxIds
  /** How long issued credentials last; default an hour, as Cognito's. */
  ttlSeconds?: number
}

/** The sandbox's IAM as the orchestrator and the identity pool see it. */
export interface SandboxIam extends Iam {
  /** Issues temporary credentials acting as one of the backend's roles (the identity pool's job). */
  issue(input: IssueInput): Promise<IssuedCredentials>
  /** The principal that credentials issued earlier sign as. */
  principalFor(credentials: IssuedCredentials): Principal
  /** The admin's key pair and the file it is kept in. */
  readonly admin: AdminCredentials
  /** Policies of the current backend that could not be read (they grant nothing), one line each. */
  readonly problems: readonly string[]
  /** Takes the roles of a new backend definition; issued credentials stay. */
  reload(assembly: CloudAssembly): void
  /** Resolves once every issued credential is on disk. */
  close(): Promise<void>
}

const ADMIN_ROLE_NAME = 'amplify-sandbox-admin'
const ADMIN_SESSION = 'sandbox-admin'

export async function createIam(opts: CreateIamOptions): Promise<SandboxIam> {
  const { ids } = opts
  const store = await CredentialStore.open(opts.dir, opts.adminCredentialsFile, { ttlSeconds: opts.ttlSeconds })
  let backend = opts.assembly ? readRoles(opts.assembly) : { roles: new Map<string, Role>(), problems: [] }

  const adminRole: Role = {
    arn: `arn:aws:iam::${ids.accountId}:role/${ADMIN_ROLE_NAME}`,
    name: ADMIN_ROLE_NAME,
    roleId: 'AROASANDBOXADMIN',
    policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
  }
  const adminPrincipal: Principal = {
    accessKeyId: store.admin.accessKeyId,
    role: adminRole,
    userArn: `arn:aws:sts::${ids.accountId}:assumed-role/${ADMIN_ROLE_NAME}/${ADMIN_SESSION}`,
    admin: true,
  }

  /** The role as the backend defines it now; one removed since still names itself but may do nothing. */
  const currentRole = (arn: string): Role => backend.roles.get(arn) ?? { arn, name: arn.slice(arn.lastIndexOf('/') + 1), policies: [] }

  const principalFor = (credentials: IssuedCredentials): Principal => {
    const role = currentRole(credentials.roleArn)
    return {
      accessKeyId: credentials.accessKeyId,
      role,
      userArn: `arn:aws:sts::${ids.accountId}:assumed-role/${role.name}/${credentials.sessionName}`,
      ...(credentials.identity ? { identity: credentials.identity } : {}),
      admin: false,
    }
  }

  /** Policy variables and global condition keys that describe the caller. */
  const callerContext = (principal: Principal): PolicyContext => {
    const now = new Date()
    const sessionName = principal.userArn.slice(principal.userArn.lastIndexOf('/') + 1)
    const context: PolicyContext = {
      'aws:PrincipalType': 'AssumedRole',
      'aws:PrincipalArn': principal.role.arn,
      'aws:PrincipalAccount': ids.accountId,
      'aws:userid': `${principal.role.roleId ?? principal.role.name}:${sessionName}`,
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    }
    const identity = principal.identity
    if (identity) {
      context['cognito-identity.amazonaws.com:sub'] = identity.identityId
      context['cognito-identity.amazonaws.com:aud'] = identity.identityPoolId
      context['cognito-identity.amazonaws.com:amr'] = identity.authType === 'authenticated'
        ? ['authenticated', ...(identity.authProvider ?? '').split(',').map(part => part.replace(/^"|"$/g, '')).filter(Boolean)]
        : ['unauthenticated']
    }
    return context
  }

  return {
    get roles() {
      return backend.roles
    },
    get problems() {
      return backend.problems
    },
    admin: store.admin,
    adminPrincipal,

    async verify(request: SignedRequest, service: string): Promise<VerifyResult> {
      const check = await verifySignature(request, {
        service,
        region: ids.region,
        lookup: key => key === store.admin.accessKeyId ? store.admin : store.get(key),
      })
      if (!check.ok) return check
      const issued = store.get(check.secret.accessKeyId)
      const { seed } = check
      const decodedLength = Number(headerText(request.headers['x-amz-decoded-content-length']))
      const payload: SignedPayload = {
        declared: seed.payloadHash,
        chunked: isChunked(seed.payloadHash),
        decode: () => payloadDecoder({ seed, ...(Number.isSafeInteger(decodedLength) && decodedLength >= 0 ? { decodedLength } : {}) }),
      }
      return { ok: true, principal: issued ? principalFor(issued) : adminPrincipal, payload }
    },

    isAllowed(principal: Principal, action: string, resource: string, context: Record<string, string | string[]> = {}): boolean {
      const policies = principal.admin ? adminRole.policies : currentRole(principal.role.arn).policies
      return isAllowedBy(policies, action, resource, { ...callerContext(principal), ...context })
    },

    authorize(principal, action, resource, { context = {}, resourcePolicies = [] } = {}): Decision {
      const own = principal.admin ? adminRole.policies : currentRole(principal.role.arn).policies
      const about = statementsAbout(resourcePolicies, [principal.role.arn, principal.userArn, `arn:aws:iam::${ids.accountId}:root`, ids.accountId])
      return evaluatePolicies([...own, ...about], action, resource, { ...callerContext(principal), ...context })
    },

    explain(principal, action, resource, { context = {}, resourcePolicies = [], resourcePolicy = 'the resource\'s policy' } = {}): string {
      const role = principal.admin ? adminRole : currentRole(principal.role.arn)
      const about = statementsAbout(resourcePolicies, [principal.role.arn, principal.userArn, `arn:aws:iam::${ids.accountId}:root`, ids.accountId])
      const explained = explainPolicies([...role.policies, ...about], action, resource, { ...callerContext(principal), ...context })
      return describeExplanation(explained, { role: role.name, rolePolicies: role.policies.length, resourcePolicy, action, resource })
    },

    issue: input => store.issue(input),
    principalFor,
    reload(assembly: CloudAssembly) {
      backend = readRoles(assembly)
    },
    close: () => store.close(),
  }
}

export { ADMIN_PROFILE }

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? ''
}
