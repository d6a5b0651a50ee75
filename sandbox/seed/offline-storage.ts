/**
 * `aws-amplify/storage` as the seed script sees it under `npm run sandbox:seed`: the app's own
 * package, each call pointed at the sandbox's Storage (`customEndpoint`, its only way to name an S3
 * endpoint), as the app's `$Amplify.Storage` points it (utils/storage-endpoint.ts).
 */
import { readFileSync } from 'node:fs'
import * as storage from 'aws-amplify/storage'

export * from 'aws-amplify/storage'

const outputs = JSON.parse(readFileSync(process.env.SANDBOX_SEED_OUTPUTS!, 'utf8')) as { custom?: { offlineSandbox?: { storageEndpoint?: string } } }
const endpoint = outputs.custom?.offlineSandbox?.storageEndpoint

function local<Input>(input: Input): Input {
  if (!endpoint) return input
  const { options } = input as { options?: object }
  return { ...input, options: { ...options, customEndpoint: endpoint } }
}

/** `call`, with each input pointed at the sandbox: the same function (overloads and all) to its callers. */
function pointed<Call extends (...args: never[]) => unknown>(call: Call): Call {
  return ((input: object) => (call as unknown as (input: object) => unknown)(local(input))) as unknown as Call
}

export const uploadData = pointed(storage.uploadData)
export const downloadData = pointed(storage.downloadData)
export const getUrl = pointed(storage.getUrl)
export const getProperties = pointed(storage.getProperties)
export const remove = pointed(storage.remove)
export const copy = pointed(storage.copy)
export const list = pointed(storage.list)
