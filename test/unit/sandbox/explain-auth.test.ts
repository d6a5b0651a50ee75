/**
 * Why the data API refused a caller, in words, from the `@auth` rules of the model schema synth
 * writes (model-schema.graphql): each rule kind Gen 2 has, each kind of caller, field rules and
 * custom operations, and what it says when the rules do not tell.
 */
import { describe, expect, it } from 'vitest'
import { explainRefusal, readAuthRules, type DataCaller } from '../../../sandbox/appsync/explain'
import { graphql } from '../../../sandbox/appsync/graphql'
import { describeFields, outcomeOf, rootFields } from '../../../sandbox/appsync/requests'

/** As synth writes it for `.authorization(allow => …)` (amplify/data/resource.ts and the rules fixture). */
const MODEL_SCHEMA = `
type Todo @model @auth(rules: [{allow: owner, ownerField: "owner"}])
{
  content: String!
}

type SharedList @model @auth(rules: [{allow: owner, ownerField: "owner"},
  {allow: owner, operations: [read, update], ownerField: "editors", identityClaim: "email"},
  {allow: public, provider: identityPool, operations: [get]},
  {allow: private, provider: identityPool, operations: [get]},
  {allow: groups, operations: [read, delete], groups: ["Admin"]}])
{
  title: String!
  editors: [String!] @auth(rules: [{allow: owner, ownerField: "owner"},
  {allow: owner, operations: [read], ownerField: "editors", identityClaim: "email"},
  {allow: groups, operations: [read, delete], groups: ["Admin"]}])
}

type PublicPost @model @auth(rules: [{allow: public, provider: apiKey}])
{
  title: String
}

type Notice @model @auth(rules: [{allow: public, provider: apiKey, operations: [read]}, {allow: owner}])
{
  title: String
}

type MemberNote @model @auth(rules: [{allow: private}])
{
  title: String
}

type GroupNote @model @auth(rules: [{allow: groups, groupsField: "group"}])
{
  title: String
  group: String
}

type Secret @model @auth(rules: [{allow: custom}])
{
  title: String
}

type Query {
  todoSummary: Int @function(name: "FnTodoSummary") @auth(rules: [{allow: private}])
  adminReport: Int @function(name: "FnReport") @auth(rules: [{allow: groups, groups: ["Admin"]}])
}
`

const rules = readAuthRules(MODEL_SCHEMA)
const user = (claims: Record<string, unknown> = {}): DataCaller => ({ mode: 'userPools', claims: { 'sub': 'sub-b', 'cognito:username': 'sub-b', 'email': 'b@example.com', ...claims } })
const apiKey: DataCaller = { mode: 'apiKey' }
const guest: DataCaller = { mode: 'iam', kind: 'guest', role: 'unauthRole' }

