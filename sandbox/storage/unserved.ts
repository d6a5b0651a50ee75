/**
 * What of a bucket the local S3 does not do (../core/unserved.ts gathers every service's lines):
 * event notifications other than storage triggers (functions) set through CDK.
 */
import type { AssemblyReader } from '../core/unserved'

/** The resource types Storage serves or judges below. */
export const STORAGE_RESOURCE_TYPES = ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'Custom::S3AutoDeleteObjects', 'Custom::CDKBucketDeployment', 'Custom::S3BucketNotifications']

/** What a storage trigger is called in `defineStorage({ triggers })`, by the S3 events it listens to. */
const STORAGE_TRIGGERS: Record<string, { name: string, effect: string }> = {
  's3:ObjectCreated:*': { name: 'onUpload', effect: 'uploads complete without it' },
  's3:ObjectRemoved:*': { name: 'onDelete', effect: 'deletions complete without it' },
}

export function storageUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  // Buckets are served; notifications set on one directly (not through CDK's custom resource) are not.
  for (const bucket of assembly.resourcesOfType('AWS::S3::Bucket')) {
    if (!reader.inDataApi(bucket.stack)) lines.push(...notificationLines(reader, reader.friendlyName(bucket), reader.value(bucket, 'NotificationConfiguration')))
  }
  for (const found of assembly.resourcesOfType('Custom::S3BucketNotifications')) {
    const bucket = assembly.resourcesOfType('AWS::S3::Bucket').find(b => reader.ref(b) === reader.value(found, 'BucketName'))
    // Its function notifications (storage triggers) are sent offline (./notifications.ts).
    lines.push(...notificationLines(reader, bucket ? reader.friendlyName(bucket) : String(reader.value(found, 'BucketName')), reader.value(found, 'NotificationConfiguration'), true))
  }
  return lines
}

/** One line per event notification of a bucket that is not sent offline (function ones are, unless set on the bucket directly). */
function notificationLines(reader: AssemblyReader, bucket: string, configuration: unknown, functionsServed = false): string[] {
  const config = (configuration ?? {}) as Record<string, unknown>
  const lines: string[] = []
  for (const lambda of (functionsServed ? [] : config.LambdaFunctionConfigurations ?? config.LambdaConfigurations ?? []) as Array<{ Events?: unknown, Event?: unknown, LambdaFunctionArn?: unknown, Function?: unknown }>) {
    const events = (Array.isArray(lambda.Events) ? lambda.Events : [lambda.Event]).map(String)
    const fn = reader.functionOf(lambda.LambdaFunctionArn ?? lambda.Function, ' (function ', ')')
    for (const event of events) {
      const trigger = STORAGE_TRIGGERS[event]
      lines.push(trigger
        ? `Storage: the ${trigger.name} trigger of bucket ${bucket}${fn} is not run offline: ${trigger.effect}.`
        : `Storage: the ${event} notification of bucket ${bucket}${fn} is not sent offline.`)
    }
  }
  for (const [key, kind] of [['QueueConfigurations', 'SQS'], ['TopicConfigurations', 'SNS']] as const) {
    if (Array.isArray(config[key]) && config[key].length) lines.push(`Storage: the ${kind} notifications of bucket ${bucket} are not sent offline.`)
  }
  if (config.EventBridgeConfiguration) lines.push(`Storage: the EventBridge notifications of bucket ${bucket} are not sent offline.`)
  return lines
}
