/**
 * The console's Data: each model of the data API as a table to browse (paged with the list query's
 * nextToken, filtered by one field), and its items to view, edit, create and delete as JSON. Every
 * read and write is a GraphQL operation of the API itself (`list<Models>`, `get<Model>`,
 * `create/update/delete<Model>`), run in-process as the sandbox's admin IAM principal, as the AWS
 * console's data manager uses an admin role: validation runs as for any caller, and realtime
 * subscribers receive each change.
 */
import type { CloudAssembly } from '../assembly'
import type { GraphQLResponse } from '../appsync/execute'
import type { RunningDataApi } from '../appsync/service'
import { escapeHtml } from './pages'
import { readForm, redirect, type Panel, type PanelRequest } from './panel'

/** Items per page, as the list query's `limit`. */
const PAGE_SIZE = 20
/** A filtered page reads at most this many pages of the table. */
const MAX_FILTER_READS = 50
/** The models page counts items up to this many; beyond, it says "1000+" rather than scan on. */
const COUNT_CAP = 1000
/** A DynamoDB item is at most 400 KB; percent-encoding in the form can triple each byte. */
const ITEM_FORM_LIMIT = 3 * 400 * 1024 + 4096
/** How deep custom types (`a.customType`) nest in an item's selection. */
const MAX_DEPTH = 4

const STYLE = `
.crumbs { margin: 0; font-size: .875rem; } .crumbs a { color: #0969da; }
.items li, .models li { display: grid; gap: .2rem; }
.items a, .models a { color: #0969da; font-weight: 700; }
.fields { font-size: .875rem; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: .5rem; }
.filter input { flex: 1 1 8rem; min-width: 0; }
input[type=text] { font: inherit; font-size: .875rem; padding: .25rem .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: inherit; }
label { font-size: .875rem; font-weight: 600; display: block; margin: .5rem 0 .25rem; }
textarea { display: block; width: 100%; min-height: 14rem; font: .875rem/1.4 ui-monospace, monospace; padding: .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: inherit; }
textarea:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: .75rem 0; }
.actions a { color: #0969da; }
.error { border-left: 4px solid #a40e26; padding: .25rem .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
@media (prefers-color-scheme: dark) {
  textarea, input[type=text] { background: #0d1117; border-color: #30363d; }
  .crumbs a, .items a, .models a, .actions a { color: #4493f8; } .error { border-color: #ff7b72; }
}
`

