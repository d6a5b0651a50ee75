/**
 * Snapshots of the offline sandbox's state: a folder that holds everything a sandbox keeps (its ids,
 * users, identities, API key, files and every table's items), for CI fixtures and bug reports.
 * `npm run sandbox -- --from <folder>` starts a sandbox from one; the console's Overview and
 * `npm run sandbox:export -- <folder>` make one.
 *
 * The data folder's files are copied as they are (each is written whole, by rename). The tables are
 * dumped item by item through DynamoDB's own API (Scan), not as LevelDB's files, which a running
 * sandbox holds open and changes underneath a copy. Left out on purpose: the admin credentials and
 * the IAM session credentials (a restored sandbox makes its own), the secrets' values (a bug report
 * must not carry them: set them again with `npm run sandbox:secret`), the TLS certificate (the one
 * browsers trust stays), uploads in progress, and the synth cache (it holds no data).
 */
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SandboxStartError } from './port'

export const SNAPSHOT_FILE = 'snapshot.json'
const FORMAT = 'amplify-offline-sandbox-snapshot'
const VERSION = 1

/** Parts of the data folder a snapshot leaves out (paths relative to it); see the file's comment for why. */
const NOT_KEPT = ['synth-cache', 'tls', 'iam', 'admin-credentials', 'secrets.json', join('data', 'dynamodb'), join('storage', 'tmp'), join('storage', 'uploads')]

interface SnapshotManifest {
  format: typeof FORMAT
  version: number
  createdAt: string
  /** Items per table, as dumped. */
  tables: Record<string, number>
}

/** A snapshot that cannot be made or read, said in one line the developer can act on (at start too). */
export class SnapshotError extends SandboxStartError {
  override name = 'SnapshotError'
}

/** Writes the state of `dataDir` (its tables through `dynamo`) to `folder`, which must not exist or be empty. */
export async function exportSnapshot(dataDir: string, folder: string, dynamo: DynamoDBClient): Promise<SnapshotManifest> {
  if ((await readdir(folder).catch(() => [])).length > 0) throw new SnapshotError(`${folder} is not empty: export into a new folder.`)
  await mkdir(join(folder, 'tables'), { recursive: true })
  await cp(dataDir, join(folder, 'state'), {
    recursive: true,
    filter: source => !isLeftOut(relative(dataDir, source)) && !relative(dataDir, source).startsWith('assembly-'),
  })
  const { ScanCommand } = await dynamoCommands()
  const tables: Record<string, number> = {}
  for (const table of await listTables(dynamo)) {
    const lines: string[] = []
    let start: Record<string, AttributeValue> | undefined
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }))
      for (const item of page.Items ?? []) lines.push(JSON.stringify(item, binaryAsBase64))
      start = page.LastEvaluatedKey
    } while (start)
    await writeFile(join(folder, 'tables', `${encodeURIComponent(table)}.jsonl`), lines.length ? `${lines.join('\n')}\n` : '')
    tables[table] = lines.length
  }
  const manifest: SnapshotManifest = { format: FORMAT, version: VERSION, createdAt: new Date().toISOString(), tables }
  await writeFile(join(folder, SNAPSHOT_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

/** The snapshot in `folder`, checked: what `--from` restores. */
export async function readSnapshot(folder: string): Promise<SnapshotManifest> {
  let manifest: Partial<SnapshotManifest>
  try {
    manifest = JSON.parse(await readFile(join(folder, SNAPSHOT_FILE), 'utf8')) as Partial<SnapshotManifest>
  }
  catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `it has no ${SNAPSHOT_FILE}` : `its ${SNAPSHOT_FILE} is not JSON`
    throw new SnapshotError(`${folder} is not a sandbox snapshot: ${reason}.`)
  }
  if (manifest.format !== FORMAT || typeof manifest.tables !== 'object' || manifest.tables === null) throw new SnapshotError(`${folder} is not a sandbox snapshot (${SNAPSHOT_FILE} says otherwise).`)
  if (manifest.version !== VERSION) throw new SnapshotError(`${folder} is a version ${manifest.version} snapshot; this sandbox reads version ${VERSION}.`)
  if (!(await stat(join(folder, 'state')).catch(() => undefined))?.isDirectory()) throw new SnapshotError(`${folder} is not a whole snapshot: it has no state folder.`)
  return manifest as SnapshotManifest
}

/** Puts a snapshot's files into `dataDir`, whose state (as `--reset` wipes it) is gone already. */
export async function restoreFiles(folder: string, dataDir: string): Promise<void> {
  await cp(join(folder, 'state'), dataDir, { recursive: true, force: true })
}

/**
 * Writes a snapshot's items into the tables of the started backend. A table the backend no longer
 * has is not restored, and said; items already there with the same key are replaced.
 */
export async function restoreTables(folder: string, dynamo: DynamoDBClient, log: (line: string) => void): Promise<number> {
  const manifest = await readSnapshot(folder)
  const existing = new Set(await listTables(dynamo))
  let restored = 0
  for (const table of Object.keys(manifest.tables)) {
    if (!existing.has(table)) {
      log(`Snapshot: table ${table} is not in this backend, so its ${manifest.tables[table]} items were not restored`)
      continue
    }
    const text = await readFile(join(folder, 'tables', `${encodeURIComponent(table)}.jsonl`), 'utf8')
    const items = text.split('\n').filter(Boolean).map(line => JSON.parse(line, base64AsBinary) as Record<string, AttributeValue>)
    for (let i = 0; i < items.length; i += 25) await writeBatch(dynamo, table, items.slice(i, i + 25))
    restored += items.length
  }
  return restored
}

async function writeBatch(dynamo: DynamoDBClient, table: string, items: Array<Record<string, AttributeValue>>): Promise<void> {
  const { BatchWriteItemCommand } = await dynamoCommands()
  let requests = items.map(Item => ({ PutRequest: { Item } }))
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt === 5) throw new SnapshotError(`DynamoDB kept refusing ${requests.length} items of ${table}`)
    const { UnprocessedItems } = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }))
    requests = (UnprocessedItems?.[table] ?? []).flatMap(request => (request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : []))
  }
}

/**
 * Every table's name. Not appsync/dynamodb.ts's own: importing that module loads dynalite, which
 * the sandbox loads only while synth runs (appsync/service.ts), never on the start's critical path.
 */
async function listTables(dynamo: DynamoDBClient): Promise<string[]> {
  const { ListTablesCommand } = await dynamoCommands()
  const names: string[] = []
  let start: string | undefined
  do {
    const page = await dynamo.send(new ListTablesCommand({ ExclusiveStartTableName: start }))
    names.push(...(page.TableNames ?? []))
    start = page.LastEvaluatedTableName
  } while (start)
  return names
}

/** The DynamoDB SDK, loaded when a snapshot is made or restored: the sandbox's start does not wait for it. */
const dynamoCommands = () => import('@aws-sdk/client-dynamodb')

function isLeftOut(path: string): boolean {
  return NOT_KEPT.some(part => path === part || path.startsWith(`${part}${sep}`))
}

// Binary attributes (B, BS) are bytes; JSON keeps them as base64 under a marker key.
const BINARY = '$base64'

function binaryAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { [BINARY]: Buffer.from(value).toString('base64') } : value
}

function base64AsBinary(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && Object.keys(value).length === 1 && typeof (value as Record<string, unknown>)[BINARY] === 'string') {
    return new Uint8Array(Buffer.from((value as Record<string, string>)[BINARY]!, 'base64'))
  }
  return value
}

/** Removes a half-written snapshot, so a failed export leaves nothing that looks like one. */
export async function discardSnapshot(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true })
}
