/**
 * The local S3: every bucket of the definition, served on one port that speaks TLS (what
 * aws-amplify's Storage client always uses for a custom endpoint) and plain HTTP, with objects kept
 * under `<dataDir>/storage/`. Every request is SigV4-verified by the sandbox's IAM and authorized by
 * the caller's role policies with the bucket's policy; `BucketDeployment`s fill buckets as a deploy would.
 */
import type { FileHandle } from 'node:fs/promises'
import { relative } from 'node:path'
import type { Readable } from 'node:stream'
import type { CloudAssembly } from '../assembly'
import type { Iam } from '../iam'
import type { FunctionInvoker } from '../core/types'
import { PayloadTooLargeError } from '../core/http'
import { serveDualProtocol } from '../core/listener'
import type { BoundPort } from '../core/port'
import type { RequestLog } from '../core/requests'
import { createStorageHandler } from './http'
import { listPage, MAX_KEYS } from './listing'
import { etagOf, keyLength, MAX_KEY_BYTES, MAX_PUT_BYTES } from './objects'
import type { ServedBucket, StorageService } from './request'
import { runDeployments } from './seed'
import { notificationTargets, s3Event, wants, type NotificationTarget } from './notifications'
import { storageSettings, type BucketSettings, type StorageSettings } from './settings'
import { ObjectStore, receiveBody, type StoredObject } from './store'

export type { BucketSettings } from './settings'

export interface StartStorageOptions {
  assembly: CloudAssembly
  /** Where objects live (`<dataDir>/storage`); created if missing. */
  dir: string
  /** Its port, bound by the orchestrator. */
  port: BoundPort
  /** The sandbox's certificate, for the TLS side of the port. */
  tls: { key: string, cert: string }
  iam: Iam
  /** Where each request's caller, operation and outcome are recorded. */
  requests?: RequestLog
  /** Progress and problems, one line each. */
  log?: (line: string) => void
}

export interface LocalStorage {
  /** `127.0.0.1:<port>`: a host and port, no scheme, as aws-amplify's `customEndpoint` takes it (and makes it `https://`). */
  readonly endpoint: string
  /** The buckets served now, by their local names. */
  readonly buckets: readonly BucketSettings[]
  /** Serves a new backend definition: new buckets, rules and policies; objects stay (a bucket removed is kept on disk, unserved). */
  reload(assembly: CloudAssembly): Promise<void>
  /** Who runs the storage triggers (S3 event notifications to functions). */
  setFunctionInvoker(invoke: FunctionInvoker): void
  // The console's way in (the developer, acting as the sandbox's admin): the same objects S3 serves,
  // without a signed request. Writes have a PutObject's or DeleteObject's effects, the bucket's
  // triggers included. Each throws NoSuchBucketError for a bucket not served.
  /** One page of a folder: the keys right under `prefix` and the folders (common prefixes, delimiter `/`) below it, as ListObjectsV2 pages them. */
  listFolder(bucket: string, prefix: string, continuationToken?: string): FolderPage
  /** An object and its bytes (close the handle); undefined when there is no such key. */
  openObject(bucket: string, key: string): Promise<{ object: StoredObject, handle: FileHandle } | undefined>
  /** Writes `body` as `key`, as PutObject does; rejects with PayloadTooLargeError past `limit` bytes (S3's 5 GB by default). */
  putObject(bucket: string, key: string, body: Readable, options: { contentType: string, limit?: number }): Promise<StoredObject>
  /** Deletes `key`, as DeleteObject does; false when there was none. */
  deleteObject(bucket: string, key: string): Promise<boolean>
  close(): Promise<void>
}

export interface FolderPage {
  folders: string[]
  objects: StoredObject[]
  /** For the next page, when there is one; a token this did not make throws BadContinuationToken. */
  nextContinuationToken?: string
}

export class NoSuchBucketError extends Error {
  override name = 'NoSuchBucketError'
  constructor(readonly bucket: string) {
    super(`No bucket ${bucket} is served`)
  }
}