export const dataPanel: Panel = {
  path: '/data',
  name: 'Data',
  async get(request) {
    const { subpath, query, sources, page, refuse } = request
    const api = sources.service('data') as RunningDataApi | undefined
    if (!api) return refuse(404, 'The backend defines no data API (no defineData).')
    const catalog = await catalogOf(sources.assembly(), api)
    const route = parsePath(subpath, catalog)
    if (!route) return refuse(404, `Nothing at /data${subpath.slice(0, 100)}.`)
    const notice = query.get('done') ?? undefined
    if (!route.model) return page(200, 'Data', await modelsContent(catalog, api, notice), { style: STYLE })
    const model = route.model
    if (route.kind === 'table') return listPage(request, api, model)
    if (route.kind === 'new') return page(200, `New ${model.name}`, createContent(model, newItemTemplate(model)), { style: STYLE })
    const found = await api.execute(getQuery(model), route.key)
    const item = resultItem(found, model.get!.field)
    if (!item) {
      const why = found.errors?.length ? ` The API said: ${errorText(found.errors)}` : ''
      return page(found.errors?.length ? 400 : 404, model.name, `${crumbs(model)}<h1>${escapeHtml(model.name)}</h1><p class="error" role="alert">No ${escapeHtml(model.name)} with ${escapeHtml(keyText(model, route.key))}.${escapeHtml(why)}</p>`, { style: STYLE })
    }
    page(200, `${model.name} ${keyText(model, route.key)}`, itemContent(model, route.key, JSON.stringify(item, null, 2), { notice, problem: found.errors?.length ? `The API also said: ${errorText(found.errors)}` : undefined }), { style: STYLE })
  },
  /**
   * `POST /data/<Model>` (action=create with `json`, or action=wipe) and `POST /data/<Model>/<key>`
   * (action=save with `json`, or action=delete): the mutation, then back with what it did. A refused
   * one shows the API's words on the form, with the text as the developer typed it.
   */
  async post(request) {
    const { req, res, subpath, sources, page, refuse } = request
    const api = sources.service('data') as RunningDataApi | undefined
    if (!api) return refuse(404, 'The backend defines no data API (no defineData).')
    const catalog = await catalogOf(sources.assembly(), api)
    const route = parsePath(subpath, catalog)
    if (!route?.model || route.kind === 'new') return refuse(404, `Nothing to post at /data${subpath.slice(0, 100)}.`)
    const model = route.model
    const form = await readForm(req, ITEM_FORM_LIMIT)
    const action = form.get('action') ?? ''
    const text = form.get('json') ?? ''

    if (route.kind === 'table') {
      if (action === 'wipe') {
        if (!model.list || !model.delete) return refuse(400, `${model.name} cannot be wiped here: the API has no ${model.list ? 'delete' : 'list'} operation for it.`)
        const { deleted, errors } = await wipe(api, model)
        if (errors) return listPage(request, api, model, { status: 400, problem: `Deleted ${deleted} ${model.name} ${deleted === 1 ? 'item' : 'items'}, then the API refused: ${errorText(errors)}` })
        return redirect(res, `${tablePath(model)}?${new URLSearchParams({ done: `Wiped ${model.name}: deleted ${deleted} ${deleted === 1 ? 'item' : 'items'}, each through ${model.delete.field}.` })}`)
      }
      if (action !== 'create') return refuse(400, 'The form needs action=create (with json) or action=wipe.')
      if (!model.create) return refuse(400, `The API has no create operation for ${model.name}.`)
      const failed = (problem: string) => page(400, `New ${model.name}`, createContent(model, text, problem), { style: STYLE })
      const parsed = parseItem(text)
      if (typeof parsed === 'string') return failed(parsed)
      const result = await api.execute(mutation(model, model.create), { input: writable(parsed, model.createFields, model) })
      const created = resultItem(result, model.create.field)
      if (!created) return failed(`The API refused it: ${errorText(result.errors)}`)
      return redirect(res, `${itemPath(model, created)}?${new URLSearchParams({ done: `Created ${model.name} ${keyText(model, created)} through ${model.create.field}.` })}`)
    }

    const key = route.key
    if (action === 'delete') {
      if (!model.delete) return refuse(400, `The API has no delete operation for ${model.name}.`)
      const result = await api.execute(mutation(model, model.delete), { input: key })
      if (!resultItem(result, model.delete.field)) {
        // The form sent no text: the editor shows the item as it still is.
        const current = resultItem(await api.execute(getQuery(model), key), model.get!.field)
        return page(400, model.name, itemContent(model, key, current ? JSON.stringify(current, null, 2) : '', { problem: `The API refused the delete: ${errorText(result.errors)}` }), { style: STYLE })
      }
      return redirect(res, `${tablePath(model)}?${new URLSearchParams({ done: `Deleted ${model.name} ${keyText(model, key)} through ${model.delete.field}.` })}`)
    }
    if (action !== 'save') return refuse(400, 'The form needs action=save (with json) or action=delete.')
    if (!model.update) return refuse(400, `The API has no update operation for ${model.name}.`)
    const failed = (problem: string) => page(400, model.name, itemContent(model, key, text, { problem }), { style: STYLE })
    const parsed = parseItem(text)
    if (typeof parsed === 'string') return failed(parsed)
    // The page's item is the one saved: another key in the text would overwrite another item.
    for (const field of model.key) {
      if (field in parsed && String(parsed[field]) !== String(key[field])) return failed(`The key cannot change (${field} is ${JSON.stringify(key[field])} here). To copy the item under another key, create a new one.`)
    }
    const result = await api.execute(mutation(model, model.update), { input: { ...writable(parsed, model.updateFields, model), ...key } })
    if (!resultItem(result, model.update.field)) return failed(`The API refused it: ${errorText(result.errors)}`)
    redirect(res, `${itemPath(model, key)}?${new URLSearchParams({ done: `Saved ${model.name} ${keyText(model, key)} through ${model.update.field}.` })}`)
  },
}

