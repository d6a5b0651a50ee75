/**
 * IAM policy evaluation for the sandbox's roles, as AWS documents it for identity-based policies: an
 * explicit Deny wins, else any Allow, else the implicit deny. Statements match on Action/NotAction
 * (case-insensitive), Resource/NotResource (case-sensitive), with `*` and `?` wildcards, policy
 * variables (`${cognito-identity.amazonaws.com:sub}`, `${aws:userid}`, `${key, 'default'}`, `${*}`)
 * and conditions (the String, Numeric, Date, Bool, Arn, IpAddress and Null operators, with
 * `...IfExists` and the `ForAnyValue:` / `ForAllValues:` set prefixes).
 *
 * Pure: no I/O, no clock (`aws:CurrentTime` comes in the context like any other key).
 */
import { isIP } from 'node:net'
import type { Decision, PolicyDocument, PolicyStatement } from './types'

/** Request context keys (condition keys and policy variables); names are case-insensitive. */
export type PolicyContext = Record<string, string | string[] | boolean | number | undefined>

export type { Decision } from './types'

/** Evaluates every statement of every document for one action on one resource. */
export function evaluatePolicies(policies: readonly PolicyDocument[], action: string, resource: string, context: PolicyContext = {}): Decision {
  const keys = normalizeContext(context)
  let allowed = false
  for (const policy of policies) {
    for (const statement of statementsOf(policy)) {
      const applies = statementApplies(statement, action, resource, keys)
      if (statement.Effect === 'Deny' && applies !== false) return 'explicit-deny'
      if (statement.Effect === 'Allow' && applies === true) allowed = true
    }
  }
  return allowed ? 'allow' : 'implicit-deny'
}

/** What decided an evaluation, for a person: see `explainPolicies`. */
export interface PolicyExplanation {
  decision: Decision
  /** The explicit Deny that decided, and which of the documents holds it. */
  deny?: { statement: PolicyStatement, policy: number }
  /**
   * For an implicit deny: the resources the Allow statements for this action name instead, policy
   * variables filled in (so `private/${cognito-identity.amazonaws.com:sub}/*` reads as the caller's own folder).
   */
  allowedOn: string[]
  /** Allow statements for this action and resource whose conditions did not hold. */
  conditional: PolicyStatement[]
}

/**
 * The same evaluation as `evaluatePolicies`, telling what decided: the explicit Deny, or for an
 * implicit deny where the action is allowed instead and which Allow failed only on its
 * conditions. Slower; only refusals are explained.
 */
export function explainPolicies(policies: readonly PolicyDocument[], action: string, resource: string, context: PolicyContext = {}): PolicyExplanation {
  const keys = normalizeContext(context)
  const explanation: PolicyExplanation = { decision: 'implicit-deny', allowedOn: [], conditional: [] }
  for (const [index, policy] of policies.entries()) {
    for (const statement of statementsOf(policy)) {
      const applies = statementApplies(statement, action, resource, keys)
      if (statement.Effect === 'Deny' && applies !== false) return { ...explanation, decision: 'explicit-deny', deny: { statement, policy: index } }
      if (statement.Effect !== 'Allow' || applies === true) {
        if (applies === true) explanation.decision = 'allow'
        continue
      }
      if (!matchesAny(statement.Action, statement.NotAction, value => globMatch(value, action, keys, true))) continue
      if (matchesAny(statement.Resource, statement.NotResource, value => globMatch(value, resource, keys, false))) explanation.conditional.push(statement)
      else if (statement.Resource !== undefined) explanation.allowedOn.push(...asList(statement.Resource).map(pattern => substitute(pattern, keys) ?? pattern))
      else explanation.allowedOn.push(`anything but ${asList(statement.NotResource ?? []).join(', ')}`)
    }
  }
  explanation.allowedOn = [...new Set(explanation.allowedOn)]
  return explanation
}

/** At most this many of the resources a role allows the action on instead: enough to see the pattern. */
const ALLOWED_SHOWN = 4

