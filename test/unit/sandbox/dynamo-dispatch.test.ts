/**
 * The resolvers' in-process way into the local DynamoDB: it must answer every item operation the
 * simulator's loader sends exactly as the SDK client over dynalite's port does, and fail the same
 * way, or the data API would behave differently from the tables the console and snapshots see.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalDynamo, type LocalDynamo } from '../../../sandbox/appsync/dynamodb'

let dir: string
let dynamo: LocalDynamo
const TableName = 'Todo-dispatch'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynamo-dispatch-'))
  dynamo = await startLocalDynamo(join(dir, 'dynamodb'), 'us-east-1')
  await dynamo.client.send(new CreateTableCommand({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'owner', AttributeType: 'S' }],
    GlobalSecondaryIndexes: [{ IndexName: 'byOwner', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
  }))
  while ((await dynamo.client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus !== 'ACTIVE') await new Promise(resolve => setTimeout(resolve, 10))
})

afterAll(async () => {
  await dynamo?.close()
  await rm(dir, { recursive: true, force: true })
})

const item = (n: number, owner = 'ann') => ({ id: { S: `todo-${n}` }, owner: { S: owner }, content: { S: `Todo ${n}` }, done: { BOOL: n % 2 === 0 }, rank: { N: String(n) } })

const withoutMetadata = ({ $metadata: _, ...rest }: Record<string, unknown>) => rest

/** Both ways in, with what each answered or the error each raised (name, message, members). */
async function both(command: { input: object }): Promise<[unknown, unknown]> {
  const outcome = (promise: Promise<unknown>) => promise.then(
    // The SDK adds `$metadata`; the rest of its answer is what DynamoDB sent.
    answer => ({ answer: withoutMetadata(answer as Record<string, unknown>) }),
    (error: Error & Record<string, unknown>) => ({ error: { name: error.name, message: error.message, Item: error.Item } }),
  )
  return [await outcome(dynamo.dispatch.send(command)), await outcome(dynamo.client.send(command as never))]
}