// ---------------------------------------------------------------------------------------------
// What the API serves of each model: from the model introspection (the models, their keys) and the
// API's own GraphQL schema (operations, inputs, filters), read once per backend.

interface TypeRef {
  kind: string
  name: string | null
  ofType: TypeRef | null
}
interface Field {
  name: string
  type: TypeRef
}
interface SchemaType {
  name: string
  kind: string
  fields: Field[] | null
  inputFields: Field[] | null
}
interface RootField {
  name: string
  args: Field[]
}

/** One of the API's root fields and its arguments, by name. */
interface Operation {
  field: string
  args: Map<string, TypeRef>
}

interface Model {
  name: string
  /** The primary key's fields: the partition key, then any sort keys (`primaryKeyInfo`). */
  key: string[]
  /** The scalar type of each key field, to read a key from a URL. */
  keyScalars: Map<string, string>
  /** The selection set of a whole item: every field but relations. */
  selection: string
  /** The fields a row of the list shows after the key. */
  summary: string[]
  /** The fields the list filters on, each with its scalar type and whether it takes `contains`. */
  filters: Array<{ name: string, scalar: string, contains: boolean }>
  /** Fields of the item the API sets itself (in no create or update input): left out of writes. */
  readOnly: string[]
  /** Owner fields of its `owner` rules that no create input carries: an item made here has no owner. */
  unownable: string[]
  createFields: Map<string, TypeRef>
  updateFields: Map<string, TypeRef>
  list?: Operation
  get?: Operation
  create?: Operation
  update?: Operation
  delete?: Operation
}

interface ModelIntrospection {
  models?: Record<string, {
    name: string
    pluralName: string
    primaryKeyInfo?: { primaryKeyFieldName: string, sortKeyFieldNames?: string[] }
    attributes?: Array<{ type: string, properties?: { rules?: Array<{ allow?: string, ownerField?: string }> } }>
  }>
  nonModels?: Record<string, unknown>
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }'
const SCHEMA_QUERY = `{ __schema {
  queryType { fields { name args { name type { ${TYPE_REF} } } } }
  mutationType { fields { name args { name type { ${TYPE_REF} } } } }
  types { name kind fields { name type { ${TYPE_REF} } } inputFields { name type { ${TYPE_REF} } } }
} }`

/** The models of each backend served: reading them asks the API for its schema once. */
const catalogs = new WeakMap<CloudAssembly, Promise<Model[]>>()

function catalogOf(assembly: CloudAssembly, api: RunningDataApi): Promise<Model[]> {
  let catalog = catalogs.get(assembly)
  if (!catalog) {
    catalog = readCatalog(assembly, api)
    catalogs.set(assembly, catalog)
    // A failure is not kept: the next request tries again.
    catalog.catch(() => catalogs.delete(assembly))
  }
  return catalog
}