/** An explanation in words: "no policy of role R allows A on X; it allows A only on …". */
export function describeExplanation(explained: PolicyExplanation, where: { role: string, rolePolicies: number, resourcePolicy: string, action: string, resource: string }): string {
  const { action, resource, role } = where
  if (explained.decision === 'allow') return `role ${role} is allowed ${action} on ${resource}`
  if (explained.deny) {
    const { statement, policy } = explained.deny
    const source = policy < where.rolePolicies ? `a policy of role ${role}` : where.resourcePolicy
    const sid = statement.Sid ? ` (statement ${statement.Sid})` : ''
    const condition = statement.Condition ? `, as its condition ${JSON.stringify(statement.Condition)} holds` : ''
    return `an explicit Deny in ${source}${sid} matches ${action} on ${resource}${condition}`
  }
  const parts = [`no policy of role ${role} allows ${action} on ${resource}`]
  const { allowedOn, conditional } = explained
  if (conditional.length) parts.push(`a statement allowing it applies only when ${JSON.stringify(conditional[0]!.Condition)}, which does not hold`)
  if (allowedOn.length) {
    const shown = elide(allowedOn.slice(0, ALLOWED_SHOWN), resource).join(', ')
    parts.push(`it allows ${action} only on ${shown}${allowedOn.length > ALLOWED_SHOWN ? ` and ${allowedOn.length - ALLOWED_SHOWN} more` : ''}`)
  }
  else if (!conditional.length) parts.push(`it allows ${action} nowhere`)
  return parts.join('; ')
}

/**
 * The patterns without the resource's base (a bucket's ARN, an API's `…/types/`) when they all
 * start with it, as `…/`: the resource is said in full just before.
 */
function elide(patterns: string[], resource: string): string[] {
  const types = resource.indexOf('/types/')
  const base = resource.slice(0, types >= 0 ? types + '/types/'.length : resource.indexOf('/') + 1)
  if (base.length < ELIDED_MIN || !patterns.every(pattern => pattern.startsWith(base))) return patterns
  return patterns.map(pattern => `…/${pattern.slice(base.length)}`)
}

/** Shorter bases are shown: `arn:aws:s3:::` alone says little enough to keep. */
const ELIDED_MIN = 24

export function isAllowedBy(policies: readonly PolicyDocument[], action: string, resource: string, context?: PolicyContext): boolean {
  return evaluatePolicies(policies, action, resource, context) === 'allow'
}

/**
 * The statements of resource-based policies (a bucket policy) that are about the caller: their
 * `Principal` is `*`, or names (under `AWS`) one of `names` (the role's ARN, the session's ARN, the
 * account...); a `NotPrincipal` statement is about everyone it does not name. Statements for
 * services or federated users are about someone else.
 */
export function statementsAbout(policies: readonly PolicyDocument[], names: readonly string[]): PolicyDocument[] {
  const named = (principal: PolicyStatement['Principal']): boolean => {
    if (principal === '*') return true
    const aws = principal?.AWS
    return aws !== undefined && asList(aws).some(name => name === '*' || names.includes(name))
  }
  const statements = policies.flatMap(statementsOf).filter((statement) => {
    if (statement.Principal !== undefined) return named(statement.Principal)
    if (statement.NotPrincipal !== undefined) return !named(statement.NotPrincipal)
    return false
  })
  return statements.length ? [{ Version: '2012-10-17', Statement: statements }] : []
}

function statementsOf(policy: PolicyDocument): PolicyStatement[] {
  const statements = policy?.Statement
  return Array.isArray(statements) ? statements : statements ? [statements] : []
}

type Keys = Map<string, string[]>

/** Lower-cased names, every value a list of strings (a single value is a list of one). */
function normalizeContext(context: PolicyContext): Keys {
  const keys: Keys = new Map()
  for (const [name, value] of Object.entries(context)) {
    if (value === undefined) continue
    keys.set(name.toLowerCase(), (Array.isArray(value) ? value : [value]).map(String))
  }
  return keys
}

/**
 * Whether a statement applies: true, false, or undefined when it cannot be evaluated (an unknown
 * condition operator). Undefined counts as not applying for an Allow and as applying for a Deny, so
 * a policy the sandbox does not understand never grants more than AWS would.
 */
function statementApplies(statement: PolicyStatement, action: string, resource: string, keys: Keys): boolean | undefined {
  if (!matchesAny(statement.Action, statement.NotAction, value => globMatch(value, action, keys, true))) return false
  if (!matchesAny(statement.Resource, statement.NotResource, value => globMatch(value, resource, keys, false))) return false
  return conditionsHold(statement.Condition, keys)
}

/** `Action` / `NotAction` (or the Resource pair): a statement with neither matches everything. */
function matchesAny(list: string | string[] | undefined, notList: string | string[] | undefined, match: (pattern: string) => boolean): boolean {
  if (list !== undefined) return asList(list).some(match)
  if (notList !== undefined) return !asList(notList).some(match)
  return true
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value]
}

