/**
 * ListUsers' `Filter`: `attribute = "value"` (exact) or `attribute ^= "value"` (starts with), with
 * `\"` and `\\` escaped inside the quotes; an empty filter lists everyone. Cognito searches only
 * these standard attributes, never custom ones.
 */
import { filterInvalid } from './errors'

export interface UserFilter {
  attribute: string
  /** `^=` rather than `=`. */
  prefix: boolean
  value: string
}

/** What a filter looks at in a user. */
export interface FilterableUser {
  sub: string
  status: string
  attributes: Record<string, string>
}

const SEARCHABLE = new Set([
  'username', 'email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username',
  'cognito:user_status', 'status', 'sub',
])
/** Compared as the pool compares sign-in names: case-insensitively in a case-insensitive pool. */
const SIGN_IN_NAMES = new Set(['username', 'email', 'preferred_username'])
const FILTER = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/su

/** The parsed filter, `undefined` for an empty one; InvalidParameterException for anything else. */
export function parseUserFilter(filter: string): UserFilter | undefined {
  if (filter.trim() === '') return undefined
  const match = FILTER.exec(filter)
  if (!match || !SEARCHABLE.has(match[1]!)) throw filterInvalid()
  return { attribute: match[1]!, prefix: match[2] === '^=', value: match[3]!.replace(/\\(.)/gsu, '$1') }
}

export function matchesFilter(filter: UserFilter, user: FilterableUser, caseSensitive: boolean): boolean {
  let actual = valueOf(user, filter.attribute)
  if (actual === undefined) return false
  let wanted = filter.value
  if (!caseSensitive && SIGN_IN_NAMES.has(filter.attribute)) {
    actual = actual.toLowerCase()
    wanted = wanted.toLowerCase()
  }
  return filter.prefix ? actual.startsWith(wanted) : actual === wanted
}

function valueOf(user: FilterableUser, attribute: string): string | undefined {
  switch (attribute) {
    // Users of a pool that signs in with e-mail are named by their sub.
    case 'username':
    case 'sub':
      return user.sub
    case 'cognito:user_status':
      return user.status
    case 'status':
      // The sandbox has no disabled users.
      return 'Enabled'
    default:
      return Object.hasOwn(user.attributes, attribute) ? user.attributes[attribute] : undefined
  }
}
