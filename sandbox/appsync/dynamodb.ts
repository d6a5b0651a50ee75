/**
 * The local DynamoDB: dynalite (pure JS, LevelDB on disk) on a loopback port, and the tables the
 * assembly defines. Tables are created or brought up to date at start and on reload; stored items
 * are never dropped.
 */
import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import { mkdir } from 'node:fs/promises'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'
import type { IndexDefinition, TableDefinition } from './definition'

export interface LocalDynamo {
  endpoint: string
  /** The SDK's client on the loopback port: table management, snapshots, the console. */
  client: DynamoDBClient
  /** The resolvers' way in: the same store, answered in this process (see `inProcessDispatch`). */
  dispatch: DynamoDispatch
  /** Closes the client and dynalite, which flushes LevelDB to disk. */
  close(): Promise<void>
}

/** Suffix of the table that holds a table's items while it is recreated with new indexes. */
const MIGRATION_SUFFIX = '.migrating'

/** The store is held by another process: a sandbox already running on this data folder. */
export class DynamoInUseError extends Error {
  override name = 'DynamoInUseError'
}

/**
 * dynalite opens LevelDB on its first request and, when it cannot (another process holds the
 * store's lock), throws out of its request handler, which ends the process. So the store is opened
 * once first, with the same LevelDB module dynalite loads, and a refusal is an error to report.
 */
async function assertOpenable(path: string): Promise<void> {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'))
  const { Level } = fromDynalite('level') as { Level: new (path: string) => { open(): Promise<void>, close(): Promise<void> } }
  const db = new Level(path)
  try {
    await db.open()
  }
  catch (error) {
    const cause = (error as { cause?: { code?: string, message?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new DynamoInUseError(`The local DynamoDB at ${path} is in use by another process: is a sandbox already running on this data folder?`)
    throw new Error(`The local DynamoDB at ${path} cannot be opened: ${cause?.message ?? (error as Error).message}`, { cause: error })
  }
  finally {
    await db.close().catch(() => {})
  }
}

export async function startLocalDynamo(path: string, region: string): Promise<LocalDynamo> {
  await mkdir(path, { recursive: true })
  await assertOpenable(path)
  // dynalite's CREATING/DELETING delays (500 ms by default) only slow a local start down.
  const server: Server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  // Loopback only, whatever host the API binds: nothing but this process talks to it.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = new DynamoDBClient({
    endpoint,
    region,
    // Without explicit credentials the SDK goes looking for real AWS ones; dynalite accepts any.
    credentials: { accessKeyId: 'LOCALSANDBOX', secretAccessKey: 'LOCALSANDBOX' },
    maxAttempts: 2,
  })
  let closing: Promise<void> | undefined
  const listener = server.listeners('request')[0] as RequestListener
  // Closed first, so a resolver still running at shutdown is refused instead of reaching a closed store.
  const dispatch = inProcessDispatch(listener, region)
  const close = () =>
    (closing ??= (async () => {
      dispatch.close()
      client.destroy()
      await new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve())))
    })())
  try {
    // LevelDB opens lazily; a locked or corrupt store should fail the start, not the first request.
    await client.send(new ListTablesCommand({ Limit: 1 }))
  }
  catch (error) {
    await close().catch(() => {})
    throw new Error(`The local DynamoDB at ${path} cannot be opened: ${(error as Error).message}`, { cause: error })
  }
  return { endpoint, client, dispatch, close }
}

/** What the simulator's DynamoDB loader calls: `send` with one of the SDK's item commands. */
export interface DynamoDispatch {
  send(command: { input: object }): Promise<never>
  /** From now on every `send` is refused. */
  close(): void
}

/**
 * The item operations the simulator's loader sends. Known by the command's class name, not the
 * class: the simulator requires the SDK's CommonJS build, and a bundler-style loader (vitest, an
 * app's tests) gives this module the ESM one, whose classes are others of the same names.
 */
const ITEM_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan'])
const commandOperation = (command: object) => command.constructor.name.replace(/Command$/, '')