/**
 * Matches `text` against an IAM pattern: `*` any run of characters, `?` any one, and policy
 * variables replaced by their values as literal text (a `*` in a user's id widens nothing). False
 * when a variable has no value and no default: AWS then does not match the statement.
 */
function globMatch(pattern: string, text: string, keys: Keys, ignoreCase: boolean): boolean {
  const regex = patternRegex(pattern, keys, true)
  if (!regex) return false
  return new RegExp(`^${regex}$`, ignoreCase ? 'is' : 's').test(text)
}

/**
 * The pattern as a regular expression source (`wildcards`: `*` and `?` are wildcards), or
 * undefined when a variable in it cannot be resolved.
 */
function patternRegex(pattern: string, keys: Keys, wildcards: boolean): string | undefined {
  let out = ''
  let i = 0
  while (i < pattern.length) {
    const char = pattern[i]!
    if (char === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2)
      if (end > 0) {
        const value = resolveVariable(pattern.slice(i + 2, end), keys)
        if (value === undefined) return undefined
        out += escapeRegex(value)
        i = end + 1
        continue
      }
    }
    if (wildcards && char === '*') out += '.*'
    else if (wildcards && char === '?') out += '.'
    else out += escapeRegex(char)
    i++
  }
  return out
}

/** A policy variable's value: `${*}`, `${?}`, `${$}` are literal characters; `${key, 'default'}` has a fallback. */
function resolveVariable(body: string, keys: Keys): string | undefined {
  if (body === '*' || body === '?' || body === '$') return body
  const comma = body.indexOf(',')
  const name = (comma < 0 ? body : body.slice(0, comma)).trim().toLowerCase()
  const values = keys.get(name)
  // A multi-valued key cannot stand in a single place.
  if (values?.length === 1) return values[0]
  if (comma < 0) return undefined
  const fallback = /^\s*'([^']*)'\s*$/.exec(body.slice(comma + 1))
  return fallback ? fallback[1] : undefined
}

/** Text with policy variables replaced, for operators that compare without wildcards. */
function substitute(value: string, keys: Keys): string | undefined {
  const regex = patternRegex(value, keys, false)
  // Undo the escaping: the pattern had no wildcards, so unescaping gives the literal back.
  return regex === undefined ? undefined : regex.replace(/\\(.)/gs, '$1')
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** All operators hold, each for all its keys; a key holds when any of its policy values matches. */
function conditionsHold(condition: PolicyStatement['Condition'], keys: Keys): boolean | undefined {
  if (!condition) return true
  let result: boolean | undefined = true
  for (const [operator, tests] of Object.entries(condition)) {
    for (const [key, expected] of Object.entries(tests ?? {})) {
      const holds = conditionHolds(operator, key, asList(expected).map(String), keys)
      if (holds === false) return false
      if (holds === undefined) result = undefined
    }
  }
  return result
}

type Compare = (actual: string, expected: string, keys: Keys) => boolean | undefined

function conditionHolds(operatorWithPrefix: string, key: string, expected: string[], keys: Keys): boolean | undefined {
  let operator = operatorWithPrefix
  let set: 'any' | 'all' | undefined
  if (/^ForAnyValue:/i.test(operator)) {
    set = 'any'
    operator = operator.slice('ForAnyValue:'.length)
  }
  else if (/^ForAllValues:/i.test(operator)) {
    set = 'all'
    operator = operator.slice('ForAllValues:'.length)
  }
  const actual = keys.get(key.toLowerCase())

  if (/^Null$/i.test(operator)) {
    const wantAbsent = expected.some(value => value.toLowerCase() === 'true')
    return wantAbsent === (actual === undefined || actual.length === 0)
  }

  let ifExists = false
  if (/IfExists$/i.test(operator)) {
    ifExists = true
    operator = operator.slice(0, -'IfExists'.length)
  }
  const found = OPERATORS[operator.toLowerCase()]
  if (!found) return undefined
  const { compare, negated } = found

  if (set === 'all') {
    // Every value in the request must match; no values at all match vacuously (as in AWS).
    if (!actual) return true
  }
  else if (!actual || actual.length === 0) {
    if (set === 'any') return false
    if (ifExists) return true
    return negated
  }

  // One request value matches when any policy value does (for a negated operator: none does).
  const valueMatches = (value: string): boolean | undefined => {
    let unknown = false
    for (const candidate of expected) {
      const result = compare(value, candidate, keys)
      if (result === true) return !negated
      if (result === undefined) unknown = true
    }
    return unknown ? undefined : negated
  }
  const results = actual.map(valueMatches)
  if (set === 'all') return results.includes(false) ? false : results.includes(undefined) ? undefined : true
  if (set === 'any') return results.includes(true) ? true : results.includes(undefined) ? undefined : false
  // Without a set prefix a negated operator must hold for every value, a positive one for any.
  if (negated) return results.includes(false) ? false : results.includes(undefined) ? undefined : true
  return results.includes(true) ? true : results.includes(undefined) ? undefined : false
}

const stringEquals: Compare = (actual, expected, keys) => {
  const value = substitute(expected, keys)
  return value !== undefined && actual === value
}
const stringEqualsIgnoreCase: Compare = (actual, expected, keys) => {
  const value = substitute(expected, keys)
  return value !== undefined && actual.toLowerCase() === value.toLowerCase()
}
const stringLike: Compare = (actual, expected, keys) => globMatch(expected, actual, keys, false)

const numeric = (test: (a: number, b: number) => boolean): Compare => (actual, expected) => {
  const a = Number(actual)
  const b = Number(expected)
  return !Number.isNaN(a) && !Number.isNaN(b) && actual.trim() !== '' && test(a, b)
}

const date = (test: (a: number, b: number) => boolean): Compare => (actual, expected) => {
  const a = toEpoch(actual)
  const b = toEpoch(expected)
  return a !== undefined && b !== undefined && test(a, b)
}

/** ISO 8601 or epoch seconds, as IAM takes dates. */
function toEpoch(value: string): number | undefined {
  const time = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value)
  return Number.isNaN(time) ? undefined : time
}

