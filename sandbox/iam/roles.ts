/**
 * The backend's IAM roles and what they may do, read from the synthesized assembly: each
 * `AWS::IAM::Role` (ARN by its `Fn::GetAtt Arn`, name by its `Ref`, inline `Policies`, trust policy)
 * with every `AWS::IAM::Policy` and customer `AWS::IAM::ManagedPolicy` attached to it by `Roles` or
 * `ManagedPolicyArns`. Those `Roles` entries are `Ref`s that cross nested stacks through parameters:
 * the assembly evaluates them to the same names. AWS-managed policies (`arn:aws:iam::aws:policy/…`,
 * e.g. AWSLambdaBasicExecutionRole) are not in the assembly and grant nothing locally.
 */
import type { CloudAssembly, FoundResource } from '../assembly'
import type { PolicyDocument, Role } from './types'

export interface BackendRoles {
  /** By ARN. */
  roles: Map<string, Role>
  /** Policies that could not be read (and so grant nothing), one line each. */
  problems: string[]
}

export function readRoles(assembly: CloudAssembly): BackendRoles {
  const roles = new Map<string, Role>()
  const byName = new Map<string, Role>()
  const problems: string[] = []
  const read = <T>(what: string, found: FoundResource, compute: () => T): T | undefined => {
    try {
      return compute()
    }
    catch (error) {
      problems.push(`${what} of ${found.logicalId} in ${found.stack.name} could not be read (${(error as Error).message}): it grants nothing offline`)
      return undefined
    }
  }

  const managedArnsByRole = new Map<Role, string[]>()
  for (const found of assembly.resourcesOfType('AWS::IAM::Role')) {
    const { stack, logicalId } = found
    const name = read('The name', found, () => String(assembly.ref(stack, logicalId)))
    const arn = read('The ARN', found, () => String(assembly.getAttribute(stack, logicalId, 'Arn')))
    if (name === undefined || arn === undefined) continue
    const role: Role = {
      arn,
      name,
      policies: [],
      roleId: String(assembly.getAttribute(stack, logicalId, 'RoleId')),
      trustPolicy: read('The trust policy', found, () => asDocument(assembly.property(stack, logicalId, 'AssumeRolePolicyDocument'))),
    }
    const inline = read('An inline policy', found, () => assembly.property(stack, logicalId, 'Policies')) as Array<{ PolicyDocument?: unknown }> | undefined
    for (const policy of Array.isArray(inline) ? inline : []) {
      const document = asDocument(policy?.PolicyDocument)
      if (document) role.policies.push(document)
    }
    const managed = read('ManagedPolicyArns', found, () => assembly.property(stack, logicalId, 'ManagedPolicyArns'))
    managedArnsByRole.set(role, Array.isArray(managed) ? managed.map(String) : [])
    roles.set(arn, role)
    byName.set(name, role)
  }

  const attach = (found: FoundResource, document: PolicyDocument | undefined, roleNames: unknown) => {
    if (!document || !Array.isArray(roleNames)) return
    for (const name of roleNames) {
      // A role imported from outside the backend is not the sandbox's to serve.
      byName.get(String(name))?.policies.push(document)
    }
  }
  for (const found of assembly.resourcesOfType('AWS::IAM::Policy')) {
    const document = read('The policy', found, () => asDocument(assembly.property(found.stack, found.logicalId, 'PolicyDocument')))
    attach(found, document, read('Roles', found, () => assembly.property(found.stack, found.logicalId, 'Roles')))
  }
  for (const found of assembly.resourcesOfType('AWS::IAM::ManagedPolicy')) {
    const document = read('The policy', found, () => asDocument(assembly.property(found.stack, found.logicalId, 'PolicyDocument')))
    attach(found, document, read('Roles', found, () => assembly.property(found.stack, found.logicalId, 'Roles')))
    const arn = read('The ARN', found, () => String(assembly.ref(found.stack, found.logicalId)))
    for (const [role, arns] of managedArnsByRole) {
      if (document && arn && arns.includes(arn)) role.policies.push(document)
    }
  }
  return { roles, problems }
}

function asDocument(value: unknown): PolicyDocument | undefined {
  const document = value as PolicyDocument | undefined
  return document && typeof document === 'object' && 'Statement' in document ? document : undefined
}
