/** Storage (S3) as a service of the sandbox, on a port of its own (TLS, as aws-amplify's Storage client always speaks to a custom endpoint). */
import type { RunningService, Service } from '../core/service'
import { startStorage, type LocalStorage } from './index'
import { STORAGE_RESOURCE_TYPES, storageUnserved } from './unserved'

export interface RunningStorage extends RunningService {
  readonly storage: LocalStorage
}

export const storageService: Service<'storage', RunningStorage> = {
  name: 'storage',
  port: { name: 'storage', default: 20003, serves: 'Storage (S3)' },
  folder: 'storage',
  resourceTypes: STORAGE_RESOURCE_TYPES,
  unserved: storageUnserved,
  async start(context) {
    const storage = await startStorage({ assembly: context.assembly, dir: context.dir, port: context.port!, tls: context.tls, iam: context.iam, requests: context.requests, log: context.log })
    storage.setFunctionInvoker(context.invoke)
    const buckets = () => {
      const names = storage.buckets.map(bucket => `${bucket.friendlyName} = ${bucket.name}`)
      return names.length ? `bucket${names.length > 1 ? 's' : ''} ${names.join(', ')}` : 'no buckets in amplify/'
    }
    return {
      storage,
      outputs: () => ({ storageEndpoint: storage.endpoint }),
      summary: () => [`  Storage    https://${storage.endpoint}  (customEndpoint '${storage.endpoint}'; ${buckets()})`],
      reload: assembly => storage.reload(assembly),
      close: () => storage.close(),
    }
  },
}