const bool: Compare = (actual, expected) => actual.toLowerCase() === expected.toLowerCase()

/** ARNs compare segment by segment (six, the last keeping its colons), wildcards within each. */
const arnLike: Compare = (actual, expected, keys) => {
  const a = actual.split(':')
  const e = expected.split(':')
  if (a.length < 6 || e.length < 6) return false
  const segments = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')]
  const actualSegments = segments(a)
  return segments(e).every((pattern, i) => globMatch(pattern, actualSegments[i]!, keys, false))
}

const ipAddress: Compare = (actual, expected) => {
  const [network, bitsText] = expected.split('/')
  const family = isIP(actual)
  if (!family || family !== isIP(network ?? '')) return false
  const width = family === 4 ? 32 : 128
  const bits = bitsText === undefined ? width : Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return false
  const a = ipBits(actual, family)
  const n = ipBits(network!, family)
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits)
  return (a & mask) === (n & mask)
}

function ipBits(address: string, family: number): bigint {
  if (family === 4) return address.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n)
  const [head = '', tail = ''] = address.split('::')
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  const parts = address.includes('::') ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts
  return parts.reduce((acc, part) => (acc << 16n) + BigInt(Number.parseInt(part || '0', 16)), 0n)
}

const OPERATORS: Record<string, { compare: Compare, negated: boolean }> = {
  stringequals: { compare: stringEquals, negated: false },
  stringnotequals: { compare: stringEquals, negated: true },
  stringequalsignorecase: { compare: stringEqualsIgnoreCase, negated: false },
  stringnotequalsignorecase: { compare: stringEqualsIgnoreCase, negated: true },
  stringlike: { compare: stringLike, negated: false },
  stringnotlike: { compare: stringLike, negated: true },
  numericequals: { compare: numeric((a, b) => a === b), negated: false },
  numericnotequals: { compare: numeric((a, b) => a === b), negated: true },
  numericlessthan: { compare: numeric((a, b) => a < b), negated: false },
  numericlessthanequals: { compare: numeric((a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: numeric((a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: numeric((a, b) => a >= b), negated: false },
  dateequals: { compare: date((a, b) => a === b), negated: false },
  datenotequals: { compare: date((a, b) => a === b), negated: true },
  datelessthan: { compare: date((a, b) => a < b), negated: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false },
  bool: { compare: bool, negated: false },
  arnequals: { compare: arnLike, negated: false },
  arnlike: { compare: arnLike, negated: false },
  arnnotequals: { compare: arnLike, negated: true },
  arnnotlike: { compare: arnLike, negated: true },
  ipaddress: { compare: ipAddress, negated: false },
  notipaddress: { compare: ipAddress, negated: true },
}