export async function startStorage(opts: StartStorageOptions): Promise<LocalStorage> {
  const log = opts.log ?? (() => {})
  const store = await ObjectStore.open(opts.dir)
  let settings: StorageSettings
  let notifications = new Map<string, NotificationTarget[]>()
  let served = new Map<string, ServedBucket>()

  const apply = async (assembly: CloudAssembly, reloading: boolean) => {
    const next = storageSettings(assembly)
    const names = next.buckets.map(bucket => bucket.name)
    // Counted before the switch: a removed bucket's store goes with it.
    const before = new Map(reloading ? [...served].map(([name, bucket]) => [name, bucket.store.size]) : [])
    await store.serve(names)
    settings = next
    notifications = notificationTargets(assembly)
    served = new Map(next.buckets.map(bucket => [bucket.name, { settings: bucket, store: store.bucket(bucket.name)! }]))
    for (const problem of next.problems) log(problem)
    const nearby = relative(process.cwd(), opts.dir)
    const folder = nearby && !nearby.startsWith('..') ? nearby : opts.dir
    const removed = reloading
      ? [...before].filter(([name]) => !served.has(name)).map(([name, objects]) => ({ name, objects }))
      : await store.unservedOnDisk()
    if (removed.length) {
      const list = removed.map(({ name, objects }) => `${name} (${objects} object${objects === 1 ? '' : 's'})`).join(', ')
      log(`Storage: ${list} ${removed.length === 1 ? 'is' : 'are'} no longer in amplify/: kept in ${folder}/buckets/, not served.`)
    }
    for (const line of await runDeployments(next.deployments, store)) log(line)
  }
  await apply(opts.assembly, false)

  let invoke: FunctionInvoker | undefined
  const service: StorageService = {
    store,
    iam: opts.iam,
    get region() {
      return settings.region
    },
    bucket: name => served.get(name),
    buckets: () => [...served.values()],
    notify(event, bucket, key, principal, object) {
      for (const target of notifications.get(bucket.settings.name) ?? []) {
        if (!wants(target, event, key)) continue
        const payload = s3Event({
          event,
          region: settings.region,
          bucket: bucket.settings.name,
          key,
          ...(object ? { size: object.size, etag: object.etag } : {}),
          principalId: `AWS:${principal.role.roleId ?? principal.role.name}:${principal.userArn.slice(principal.userArn.lastIndexOf('/') + 1)}`,
          configurationId: target.id,
        })
        // Asynchronous, as S3 delivers it: the request has been answered already.
        void (invoke?.(target.functionArn, payload) ?? Promise.resolve(undefined)).then((result) => {
          if (result && !result.ok) log(`Storage: the ${event} notification of ${bucket.settings.friendlyName}/${key} failed in its function: ${result.error.errorType}: ${result.error.errorMessage}`)
        }, () => {})
      }
    },
  }
  const server = serveDualProtocol(opts.port, {
    tls: opts.tls,
    onRequest: createStorageHandler({ service, requests: opts.requests, onInternalError: error => log(`Storage: internal error: ${(error as Error).stack ?? String(error)}`) }),
  })

  const servedBucket = (name: string): ServedBucket => {
    const bucket = served.get(name)
    if (!bucket) throw new NoSuchBucketError(name)
    return bucket
  }
  const adminPrincipal = () => opts.iam.adminPrincipal

  let reloading = Promise.resolve()
  let closing: Promise<void> | undefined
  return {
    endpoint: `${opts.port.host}:${opts.port.port}`,
    get buckets() {
      return settings.buckets
    },
    setFunctionInvoker(next) {
      invoke = next
    },
    listFolder(bucket, prefix, continuationToken) {
      const { store: objects } = servedBucket(bucket)
      const page = listPage(objects.keys(), { prefix, delimiter: '/', maxKeys: MAX_KEYS, continuationToken })
      return {
        folders: page.commonPrefixes,
        objects: page.keys.map(key => objects.get(key)!),
        ...(page.nextContinuationToken ? { nextContinuationToken: page.nextContinuationToken } : {}),
      }
    },
    async openObject(bucket, key) {
      return servedBucket(bucket).store.open(key)
    },
    async putObject(bucket, key, body, { contentType, limit = MAX_PUT_BYTES }) {
      const target = servedBucket(bucket)
      if (!key || keyLength(key) > MAX_KEY_BYTES) throw new RangeError(`A key is 1 to ${MAX_KEY_BYTES} bytes long`)
      const temp = await store.tempFile()
      try {
        const received = await receiveBody(body, [], temp, { limit, onTooLarge: () => new PayloadTooLargeError(limit) })
        const stored = await target.store.commit(key, temp.path, { contentType, headers: {}, metadata: {}, size: received.size, etag: etagOf(received.md5), lastModified: new Date().toISOString() })
        service.notify('ObjectCreated:Put', target, key, adminPrincipal(), stored)
        return stored
      }
      catch (error) {
        await store.discard(temp)
        throw error
      }
    },
    async deleteObject(bucket, key) {
      const target = servedBucket(bucket)
      const existed = await target.store.delete(key)
      if (existed) service.notify('ObjectRemoved:Delete', target, key, adminPrincipal())
      return existed
    },
    reload(assembly) {
      const next = reloading.then(async () => {
        if (closing) throw new Error('The storage service is closed')
        await apply(assembly, true)
      })
      reloading = next.catch(() => {})
      return next
    },
    close() {
      closing ??= (async () => {
        await reloading
        await server.close()
      })()
      return closing
    },
  }
}