async function readCatalog(assembly: CloudAssembly, api: RunningDataApi): Promise<Model[]> {
  const introspection = (await assembly.modelIntrospection()) as ModelIntrospection | undefined
  const answer = await api.execute(SCHEMA_QUERY)
  const schema = (answer.data as { __schema?: { queryType: { fields: RootField[] } | null, mutationType: { fields: RootField[] } | null, types: SchemaType[] } } | null)?.__schema
  if (!schema) throw new Error(`The data API did not describe its schema: ${errorText(answer.errors)}`)
  const types = new Map(schema.types.map(type => [type.name, type]))
  const operations = (fields: RootField[] | undefined) => new Map((fields ?? []).map(field => [field.name, { field: field.name, args: new Map(field.args.map(arg => [arg.name, arg.type])) } satisfies Operation]))
  const queries = operations(schema.queryType?.fields)
  const mutations = operations(schema.mutationType?.fields)
  const nonModels = new Set(Object.keys(introspection?.nonModels ?? {}))
  const inputFields = (name: string | null | undefined) => new Map((types.get(name ?? '')?.inputFields ?? []).map(field => [field.name, field.type]))

  const models: Model[] = []
  for (const info of Object.values(introspection?.models ?? {})) {
    const type = types.get(info.name)
    if (!type?.fields) continue
    const key = [info.primaryKeyInfo?.primaryKeyFieldName ?? 'id', ...(info.primaryKeyInfo?.sortKeyFieldNames ?? [])]
    const scalarOf = (name: string) => namedType(type.fields!.find(field => field.name === name)?.type)?.name ?? 'String'
    const leaves = type.fields.filter(field => isLeaf(namedType(field.type)))
    const create = mutations.get(`create${info.name}`)
    const update = mutations.get(`update${info.name}`)
    const createFields = inputFields(namedType(create?.args.get('input'))?.name)
    const updateFields = inputFields(namedType(update?.args.get('input'))?.name)
    const filterType = types.get(namedType(queries.get(`list${info.pluralName}`)?.args.get('filter'))?.name ?? '')
    models.push({
      name: info.name,
      key,
      keyScalars: new Map(key.map(name => [name, scalarOf(name)])),
      selection: selectionOf(type, types, nonModels, 0),
      summary: leaves.map(field => field.name).filter(name => !key.includes(name) && name !== 'createdAt' && name !== 'updatedAt').slice(0, 3),
      filters: (filterType?.inputFields ?? [])
        .filter(field => !['and', 'or', 'not'].includes(field.name))
        .map((field) => {
          const operators = types.get(namedType(field.type)?.name ?? '')?.inputFields ?? []
          return { name: field.name, scalar: namedType(operators.find(op => op.name === 'eq')?.type)?.name ?? 'String', contains: operators.some(op => op.name === 'contains') }
        }),
      readOnly: type.fields.map(field => field.name).filter(name => !createFields.has(name) && !updateFields.has(name)),
      unownable: [...new Set((info.attributes ?? []).filter(attribute => attribute.type === 'auth').flatMap(attribute => attribute.properties?.rules ?? [])
        .filter(rule => rule.allow === 'owner').map(rule => rule.ownerField ?? 'owner'))].filter(field => !createFields.has(field)),
      createFields,
      updateFields,
      list: queries.get(`list${info.pluralName}`),
      get: queries.get(`get${info.name}`),
      create,
      update,
      delete: mutations.get(`delete${info.name}`),
    })
  }
  return models
}

function namedType(ref: TypeRef | null | undefined): TypeRef | undefined {
  let current = ref ?? undefined
  while (current?.ofType) current = current.ofType
  return current
}

function isLeaf(ref: TypeRef | undefined): boolean {
  return ref?.kind === 'SCALAR' || ref?.kind === 'ENUM'
}

/** Every scalar and enum field, and custom types' fields within; relations (other models, connections) are left out. */
function selectionOf(type: SchemaType, types: Map<string, SchemaType>, nonModels: Set<string>, depth: number): string {
  const parts: string[] = []
  for (const field of type.fields ?? []) {
    const named = namedType(field.type)
    if (isLeaf(named)) parts.push(field.name)
    else if (named?.name && nonModels.has(named.name) && depth < MAX_DEPTH) {
      const inner = types.get(named.name)
      if (inner) parts.push(`${field.name} { ${selectionOf(inner, types, nonModels, depth + 1)} }`)
    }
  }
  return parts.join(' ')
}

function printType(ref: TypeRef): string {
  if (ref.kind === 'NON_NULL') return `${printType(ref.ofType!)}!`
  if (ref.kind === 'LIST') return `[${printType(ref.ofType!)}]`
  return ref.name ?? 'String'
}

// ---------------------------------------------------------------------------------------------
// The operations, as documents of the API's own fields.

function listQuery(model: Model, selection = model.selection): string {
  const args = ['filter', 'limit', 'nextToken'].filter(name => model.list!.args.has(name))
  const variables = args.map(name => `$${name}: ${printType(model.list!.args.get(name)!)}`).join(', ')
  return `query (${variables}) { ${model.list!.field}(${args.map(name => `${name}: $${name}`).join(', ')}) { items { ${selection} } nextToken } }`
}

function getQuery(model: Model): string {
  const args = [...model.get!.args.keys()]
  return `query (${args.map(name => `$${name}: ${printType(model.get!.args.get(name)!)}`).join(', ')}) { ${model.get!.field}(${args.map(name => `${name}: $${name}`).join(', ')}) { ${model.selection} } }`
}

/** A create, update or delete: the whole item is selected, so subscribers get every field. */
function mutation(model: Model, operation: Operation): string {
  return `mutation ($input: ${printType(operation.args.get('input')!)}) { ${operation.field}(input: $input) { ${model.selection} } }`
}

