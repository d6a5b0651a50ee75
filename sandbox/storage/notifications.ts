/**
 * S3 event notifications to functions: what `defineStorage({ triggers: { onUpload, onDelete } })`
 * (or CDK's `bucket.addEventNotification`) synthesizes as `Custom::S3BucketNotifications`, read
 * here, and the event S3 sends a function for each object created or removed
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 * S3 delivers these asynchronously; so does the sandbox (the request does not wait for them).
 */
import { randomBytes } from 'node:crypto'
import type { CloudAssembly } from '../assembly'

export type S3EventName = 'ObjectCreated:Put' | 'ObjectCreated:Copy' | 'ObjectCreated:CompleteMultipartUpload' | 'ObjectRemoved:Delete'

export interface NotificationTarget {
  id: string
  /** `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`… */
  events: string[]
  functionArn: string
  prefix?: string
  suffix?: string
}

interface LambdaConfiguration {
  Id?: unknown
  Events?: unknown
  LambdaFunctionArn?: unknown
  Filter?: { Key?: { FilterRules?: Array<{ Name?: unknown, Value?: unknown }> } }
}

/** The function targets of each bucket (by name), from the assembly; queues and topics are not read. */
export function notificationTargets(assembly: CloudAssembly): Map<string, NotificationTarget[]> {
  const targets = new Map<string, NotificationTarget[]>()
  for (const found of assembly.resourcesOfType('Custom::S3BucketNotifications')) {
    let bucket: unknown
    let configuration: { LambdaFunctionConfigurations?: LambdaConfiguration[] } | undefined
    try {
      bucket = assembly.property(found.stack, found.logicalId, 'BucketName')
      configuration = assembly.property(found.stack, found.logicalId, 'NotificationConfiguration') as typeof configuration
    }
    catch {
      continue
    }
    if (typeof bucket !== 'string') continue
    for (const [index, lambda] of (configuration?.LambdaFunctionConfigurations ?? []).entries()) {
      if (typeof lambda.LambdaFunctionArn !== 'string' || !Array.isArray(lambda.Events)) continue
      const rule = (name: string) => lambda.Filter?.Key?.FilterRules?.find(filter => String(filter.Name).toLowerCase() === name)?.Value
      const prefix = rule('prefix')
      const suffix = rule('suffix')
      const list = targets.get(bucket) ?? []
      list.push({
        id: typeof lambda.Id === 'string' ? lambda.Id : `${found.logicalId}-${index}`,
        events: lambda.Events.map(String),
        functionArn: lambda.LambdaFunctionArn,
        ...(typeof prefix === 'string' ? { prefix } : {}),
        ...(typeof suffix === 'string' ? { suffix } : {}),
      })
      targets.set(bucket, list)
    }
  }
  return targets
}

/** Whether a target asked for this event on this key (`s3:ObjectCreated:*` covers every creation). */
export function wants(target: NotificationTarget, event: S3EventName, key: string): boolean {
  const [kind] = event.split(':')
  const named = target.events.some(pattern => pattern === `s3:${event}` || pattern === `s3:${kind}:*`)
  return named && key.startsWith(target.prefix ?? '') && key.endsWith(target.suffix ?? '')
}

let sequence = 0

/** The event a function receives: one record, shaped as S3's. */
export function s3Event(input: {
  event: S3EventName
  region: string
  bucket: string
  key: string
  size?: number
  etag?: string
  principalId: string
  configurationId: string
  sourceIp?: string
}): Record<string, unknown> {
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: input.region,
      eventTime: new Date().toISOString(),
      eventName: input.event,
      userIdentity: { principalId: input.principalId },
      requestParameters: { sourceIPAddress: input.sourceIp ?? '127.0.0.1' },
      responseElements: { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(36).toString('base64') },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: input.configurationId,
        bucket: { name: input.bucket, ownerIdentity: { principalId: 'SANDBOX' }, arn: `arn:aws:s3:::${input.bucket}` },
        // S3 sends keys URL-encoded, spaces as '+'.
        object: {
          key: encodeURIComponent(input.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
          ...(input.size !== undefined ? { size: input.size } : {}),
          ...(input.etag ? { eTag: input.etag.replace(/"/g, '') } : {}),
          sequencer: (Date.now() * 1000 + (sequence++ % 1000)).toString(16).toUpperCase().padStart(16, '0'),
        },
      },
    }],
  }
}