describe('explaining a data API refusal', () => {
  it('reads each model\'s rules with the transformer\'s defaults', () => {
    expect(rules.types.get('Todo')).toMatchObject({ model: true, rules: [{ allow: 'owner', provider: 'userPools', ownerField: 'owner', operations: ['create', 'update', 'delete', 'read'] }] })
    expect(rules.types.get('PublicPost')!.rules[0]).toMatchObject({ allow: 'public', provider: 'apiKey' })
    expect(rules.types.get('SharedList')!.fields.get('editors')).toHaveLength(3)
    expect(rules.types.get('SharedList')!.lists.has('editors')).toBe(true)
    expect(rules.operations.get('Query.todoSummary')).toMatchObject([{ allow: 'private', provider: 'userPools' }])
  })

  it('owner rule: another user updating, deleting or reading the item is not its owner', () => {
    expect(explainRefusal(rules, user(), { operation: 'Mutation.updateTodo', model: 'Todo', action: 'update' }))
      .toBe('owner rule on Todo: the caller is not the owner (the item\'s owner names someone else)')
    expect(explainRefusal(rules, user(), { operation: 'Query.getTodo', model: 'Todo', action: 'get' })).toContain('owner rule on Todo: the caller is not the owner')
  })

  it('owner rule: a create that names someone else as the owner', () => {
    expect(explainRefusal(rules, user(), { operation: 'Mutation.createTodo', model: 'Todo', action: 'create' }))
      .toBe('owner rule on Todo: the new item\'s owner does not name the caller')
  })

  it('a caller no rule is about: the API key, a guest, another role', () => {
    expect(explainRefusal(rules, apiKey, { operation: 'Mutation.createTodo', model: 'Todo', action: 'create' }))
      .toBe('no rule of Todo allows the API key (apiKey) (it has owner rule)')
    expect(explainRefusal(rules, guest, { operation: 'Query.listTodos', model: 'Todo', action: 'list' })).toMatch(/^no rule of Todo allows guests \(identityPool\)/)
    expect(explainRefusal(rules, user(), { operation: 'Query.listPublicPosts', model: 'PublicPost', action: 'list' }))
      .toBe('no rule of PublicPost allows user pool users (userPool) (it has public API key rule)')
    expect(explainRefusal(rules, { mode: 'iam', kind: 'role', role: 'someFunctionRole' }, { operation: 'Query.listTodos', model: 'Todo', action: 'list' }))
      .toMatch(/^no rule of Todo allows the IAM role someFunctionRole/)
  })

  it('a rule that does not allow the operation says which it allows', () => {
    expect(explainRefusal(rules, apiKey, { operation: 'Mutation.updateNotice', model: 'Notice', action: 'update' }))
      .toBe('public API key rule on Notice allows read, not update')
    expect(explainRefusal(rules, guest, { operation: 'Query.listSharedLists', model: 'SharedList', action: 'list' }))
      .toBe('guest (identityPool) rule on SharedList allows get, not list')
  })

  it('groups rule: the caller is in none of its groups (and which they are in)', () => {
    const reason = explainRefusal(rules, user({ 'cognito:groups': ['Members'] }), { operation: 'Mutation.deleteSharedList', model: 'SharedList', action: 'delete' })
    expect(reason).toContain('groups rule (Admin) on SharedList: the caller is in none of Admin (they are in Members)')
    // Every rule that applied says why it did not allow.
    expect(reason).toContain('owner rule on SharedList: the caller is not the owner')
    expect(reason).toContain('ownersDefinedIn(editors) rule on SharedList allows read, update, not delete')
  })

  it('ownersDefinedIn: the caller\'s claim is not in the item\'s list', () => {
    expect(explainRefusal(rules, user(), { operation: 'Mutation.updateSharedList', model: 'SharedList', action: 'update' }))
      .toContain('ownersDefinedIn(editors) rule on SharedList: the caller (their email b@example.com) is not in the item\'s editors')
  })

  it('groupDefinedIn: the item\'s field names none of the caller\'s groups', () => {
    expect(explainRefusal(rules, user(), { operation: 'Query.getGroupNote', model: 'GroupNote', action: 'get' }))
      .toBe('groupDefinedIn(group) rule on GroupNote: the item\'s group names none of the caller\'s groups (they are in none)')
  })

  it('field rules: a field named by the resolver, or one it would not read', () => {
    // An editor may update the list but not who edits it.
    expect(explainRefusal(rules, user(), { operation: 'Mutation.updateSharedList', model: 'SharedList', action: 'update', fields: { of: 'SharedList', names: ['editors'], action: 'update' } }))
      .toBe('owner rule on field editors of SharedList: the caller is not the owner (the item\'s owner names someone else); ownersDefinedIn(editors) rule on field editors of SharedList allows read, not update; groups rule (Admin) on field editors of SharedList allows read, delete, not update')
    expect(explainRefusal(rules, guest, { operation: 'Query.getSharedList', model: 'SharedList', action: 'get', fields: { of: 'SharedList', names: ['editors'], action: 'get' } }))
      .toBe('no rule of field editors of SharedList allows guests (identityPool) (it has owner rule, ownersDefinedIn(editors) rule, groups rule (Admin))')
  })

  it('custom operations: their own rules', () => {
    expect(explainRefusal(rules, apiKey, { operation: 'Query.todoSummary' })).toBe('no rule of Query.todoSummary allows the API key (apiKey) (it has authenticated rule)')
    expect(explainRefusal(rules, user(), { operation: 'Query.adminReport' })).toBe('groups rule (Admin) on Query.adminReport: the caller is in none of Admin')
  })

  it('says it cannot tell when the rules would allow the caller, or there are none to read', () => {
    expect(explainRefusal(rules, user(), { operation: 'Query.listMemberNotes', model: 'MemberNote', action: 'list' }))
      .toBe('the resolver of Query.listMemberNotes refused it and the sandbox cannot tell which rule decided (authenticated rule on MemberNote allows the caller to list)')
    expect(explainRefusal(rules, user(), { operation: 'Query.listThings', model: 'Thing', action: 'list' })).toMatch(/cannot tell which rule decided \(Thing has no rules in the model schema\)/)
    expect(explainRefusal(readAuthRules('not a schema {'), user(), { operation: 'Query.getTodo', model: 'Todo', action: 'get' })).toMatch(/cannot tell/)
    expect(explainRefusal(rules, user(), { operation: 'Query.getSecret', model: 'Secret', action: 'get' })).toMatch(/^no rule of Secret allows user pool users/)
  })
})