type ApiErrors = GraphQLResponse['errors']

/** The item a query or mutation answered with in `field`, if any. */
function resultItem(result: GraphQLResponse, field: string): Record<string, unknown> | null {
  const value = (result.data as Record<string, unknown> | null)?.[field]
  return value && typeof value === 'object' ? value as Record<string, unknown> : null
}

function errorText(errors: ApiErrors): string {
  if (!errors?.length) return 'no item came back.'
  return errors.map(error => (error.errorType ? `${error.errorType}: ${error.message}` : error.message)).join('\n')
}

interface ListPage {
  items: Array<Record<string, unknown>>
  nextToken?: string | null
  errors?: ApiErrors
}

async function listItems(api: RunningDataApi, model: Model, variables: Record<string, unknown>, selection?: string): Promise<ListPage> {
  const result = await api.execute(listQuery(model, selection), variables)
  const connection = (result.data as Record<string, { items?: Array<Record<string, unknown> | null>, nextToken?: string | null } | null> | null)?.[model.list!.field]
  return { items: (connection?.items ?? []).filter(item => item !== null), nextToken: connection?.nextToken, errors: result.errors }
}

/** Deletes every item, one `delete<Model>` each (so each subscriber sees each delete). */
async function wipe(api: RunningDataApi, model: Model): Promise<{ deleted: number, errors?: ApiErrors }> {
  let deleted = 0
  let nextToken: string | null | undefined
  do {
    const page = await listItems(api, model, { limit: 100, nextToken }, model.key.join(' '))
    if (page.errors?.length) return { deleted, errors: page.errors }
    for (const item of page.items) {
      const result = await api.execute(mutation(model, model.delete!), { input: Object.fromEntries(model.key.map(field => [field, item[field]])) })
      if (result.errors?.length) return { deleted, errors: result.errors }
      deleted++
    }
    nextToken = page.nextToken
  } while (nextToken)
  return { deleted }
}

/** Up to COUNT_CAP items, counted through the list query (keys only). */
async function countItems(api: RunningDataApi, model: Model): Promise<string> {
  if (!model.list) return 'not listable'
  let count = 0
  let nextToken: string | null | undefined
  do {
    const page = await listItems(api, model, { limit: COUNT_CAP, nextToken }, model.key.join(' '))
    if (page.errors?.length) return 'not counted'
    count += page.items.length
    nextToken = page.nextToken
  } while (nextToken && count < COUNT_CAP)
  return count >= COUNT_CAP && nextToken ? `${COUNT_CAP}+ items` : `${count} ${count === 1 ? 'item' : 'items'}`
}

// ---------------------------------------------------------------------------------------------
// Addresses: `/data/<Model>`, `/data/<Model>/new`, `/data/<Model>/<key>[/<sort key>...]`.

type Route
  = | { model?: undefined }
    | { model: Model, kind: 'table' }
    | { model: Model, kind: 'new' }
    | { model: Model, kind: 'item', key: Record<string, unknown> }

function parsePath(subpath: string, catalog: Model[]): Route | undefined {
  if (subpath === '' || subpath === '/') return {}
  const segments = subpath.slice(1).split('/')
  let decoded: string[]
  try {
    decoded = segments.map(segment => decodeURIComponent(segment))
  }
  catch {
    return undefined
  }
  const model = catalog.find(m => m.name === decoded[0])
  if (!model) return undefined
  if (segments.length === 1) return { model, kind: 'table' }
  if (segments.length === 2 && segments[1] === 'new') return { model, kind: 'new' }
  if (segments.length !== model.key.length + 1 || !model.get) return undefined
  const values = decoded.slice(1).map(segment => (segment.startsWith('~') ? segment.slice(1) : segment))
  return { model, kind: 'item', key: Object.fromEntries(model.key.map((field, i) => [field, keyValue(values[i]!, model.keyScalars.get(field))])) }
}

