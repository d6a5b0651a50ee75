/**
 * Group rules as Cognito applies them: the order of a user's groups, and the claims tokens carry
 * for them (`cognito:groups` in both tokens, `cognito:roles` and `cognito:preferred_role` in the id
 * token).
 */
import type { UserPoolGroup } from '../core/types'

/** What a user's memberships put in their tokens. */
export interface GroupClaims {
  /** Group names, highest precedence (lowest value) first. */
  groups: string[]
  /** The role ARNs of those groups, in the same order, each once. */
  roles: string[]
  /** The role of the highest-precedence group that has one, when no tie makes it ambiguous. */
  preferredRole?: string
}

/** Lowest precedence value first, groups without one last, ties by name (a stable order for equals). */
export function byPrecedence(a: UserPoolGroup, b: UserPoolGroup): number {
  const rank = (group: UserPoolGroup) => group.precedence ?? Number.POSITIVE_INFINITY
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/** The defined groups among `memberOf`, in precedence order; names no longer defined drop out. */
function groupsOf(defined: readonly UserPoolGroup[], memberOf: readonly string[]): UserPoolGroup[] {
  const names = new Set(memberOf)
  return defined.filter(group => names.has(group.name)).sort(byPrecedence)
}

/** The group claims for a user in `memberOf`; `undefined` for a user in no group (Cognito then sends none). */
export function groupClaims(defined: readonly UserPoolGroup[], memberOf: readonly string[]): GroupClaims | undefined {
  const groups = groupsOf(defined, memberOf)
  if (groups.length === 0) return undefined
  const withRole = groups.filter(group => group.roleArn)
  const roles = [...new Set(withRole.map(group => group.roleArn!))]
  const preferredRole = preferredRoleOf(withRole)
  return { groups: groups.map(group => group.name), roles, ...(preferredRole ? { preferredRole } : {}) }
}

/**
 * Cognito: the role of the group with the lowest precedence value among those with a role; two such
 * groups tied on precedence with different roles leave the claim out.
 */
function preferredRoleOf(withRole: UserPoolGroup[]): string | undefined {
  const [first] = withRole
  if (!first) return undefined
  const tied = withRole.filter(group => group.precedence === first.precedence)
  return tied.every(group => group.roleArn === first.roleArn) ? first.roleArn : undefined
}