/**
 * The resolvers' requests, handed to dynalite's own request listener in this process: the same
 * store, validation, answers and errors as over its port, without the SDK serialising, signing and
 * parsing each call or a socket carrying it. A 50-item Query costs 1.1 ms of CPU this way, against
 * 2.8-3.3 ms through `DynamoDBClient` over loopback.
 *
 * Written here rather than with light-my-request (made for injecting requests into a listener):
 * that builds full Node request and response streams, and costs 1.6 ms for the same Query.
 * dynalite's listener reads only `method`, `url`, `headers` and the body's `data`/`end` events, and
 * answers with `statusCode`, `setHeader` and one `end(body)`; `test/unit/sandbox/dynamo-dispatch`
 * fails if that stops being so.
 */
function inProcessDispatch(listener: RequestListener, region: string): DynamoDispatch {
  // dynalite checks that a signature is there, not what it signs: this fixed one passes as the SDK's does.
  const date = '20260101T000000Z'
  const authorization = `AWS4-HMAC-SHA256 Credential=LOCALSANDBOX/${date.slice(0, 8)}/${region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0`
  let closed = false
  return {
    close() {
      closed = true
    },
    send(command) {
      if (closed) return Promise.reject(new Error('The local DynamoDB is closed'))
      const operation = commandOperation(command)
      if (!ITEM_OPERATIONS.has(operation)) return Promise.reject(new Error(`The local DynamoDB does not take ${command.constructor.name} from a resolver`))
      // The SDK leaves out members that are null or undefined; the simulator's loader sets several to null.
      const body = JSON.stringify(command.input, (_key, value: unknown) => (value === null ? undefined : value))
      return new Promise((resolve, reject) => {
        const request = Object.assign(new EventEmitter(), {
          method: 'POST',
          url: '/',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}`, 'x-amz-date': date, authorization },
        })
        const response = {
          statusCode: 200,
          setHeader() {},
          end(text: string) {
            let answer: { __type?: string, message?: string, Message?: string }
            try {
              answer = JSON.parse(text)
            }
            catch {
              return reject(new Error(`The local DynamoDB answered ${operation} with ${response.statusCode}: ${String(text).slice(0, 200)}`))
            }
            if (response.statusCode === 200) return resolve(answer as never)
            // As the SDK raises it: named after the part of `__type` after '#', the body's other members on it.
            const { __type = 'DynamoDbException', message, Message, ...members } = answer
            reject(Object.assign(new Error(message ?? Message ?? __type), members, { name: __type.slice(__type.indexOf('#') + 1) }))
          },
        }
        try {
          listener(request as unknown as IncomingMessage, response as unknown as ServerResponse)
          request.emit('data', Buffer.from(body))
          request.emit('end')
        }
        catch (error) {
          reject(error)
        }
      })
    },
  }
}

export interface EnsureTablesResult {
  created: string[]
}

/**
 * Creates missing tables and recreates (items copied over) those whose indexes changed: dynalite
 * cannot add a GSI to an existing table. A changed primary key cannot carry items over; those
 * items are kept in a `<table>.previous-<time>` table rather than dropped.
 */
export async function ensureTables(client: DynamoDBClient, tables: TableDefinition[], log: (message: string) => void): Promise<EnsureTablesResult> {
  const result: EnsureTablesResult = { created: [] }
  const existing = new Set(await listTables(client))
  for (const table of tables) {
    const name = table.TableName
    const staging = `${name}${MIGRATION_SUFFIX}`
    if (existing.has(staging)) {
      // A previous migration stopped half-way: finish it from the copy.
      log(`Finishing the interrupted update of table ${name}`)
      if (!existing.has(name)) await createTable(client, table)
      await copyItems(client, staging, name)
      await deleteTable(client, staging)
      existing.add(name)
    }
    if (!existing.has(name)) {
      await createTable(client, table)
      result.created.push(name)
      continue
    }
    const current = await describeTable(client, name)
    if (sameDefinition(current, table)) continue
    const keysKept = sameKeys(current.KeySchema ?? [], table.KeySchema)
    if (!keysKept) {
      const previous = `${name}.previous-${new Date().toISOString().replace(/[:.]/g, '-')}`
      log(`The primary key of table ${name} changed: its items are kept in table ${previous}`)
      await createTable(client, { ...tableFromDescription(current), TableName: previous })
      await copyItems(client, name, previous)
    }
    else {
      log(`The indexes of table ${name} changed: recreating it with its items`)
      await createTable(client, { ...tableFromDescription(current), TableName: staging })
      await copyItems(client, name, staging)
    }
    await deleteTable(client, name)
    await createTable(client, table)
    if (keysKept) {
      await copyItems(client, staging, name)
      await deleteTable(client, staging)
    }
  }
  return result
}

async function listTables(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = []
  let start: string | undefined
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }))
    names.push(...(page.TableNames ?? []))
    start = page.LastEvaluatedTableName
  } while (start)
  return names
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }))
  if (!Table) throw new Error(`DescribeTable returned nothing for ${name}`)
  return Table
}

async function createTable(client: DynamoDBClient, table: TableDefinition): Promise<void> {
  await client.send(new CreateTableCommand({ ...table, BillingMode: 'PAY_PER_REQUEST' }))
  await waitFor(client, table.TableName, status => status === 'ACTIVE')
}

async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }))
  await waitFor(client, name, status => status === undefined)
}

async function waitFor(client: DynamoDBClient, name: string, done: (status: string | undefined) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    let status: string | undefined
    try {
      status = (await describeTable(client, name)).TableStatus
    }
    catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error
    }
    if (done(status)) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`Table ${name} did not settle`)
}

async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let start: Record<string, AttributeValue> | undefined
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: start }))
    for (const item of page.Items ?? []) await client.send(new PutItemCommand({ TableName: to, Item: item }))
    start = page.LastEvaluatedKey
  } while (start)
}

function tableFromDescription(description: TableDescription): TableDefinition {
  const index = (raw: { IndexName?: string, KeySchema?: unknown, Projection?: unknown }): IndexDefinition => ({
    IndexName: raw.IndexName!,
    KeySchema: raw.KeySchema as IndexDefinition['KeySchema'],
    Projection: (raw.Projection ?? { ProjectionType: 'ALL' }) as IndexDefinition['Projection'],
  })
  return {
    TableName: description.TableName!,
    AttributeDefinitions: description.AttributeDefinitions as TableDefinition['AttributeDefinitions'],
    KeySchema: description.KeySchema as TableDefinition['KeySchema'],
    ...(description.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: description.GlobalSecondaryIndexes.map(index) } : {}),
    ...(description.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: description.LocalSecondaryIndexes.map(index) } : {}),
  }
}

function sameKeys(a: ReadonlyArray<{ AttributeName?: string, KeyType?: string }>, b: ReadonlyArray<{ AttributeName?: string, KeyType?: string }>): boolean {
  return a.length === b.length && a.every((key, i) => key.AttributeName === b[i]?.AttributeName && key.KeyType === b[i]?.KeyType)
}

function sameDefinition(current: TableDescription, wanted: TableDefinition): boolean {
  const types = new Map((current.AttributeDefinitions ?? []).map(a => [a.AttributeName, a.AttributeType]))
  const keyTypesMatch = wanted.AttributeDefinitions.every(a => !types.has(a.AttributeName) || types.get(a.AttributeName) === a.AttributeType)
  const indexSignature = (indexes: ReadonlyArray<{ IndexName?: string, KeySchema?: unknown, Projection?: { ProjectionType?: string, NonKeyAttributes?: string[] } }> | undefined) =>
    JSON.stringify(
      (indexes ?? [])
        .map(i => ({
          name: i.IndexName,
          keys: ((i.KeySchema ?? []) as Array<{ AttributeName?: string, KeyType?: string }>).map(k => `${k.AttributeName}:${k.KeyType}`),
          projection: i.Projection?.ProjectionType ?? 'ALL',
          extra: [...(i.Projection?.NonKeyAttributes ?? [])].sort(),
        }))
        .sort((x, y) => String(x.name).localeCompare(String(y.name))),
    )
  return (
    sameKeys(current.KeySchema ?? [], wanted.KeySchema)
    && keyTypesMatch
    && indexSignature(current.GlobalSecondaryIndexes) === indexSignature(wanted.GlobalSecondaryIndexes)
    && indexSignature(current.LocalSecondaryIndexes) === indexSignature(wanted.LocalSecondaryIndexes)
  )
}