/** A key field's value as its GraphQL type takes it (a URL gives text). */
function keyValue(text: string, scalar: string | undefined): unknown {
  if ((scalar === 'Int' && /^-?\d+$/.test(text)) || (scalar === 'Float' && text.trim() !== '' && Number.isFinite(Number(text)))) return Number(text)
  if (scalar === 'Boolean' && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

/**
 * A key value as a path segment. Values a URL cannot carry as themselves get a `~` in front, which
 * parsePath drops: "new" (the create form's address), "" and dot segments (browsers resolve `.` and
 * `..`, also percent-encoded), and so values that start with `~`.
 */
function keySegment(value: unknown): string {
  const text = String(value)
  return `${['new', '', '.', '..'].includes(text) || text.startsWith('~') ? '~' : ''}${encodeURIComponent(text)}`
}

function tablePath(model: Model): string {
  return `/data/${encodeURIComponent(model.name)}`
}

function itemPath(model: Model, item: Record<string, unknown>): string {
  return `${tablePath(model)}/${model.key.map(field => keySegment(item[field])).join('/')}`
}

function keyText(model: Model, item: Record<string, unknown>): string {
  return model.key.map(field => `${field} ${String(item[field])}`).join(', ')
}

// ---------------------------------------------------------------------------------------------
// Writes: the text as an item, and the fields an input takes.

/** The item in the text, or what is wrong with it. */
function parseItem(text: string): Record<string, unknown> | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  }
  catch (error) {
    return `That is not JSON: ${(error as Error).message}`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'The item must be one JSON object: { "field": value, ... }.'
  return value as Record<string, unknown>
}

/**
 * The item as the input takes it: without the fields the API sets itself (createdAt, owner...),
 * which every item shown has. Any other field goes to the API, which refuses one it does not know.
 */
function writable(item: Record<string, unknown>, input: Map<string, TypeRef>, model: Model): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => input.has(name) || !model.readOnly.includes(name)))
}

/** What the create form starts with: each field the create input takes, empty. */
function newItemTemplate(model: Model): string {
  const empty = (ref: TypeRef): unknown => {
    if (ref.kind !== 'NON_NULL') return null
    const inner = ref.ofType!
    if (inner.kind === 'LIST') return []
    if (inner.name === 'Int' || inner.name === 'Float') return 0
    if (inner.name === 'Boolean') return false
    if (inner.kind === 'INPUT_OBJECT') return {}
    return ''
  }
  // A generated id is the usual; a custom key has to be given.
  const generatedId = model.key.length === 1 && model.key[0] === 'id'
  const template = Object.fromEntries([...model.createFields].filter(([name]) => !(generatedId && name === 'id')).map(([name, ref]) => [name, empty(ref)]))
  return JSON.stringify(template, null, 2)
}

// ---------------------------------------------------------------------------------------------
// Pages.

function crumbs(model?: Model, item?: string): string {
  if (!model) return ''
  const table = item ? `<a href="${tablePath(model)}">${escapeHtml(model.name)}</a> / ${escapeHtml(item)}` : escapeHtml(model.name)
  return `<p class="crumbs"><a href="/data">Data</a> / ${table}</p>`
}

function said(notice?: string, problem?: string): string {
  return (notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : '') + (problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : '')
}

async function modelsContent(catalog: Model[], api: RunningDataApi, notice?: string): Promise<string> {
  if (catalog.length === 0) return `<h1>Data</h1>${said(notice)}<p class="empty">The backend defines no data models.</p>`
  const counts = await Promise.all(catalog.map(model => countItems(api, model)))
  const rows = catalog.map((model, i) => [
    '<li>',
    `<a href="${tablePath(model)}">${escapeHtml(model.name)}</a>`,
    `<div class="meta">${escapeHtml(counts[i]!)} · key ${escapeHtml(model.key.join(' + '))}</div>`,
    '</li>',
  ].join(''))
  return `<h1>Data</h1>${said(notice)}<ul class="models">${rows.join('')}</ul><p class="meta">Reads and changes go through the data API as the sandbox's admin (IAM), so validation runs and subscribers see each change.</p>`
}

