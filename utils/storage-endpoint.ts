/**
 * The offline sandbox's Storage endpoint, apart from `amplify-config.ts` on purpose: the browser
 * plugin needs it on every page, and importing it from there would put Amplify's config parser in
 * the entry bundle. No runtime import of aws-amplify here.
 */
import type { AmplifyOutputs } from './amplify-config'

/**
 * Where the offline sandbox serves Storage (`127.0.0.1:<port>`), or `undefined` for a cloud file.
 * amplify_outputs.json has no field for an S3 endpoint, and aws-amplify's only working way to name
 * one is each call's `customEndpoint` (a host, always reached over https): `$Amplify.Storage` adds it.
 */
export function storageEndpointFromOutputs(outputs: AmplifyOutputs): string | undefined {
  const local = (outputs as { custom?: { offlineSandbox?: { storageEndpoint?: unknown } } }).custom?.offlineSandbox
  if (!local || !(outputs as { storage?: unknown }).storage) return undefined
  if (typeof local.storageEndpoint !== 'string' || !/^[\w.-]+:\d{1,5}$/.test(local.storageEndpoint)) {
    throw new Error('amplify_outputs.json names an offline sandbox with storage but no valid custom.offlineSandbox.storageEndpoint: restart `npm run sandbox`')
  }
  return local.storageEndpoint
}

/** A Storage call's input pointed at `endpoint` (see `storageEndpointFromOutputs`); unchanged without one. */
export function withStorageEndpoint<Input>(input: Input, endpoint: string | undefined): Input {
  if (!endpoint) return input
  const { options } = input as { options?: object }
  return { ...input, options: { ...options, customEndpoint: endpoint } }
}
