/**
 * Why the data API refused a caller, in words. The generated resolvers only say "Unauthorized";
 * this reads the `@auth` rules the transformer generated them from (the assembly's
 * `model-schema.graphql`: each model's rules, each field's, each custom operation's), takes the
 * caller as the API authenticated them, and says which rules applied to the operation and why none
 * allowed it: "owner rule on Todo: the caller is not the owner", "no rule of Todo allows the API key".
 * Pure: the request log calls it for refusals only.
 *
 * Defaults are the auth transformer's: provider userPools (apiKey for public rules), owner field
 * `owner`, group claim `cognito:groups`, operations create, update, delete and read.
 */
import type { DirectiveNode, FieldDefinitionNode, TypeNode } from 'graphql'
import { graphql } from './graphql'

const { Kind, parse, valueFromASTUntyped } = graphql

export type RuleProvider = 'userPools' | 'oidc' | 'identityPool' | 'iam' | 'apiKey' | 'function'

export interface AuthRule {
  allow: 'owner' | 'groups' | 'private' | 'public' | 'custom'
  provider: RuleProvider
  operations: string[]
  ownerField?: string
  identityClaim?: string
  groups?: string[]
  groupsField?: string
  groupClaim: string
}

export interface TypeRules {
  /** An `@model` type (its root fields are `createTodo`, `listTodos`...). */
  model: boolean
  rules: AuthRule[]
  /** Rules of single fields, by field name. */
  fields: Map<string, AuthRule[]>
  /** Fields that hold a list (an `ownersDefinedIn` rule's field). */
  lists: Set<string>
}

/** The rules of a backend's data schema. */
export interface AuthRules {
  types: Map<string, TypeRules>
  /** Rules of custom queries, mutations and subscriptions, by `Query.todoSummary`. */
  operations: Map<string, AuthRule[]>
}

export const NO_RULES: AuthRules = { types: new Map(), operations: new Map() }

/** Reads the `@auth` rules of `model-schema.graphql`; a schema that does not parse has none. */
export function readAuthRules(modelSchema: string): AuthRules {
  let document
  try {
    document = parse(modelSchema)
  }
  catch {
    return NO_RULES
  }
  const rules: AuthRules = { types: new Map(), operations: new Map() }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue
    const name = definition.name.value
    const fields = definition.fields ?? []
    if (name === 'Query' || name === 'Mutation' || name === 'Subscription') {
      for (const field of fields) {
        const found = authRulesOf(field.directives)
        if (found) rules.operations.set(`${name}.${field.name.value}`, found)
      }
      continue
    }
    const type: TypeRules = {
      model: (definition.directives ?? []).some(directive => directive.name.value === 'model'),
      rules: authRulesOf(definition.directives) ?? [],
      fields: new Map(),
      lists: new Set(fields.filter(field => isList(field.type)).map(field => field.name.value)),
    }
    for (const field of fields as readonly FieldDefinitionNode[]) {
      const found = authRulesOf(field.directives)
      if (found) type.fields.set(field.name.value, found)
    }
    rules.types.set(name, type)
  }
  return rules
}

function isList(type: TypeNode): boolean {
  return type.kind === Kind.LIST_TYPE || (type.kind === Kind.NON_NULL_TYPE && type.type.kind === Kind.LIST_TYPE)
}

const ALL_OPERATIONS = ['create', 'update', 'delete', 'read']

function authRulesOf(directives: readonly DirectiveNode[] | undefined): AuthRule[] | undefined {
  const auth = directives?.find(directive => directive.name.value === 'auth')
  const argument = auth?.arguments?.find(arg => arg.name.value === 'rules')
  if (!argument) return undefined
  const values = valueFromASTUntyped(argument.value) as unknown
  return (Array.isArray(values) ? values : [values]).filter(rule => rule && typeof rule === 'object').map((raw) => {
    const rule = raw as Record<string, unknown>
    const allow = String(rule.allow) as AuthRule['allow']
    const text = (key: string) => (typeof rule[key] === 'string' ? rule[key] as string : undefined)
    const provider = (text('provider') ?? (allow === 'public' ? 'apiKey' : allow === 'custom' ? 'function' : 'userPools')) as RuleProvider
    return {
      allow,
      provider,
      operations: Array.isArray(rule.operations) ? rule.operations.map(String) : ALL_OPERATIONS,
      ...(allow === 'owner' ? { ownerField: text('ownerField') ?? 'owner', identityClaim: text('identityClaim') ?? 'sub::username' } : {}),
      ...(Array.isArray(rule.groups) ? { groups: rule.groups.map(String) } : {}),
      ...(text('groupsField') ? { groupsField: text('groupsField') } : {}),
      groupClaim: text('groupClaim') ?? 'cognito:groups',
    }
  })
}