async function listPage({ query, page }: PanelRequest, api: RunningDataApi, model: Model, failure?: { status: number, problem: string }): Promise<void> {
  const notice = failure ? undefined : query.get('done') ?? undefined
  const field = query.get('field') ?? ''
  const op = query.get('op') === 'contains' ? 'contains' : 'eq'
  const value = query.get('value') ?? ''
  const nextToken = query.get('next') || undefined
  const pageNumber = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1)
  const filter = model.filters.find(f => f.name === field)
  const render = (status: number, body: string, problem?: string) => page(status, model.name, `${crumbs(model)}<h1>${escapeHtml(model.name)}</h1>${said(notice, problem ?? failure?.problem)}${filterForm(model, field, op, value)}${body}${wipeForm(model)}`, { style: STYLE })

  if (!model.list) return render(failure?.status ?? 200, `<p class="empty">The API has no list query for ${escapeHtml(model.name)}.</p>`)
  if (field && !filter) return render(400, '', `${model.name} has no field ${field} to filter on.`)
  if (filter && value !== '' && op === 'contains' && !filter.contains) return render(400, '', `${field} (${filter.scalar}) cannot be filtered with "contains": use "equals".`)
  const variables: Record<string, unknown> = { limit: PAGE_SIZE, nextToken }
  if (filter && value !== '') variables.filter = { [filter.name]: { [op]: keyValue(value, filter.scalar) } }
  // DynamoDB filters each page it reads: a filtered list reads on until a page's worth matched.
  const listed: ListPage = { items: [], nextToken }
  for (let reads = 0; ;) {
    const read = await listItems(api, model, { ...variables, nextToken: listed.nextToken })
    listed.items.push(...read.items)
    listed.nextToken = read.nextToken
    listed.errors = read.errors
    if (!variables.filter || read.errors?.length || !read.nextToken || listed.items.length >= PAGE_SIZE || ++reads >= MAX_FILTER_READS) break
  }
  if (listed.errors?.length && listed.items.length === 0) return render(400, '', `The API refused the list: ${errorText(listed.errors)}`)

  const rows = listed.items.map((item) => {
    const fields = model.summary.filter(name => item[name] !== undefined).map(name => `${escapeHtml(name)}: ${escapeHtml(shortValue(item[name]))}`)
    return [
      '<li>',
      `<a href="${itemPath(model, item)}">${escapeHtml(model.key.map(name => String(item[name])).join(' · '))}</a>`,
      fields.length ? `<div class="fields">${fields.join(' · ')}</div>` : '',
      typeof item.updatedAt === 'string' ? `<div class="meta">updated ${escapeHtml(item.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</div>` : '',
      '</li>',
    ].join('')
  })
  const filtered = Boolean(variables.filter)
  const list = rows.length
    ? `<ul class="items">${rows.join('')}</ul>`
    : `<p class="empty">${filtered ? 'No item on this page matches.' : pageNumber > 1 ? 'No more items.' : `No ${escapeHtml(model.name)} items yet.`}</p>`
  const keep = { ...(filtered ? { field, op, value } : {}) }
  const pager = [
    nextToken ? `<a href="${tablePath(model)}?${new URLSearchParams(keep)}">First page</a>` : '',
    listed.nextToken ? `<a href="${tablePath(model)}?${new URLSearchParams({ ...keep, next: listed.nextToken, page: String(pageNumber + 1) })}">Next page</a>` : '',
  ].filter(Boolean).join('')
  const meta = `<p class="meta">Page ${pageNumber}: ${listed.items.length} shown${filtered ? `; read ${PAGE_SIZE} items at a time until ${PAGE_SIZE} matched or ${PAGE_SIZE * MAX_FILTER_READS} were read` : `, ${PAGE_SIZE} per page`}.</p>`
  const problem = listed.errors?.length ? `The API also said: ${errorText(listed.errors)}` : undefined
  render(failure?.status ?? 200, `${meta}${list}<div class="actions">${pager}${model.create ? `<a href="${tablePath(model)}/new">New ${escapeHtml(model.name)}</a>` : ''}</div>`, problem)
}

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

function filterForm(model: Model, field: string, op: string, value: string): string {
  if (!model.list || model.filters.length === 0) return ''
  const options = model.filters.map(f => `<option${f.name === field ? ' selected' : ''}>${escapeHtml(f.name)}</option>`).join('')
  return [
    `<form class="filter" method="get" action="${tablePath(model)}" role="search">`,
    `<select name="field" aria-label="Field to filter on">${options}</select>`,
    `<select name="op" aria-label="How it matches"><option value="eq"${op === 'eq' ? ' selected' : ''}>equals</option><option value="contains"${op === 'contains' ? ' selected' : ''}>contains</option></select>`,
    `<input type="text" name="value" value="${escapeHtml(value)}" aria-label="Value to match" placeholder="Value">`,
    '<button type="submit">Filter</button>',
    value !== '' ? `<a href="${tablePath(model)}">Clear</a>` : '',
    '</form>',
  ].join('')
}