describe('recording a GraphQL response', () => {
  // The served schema, cut down: what the root fields return tells their model.
  const schema = graphql.buildSchema(`
    type Todo { id: ID!, content: String! }
    type SharedList { id: ID!, title: String!, editors: [String!] }
    type ModelTodoConnection { items: [Todo]! }
    type Query { getTodo(id: ID!): Todo, listTodos: ModelTodoConnection, getSharedList(id: ID!): SharedList, todoSummary: Int }
    type Mutation { updateTodo(id: ID!): Todo, updateSharedList(id: ID!): SharedList }
  `)
  const fields = (query: string) => rootFields(schema, graphql.parse(query), undefined, rules)
  const bob = { mode: 'AMAZON_COGNITO_USER_POOLS' as const, claims: { 'sub': 'sub-b', 'cognito:username': 'sub-b', 'email': 'b@example.com' } }

  it('names each root field with its model, aliases and all', () => {
    expect(describeFields(fields('{ mine: listTodos { items { id } } getTodo(id: "1") { id } todoSummary __typename }')))
      .toBe('Query.listTodos on Todo, Query.getTodo on Todo, Query.todoSummary')
    expect(fields('mutation { updateTodo(id: "1") { id } }')).toEqual([{ name: 'Mutation.updateTodo', key: 'updateTodo', model: 'Todo', action: 'update' }])
  })

  it('allowed without errors; refused with the rules\' reason; failed with the error, never a variable\'s value', () => {
    const update = fields('mutation { updateTodo(id: "1") { id } }')
    expect(outcomeOf({ data: { updateTodo: { id: '1' } } }, update, bob, rules)).toEqual({ decision: 'allowed' })
    expect(outcomeOf({ data: { updateTodo: null }, errors: [{ path: ['updateTodo'], locations: null, errorType: 'Unauthorized', message: 'Not Authorized to access updateTodo on type Mutation' }] }, update, bob, rules))
      .toEqual({ decision: 'refused', reason: 'owner rule on Todo: the caller is not the owner (the item\'s owner names someone else)' })
    const failed = outcomeOf({ data: null, errors: [{ path: null, locations: null, message: 'Variable "$input" got invalid value { content: "my secret" }; Field "x" is not defined.' }] }, update, bob, rules)
    expect(failed).toEqual({ decision: 'failed', reason: 'Error: Variable "$input" got an invalid value' })
  })

  it('explains a field the resolver named, and one it would not read', () => {
    const update = fields('mutation { updateSharedList(id: "1") { id editors } }')
    expect(outcomeOf({ data: null, errors: [{ path: ['updateSharedList'], locations: null, errorType: 'Unauthorized', message: 'Unauthorized on [editors]' }] }, update, bob, rules).reason)
      .toMatch(/^owner rule on field editors of SharedList: the caller is not the owner/)
    const get = fields('{ getSharedList(id: "1") { id editors } }')
    expect(outcomeOf({ data: { getSharedList: { id: '1', editors: null } }, errors: [{ path: ['getSharedList', 'editors'], locations: null, errorType: 'Unauthorized', message: 'Not Authorized to access editors on type SharedList' }] }, get, bob, rules).reason)
      .toMatch(/^owner rule on field editors of SharedList: the caller is not the owner .*ownersDefinedIn\(editors\) rule on field editors of SharedList: the caller \(their email b@example.com\) is not in the item's editors/)
  })
})