/** What a root field does to its model: the operation names rules are written with. */
export type ModelOperation = 'create' | 'update' | 'delete' | 'get' | 'list' | 'listen' | 'sync' | 'search'

/** The caller as the API authenticated them. */
export type DataCaller
  = | { mode: 'userPools', claims: Record<string, unknown> }
    | { mode: 'apiKey' }
    /** `guest` and `authenticated`: the identity pool's roles; `role`: any other role (a function's). */
    | { mode: 'iam', kind: 'guest' | 'authenticated' | 'role', role: string }

export interface Refusal {
  /** `Mutation.updateTodo`. */
  operation: string
  /** The model the operation acts on, and how; undefined for a custom operation. */
  model?: string
  action?: ModelOperation
  /**
   * Fields the resolver refused: those it named (`Unauthorized on [editors]`, for the operation's
   * own action), or one it would not read (`Not Authorized to access editors on type SharedList`).
   */
  fields?: { of: string, names: string[], action: ModelOperation }
}

/**
 * Why the rules refused `caller`: the rules that applied, each with why it did not allow. When the
 * rules would have allowed it, or there are none to read, it says that it cannot tell.
 */
export function explainRefusal(rules: AuthRules, caller: DataCaller, refusal: Refusal): string {
  if (refusal.fields?.names.length) {
    const { of, names, action } = refusal.fields
    const type = rules.types.get(of)
    return names.map((field) => {
      const fieldRules = type?.fields.get(field)
      if (!type || !fieldRules) return `field ${field} of ${of}: the sandbox cannot tell which rule refused it (the field has no rules of its own)`
      return explainRules(`field ${field} of ${of}`, fieldRules, action, caller, type).text
    }).join('; ')
  }
  if (refusal.model && refusal.action) {
    const type = rules.types.get(refusal.model)
    if (!type) return cannotTell(refusal.operation, `${refusal.model} has no rules in the model schema`)
    const explained = explainRules(refusal.model, type.rules, refusal.action, caller, type)
    if (!explained.allows) return explained.text
    // The model's rules let the caller in: rules of single fields must have refused it.
    const fieldRules = [...type.fields].filter(([, rules]) => !explainRules('', rules, refusal.action!, caller, type).allows)
    if (fieldRules.length) {
      return `${explained.text}, but ${fieldRules.map(([field, rules]) => explainRules(`field ${field} of ${refusal.model}`, rules, refusal.action!, caller, type).text).join('; ')}`
    }
    return cannotTell(refusal.operation, explained.text)
  }
  const own = rules.operations.get(refusal.operation)
  if (own) {
    const explained = explainRules(refusal.operation, own, 'get', caller, undefined, { custom: true })
    return explained.allows ? cannotTell(refusal.operation, explained.text) : explained.text
  }
  return cannotTell(refusal.operation, `${refusal.operation} has no rules in the model schema`)
}

function cannotTell(operation: string, known: string): string {
  return `the resolver of ${operation} refused it and the sandbox cannot tell which rule decided (${known})`
}

const READS: readonly ModelOperation[] = ['get', 'list', 'listen', 'sync', 'search']

function allowsOperation(rule: AuthRule, action: ModelOperation): boolean {
  return rule.operations.includes(action) || (READS.includes(action) && rule.operations.includes('read'))
}

/** Whether the rule is about callers of this kind at all (its provider and, for IAM, the role). */
function appliesTo(rule: AuthRule, caller: DataCaller): boolean {
  switch (caller.mode) {
    case 'apiKey':
      return rule.provider === 'apiKey'
    case 'userPools':
      return rule.provider === 'userPools'
    case 'iam':
      if (rule.provider !== 'identityPool' && rule.provider !== 'iam') return false
      return caller.kind === 'guest' ? rule.allow === 'public' : caller.kind === 'authenticated' ? rule.allow === 'private' : false
  }
}

function callerWords(caller: DataCaller): string {
  switch (caller.mode) {
    case 'apiKey':
      return 'the API key (apiKey)'
    case 'userPools':
      return 'user pool users (userPool)'
    case 'iam':
      if (caller.kind === 'guest') return 'guests (identityPool)'
      if (caller.kind === 'authenticated') return 'signed-in identities (identityPool)'
      return `the IAM role ${caller.role}`
  }
}