function wipeForm(model: Model): string {
  if (!model.list || !model.delete) return ''
  return [
    '<h2>Wipe</h2>',
    `<p class="meta">Deletes every ${escapeHtml(model.name)}, not only those shown, one ${escapeHtml(model.delete.field)} each: subscribers see every delete.</p>`,
    `<details><summary>Wipe ${escapeHtml(model.name)}…</summary>`,
    `<form class="inline" method="post" action="${tablePath(model)}"><input type="hidden" name="action" value="wipe"><button type="submit">Delete every ${escapeHtml(model.name)} for good</button></form>`,
    '</details>',
  ].join('')
}

/** The JSON editor; `text` goes in as given (a leading newline would be eaten by the parser, hence the one before it). */
function editor(text: string, label: string): string {
  const rows = Math.min(40, Math.max(8, text.split('\n').length + 2))
  return `<label for="json">${escapeHtml(label)}</label><textarea id="json" name="json" rows="${rows}" spellcheck="false" autocapitalize="off">\n${escapeHtml(text)}</textarea>`
}

function readOnlyNote(model: Model, editing: boolean): string {
  const set = model.readOnly.length ? `Set by the API: ${model.readOnly.join(', ')}; the text's values for them are left out.` : ''
  const kept = editing ? ' A field you remove stays as it is; null clears it.' : ''
  return set || kept ? `<p class="meta">${escapeHtml(`${set}${kept}`.trim())}</p>` : ''
}

function itemContent(model: Model, key: Record<string, unknown>, text: string, options: { notice?: string, problem?: string } = {}): string {
  const path = itemPath(model, key)
  const title = keyText(model, key)
  const save = model.update
    ? `<form method="post" action="${path}">${editor(text, 'Item JSON')}${readOnlyNote(model, true)}<input type="hidden" name="action" value="save"><div class="actions"><button type="submit">Save</button></div></form>`
    : `${editor(text, 'Item JSON (read-only: the API has no update for this model)')}`
  const remove = model.delete
    ? `<details><summary>Delete…</summary><form class="inline" method="post" action="${path}"><input type="hidden" name="action" value="delete"><button type="submit">Delete ${escapeHtml(model.name)} ${escapeHtml(title)} for good</button></form></details>`
    : ''
  return `${crumbs(model, title)}<h1>${escapeHtml(model.name)} <span class="endpoint">${escapeHtml(title)}</span></h1>${said(options.notice, options.problem)}${save}${remove}`
}

function createContent(model: Model, text: string, problem?: string): string {
  if (!model.create) return `${crumbs(model, 'new')}<h1>New ${escapeHtml(model.name)}</h1><p class="empty">The API has no create operation for ${escapeHtml(model.name)}.</p>`
  const keyNote = model.key.length > 1 || model.key[0] !== 'id' ? ` Its key is ${model.key.join(' + ')}: give ${model.key.length > 1 ? 'them' : 'it'}.` : ' Leave out id: the API makes one.'
  return [
    `${crumbs(model, 'new')}<h1>New ${escapeHtml(model.name)}</h1>${said(undefined, problem)}`,
    `<form method="post" action="${tablePath(model)}">`,
    editor(text, 'Item JSON'),
    `<p class="meta">Created through ${escapeHtml(model.create.field)}.${escapeHtml(keyNote)}</p>`,
    readOnlyNote(model, false),
    // As in the cloud: an admin role's create cannot name an owner, so owner-only items made here are no user's.
    model.unownable.length ? `<p class="notice">${escapeHtml(`${model.name}'s owner rule reads ${model.unownable.join(', ')}, which the create input does not take: an item made here belongs to no one, so no signed-in user sees it. To give a user an item, create it as them (npm run sandbox:seed, or the app).`)}</p>` : '',
    '<input type="hidden" name="action" value="create"><div class="actions"><button type="submit">Create</button></div>',
    '</form>',
  ].join('')
}