describe('the in-process dispatch to the local DynamoDB', () => {
  it('writes items the SDK client then reads, and reads what the SDK client wrote', async () => {
    await dynamo.dispatch.send(new PutItemCommand({ TableName, Item: item(1) }))
    await dynamo.client.send(new PutItemCommand({ TableName, Item: item(2) }))
    expect((await dynamo.client.send(new GetItemCommand({ TableName, Key: { id: { S: 'todo-1' } } }))).Item).toEqual(item(1))
    expect(await dynamo.dispatch.send(new GetItemCommand({ TableName, Key: { id: { S: 'todo-2' } }, ConsistentRead: true }))).toEqual({ Item: item(2) })
  })

  it('answers queries, scans, pages and filters as the SDK client does', async () => {
    for (let n = 3; n < 12; n++) await dynamo.dispatch.send(new PutItemCommand({ TableName, Item: item(n, n < 8 ? 'ann' : 'bob') }))
    const byOwner = { TableName, IndexName: 'byOwner', KeyConditionExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':owner': { S: 'ann' } } }
    const [query, sdkQuery] = await both(new QueryCommand({ ...byOwner, Limit: 3 }))
    expect(query).toEqual(sdkQuery)
    const firstPage = (query as { answer: { Items: unknown[], LastEvaluatedKey: object } }).answer
    expect(firstPage.Items).toHaveLength(3)
    const [next, sdkNext] = await both(new QueryCommand({ ...byOwner, ExclusiveStartKey: firstPage.LastEvaluatedKey as never }))
    expect(next).toEqual(sdkNext)
    expect((next as { answer: { Items: unknown[] } }).answer.Items).toHaveLength(4)
    const [scan, sdkScan] = await both(new ScanCommand({ TableName, FilterExpression: '#done = :done', ExpressionAttributeNames: { '#done': 'done' }, ExpressionAttributeValues: { ':done': { BOOL: true } } }))
    expect(scan).toEqual(sdkScan)
    expect((scan as { answer: { Items: Array<{ done: unknown }> } }).answer.Items.every(found => (found.done as { BOOL: boolean }).BOOL)).toBe(true)
  })

  it('leaves out members the simulator sets to null, as the SDK does', async () => {
    // The simulator's loader sends `ExclusiveStartKey: null` and `FilterExpression: null` on a first page.
    const answer = await dynamo.dispatch.send(new QueryCommand({
      TableName,
      KeyConditionExpression: 'id = :id',
      FilterExpression: null as never,
      ExclusiveStartKey: null as never,
      ExpressionAttributeValues: { ':id': { S: 'todo-1' } },
    })) as { Items: unknown[] }
    expect(answer.Items).toEqual([item(1)])
  })

  it('updates and deletes with conditions, and raises a failed condition as the SDK does', async () => {
    const update = { TableName, Key: { id: { S: 'todo-1' } }, UpdateExpression: 'SET content = :content', ConditionExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'owner' }, ReturnValues: 'ALL_NEW' as const, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }
    expect(await dynamo.dispatch.send(new UpdateItemCommand({ ...update, ExpressionAttributeValues: { ':content': { S: 'Mine' }, ':owner': { S: 'ann' } } })))
      .toEqual({ Attributes: { ...item(1), content: { S: 'Mine' } } })
    const refused = new UpdateItemCommand({ ...update, ExpressionAttributeValues: { ':content': { S: 'Not yours' }, ':owner': { S: 'bob' } } })
    const [error, sdkError] = await both(refused)
    expect(error).toEqual(sdkError)
    // dynalite does not send the item back on a failed condition; neither way invents one.
    expect(error).toEqual({ error: { name: 'ConditionalCheckFailedException', message: 'The conditional request failed', Item: undefined } })
    const [deleted, sdkDeleted] = await both(new DeleteItemCommand({ TableName, Key: { id: { S: 'todo-2' } }, ReturnValues: 'ALL_OLD', ConditionExpression: 'attribute_exists(id)' }))
    expect(deleted).toEqual({ answer: { Attributes: item(2) } })
    expect(sdkDeleted).toEqual({ error: { name: 'ConditionalCheckFailedException', message: 'The conditional request failed', Item: undefined } })
  })

  it('rejects bad input with the error DynamoDB names, and loses nothing', async () => {
    const [invalid, sdkInvalid] = await both(new PutItemCommand({ TableName, Item: { content: { S: 'no key' } } }))
    expect(invalid).toEqual(sdkInvalid)
    expect((invalid as { error: { name: string } }).error.name).toBe('ValidationException')
    const [missing, sdkMissing] = await both(new GetItemCommand({ TableName: 'No-such-table', Key: { id: { S: 'x' } } }))
    expect(missing).toEqual(sdkMissing)
    expect((missing as { error: { name: string } }).error.name).toBe('ResourceNotFoundException')
    expect((await dynamo.client.send(new GetItemCommand({ TableName, Key: { id: { S: 'todo-1' } } }))).Item?.content).toEqual({ S: 'Mine' })
  })

  it('takes commands from another copy of the SDK, as the simulator\'s may be', async () => {
    // The simulator `require`s the SDK's CommonJS build; a bundler-style loader (the app's e2e tier)
    // gives the sandbox the ESM one: classes of the same name that are not the same classes.
    const Sdk = GetItemCommand as new (input: object) => { input: object }
    const OtherGetItemCommand = class GetItemCommand extends Sdk {}
    expect(OtherGetItemCommand.name).toBe(Sdk.name)
    expect(await dynamo.dispatch.send(new OtherGetItemCommand({ TableName, Key: { id: { S: 'todo-1' } } })))
      .toEqual({ Item: expect.objectContaining({ id: { S: 'todo-1' } }) })
  })

  it('refuses a command the resolvers never send, naming it', async () => {
    await expect(dynamo.dispatch.send(new DescribeTableCommand({ TableName }))).rejects.toThrow('does not take DescribeTableCommand')
  })

  it('refuses requests once the store is closing, rather than reaching a closed store', async () => {
    const other = await startLocalDynamo(join(dir, 'closing'), 'us-east-1')
    const closed = other.close()
    await expect(other.dispatch.send(new GetItemCommand({ TableName, Key: { id: { S: 'todo-1' } } }))).rejects.toThrow('The local DynamoDB is closed')
    await closed
  })
})