/** A rule as `.authorization(allow => …)` writes it; `lists`: the fields of its type that hold a list. */
export function ruleName(rule: AuthRule, lists: ReadonlySet<string> = new Set()): string {
  switch (rule.allow) {
    case 'owner':
      if (rule.ownerField === 'owner') return 'owner rule'
      return `${lists.has(rule.ownerField!) ? 'ownersDefinedIn' : 'ownerDefinedIn'}(${rule.ownerField}) rule`
    case 'groups':
      if (!rule.groupsField) return `groups rule (${(rule.groups ?? []).join(', ')})`
      return `${lists.has(rule.groupsField) ? 'groupsDefinedIn' : 'groupDefinedIn'}(${rule.groupsField}) rule`
    case 'private':
      return rule.provider === 'userPools' ? 'authenticated rule' : `authenticated (${rule.provider}) rule`
    case 'public':
      return rule.provider === 'apiKey' ? 'public API key rule' : `guest (${rule.provider}) rule`
    case 'custom':
      return 'custom (Lambda) rule'
  }
}

function claimValue(claims: Record<string, unknown>, claim: string): string | undefined {
  if (claim === 'sub::username') {
    const username = claims['cognito:username'] ?? claims.username
    return claims.sub && username ? `${String(claims.sub)}::${String(username)}` : undefined
  }
  const value = claims[claim] ?? (claim === 'cognito:username' ? claims.username : undefined)
  return value === undefined ? undefined : String(value)
}

function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim]
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : []
}

/**
 * The rules of `subject` (a model, a field, a custom operation) for one operation by one caller:
 * `allows` when one of them lets the caller in without looking at the item (authenticated, guest,
 * API key, a group the caller is in); otherwise why each that applied did not.
 */
function explainRules(subject: string, rules: readonly AuthRule[], action: ModelOperation, caller: DataCaller, type: TypeRules | undefined, context: { custom?: boolean } = {}): { allows: boolean, text: string } {
  const applicable = rules.filter(rule => appliesTo(rule, caller))
  if (!applicable.length) {
    const others = rules.length ? ` (it has ${[...new Set(rules.map(rule => ruleName(rule, type?.lists)))].join(', ')})` : ''
    return { allows: false, text: `no rule of ${subject} allows ${callerWords(caller)}${others}` }
  }
  const verb = context.custom ? 'call it' : action
  const reasons: string[] = []
  for (const rule of applicable) {
    const name = `${ruleName(rule, type?.lists)} on ${subject}`
    if (!context.custom && !allowsOperation(rule, action)) {
      reasons.push(`${name} allows ${rule.operations.join(', ')}, not ${action}`)
      continue
    }
    switch (rule.allow) {
      case 'private':
      case 'public':
        return { allows: true, text: `${name} allows the caller to ${verb}` }
      case 'custom':
        reasons.push(`${name}: Lambda authorization is not served by the offline sandbox`)
        break
      case 'groups': {
        const claims = caller.mode === 'userPools' ? caller.claims : {}
        const mine = groupsOf(claims, rule.groupClaim)
        if (rule.groupsField) {
          reasons.push(`${name}: the item's ${rule.groupsField} names none of the caller's groups${mine.length ? ` (${mine.join(', ')})` : ' (they are in none)'}`)
          break
        }
        const member = (rule.groups ?? []).filter(group => mine.includes(group))
        if (member.length) return { allows: true, text: `${name} allows the caller (in ${member.join(', ')}) to ${verb}` }
        reasons.push(`${name}: the caller is in none of ${(rule.groups ?? []).join(', ')}${mine.length ? ` (they are in ${mine.join(', ')})` : ''}`)
        break
      }
      case 'owner': {
        const field = rule.ownerField!
        const claims = caller.mode === 'userPools' ? caller.claims : {}
        const claim = rule.identityClaim!
        const value = claimValue(claims, claim)
        const by = claim === 'sub::username' || claim === 'cognito:username' || claim === 'username' ? '' : ` (their ${claim}${value ? ` ${value}` : ''})`
        if (value === undefined && claim !== 'sub::username') {
          reasons.push(`${name}: the caller's token has no ${claim} claim to match the item's ${field} against`)
          break
        }
        if (context.custom) reasons.push(`${name}: the caller is not the owner`)
        else if (type?.lists.has(field)) reasons.push(`${name}: the caller${by} is not in the ${action === 'create' ? 'new ' : ''}item's ${field}`)
        else if (action === 'create') reasons.push(`${name}: the new item's ${field} does not name the caller${by}`)
        else reasons.push(`${name}: the caller${by} is not the owner (the item's ${field} names someone else)`)
        break
      }
    }
  }
  return { allows: false, text: reasons.join('; ') }
}
