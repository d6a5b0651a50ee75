/**
 * The local S3: every bucket of the definition, served on one port that speaks TLS (what
 * aws-amplify's Storage client always uses for a custom endpoint) and plain HTTP, with objects kept
 * under `<dataDir>/storage/`. Every request is SigV4-verified by the sandbox's IAM and authorized by
 * the caller's role policies with the bucket's policy; `BucketDeployment`s fill buckets as a deploy would.
 */
import { relative } from 'node:path'
import type { CloudAssembly } from '../assembly'
import type { Iam } from '../iam'
import type { FunctionInvoker } from '../core/types'
import { serveDualProtocol } from '../core/listener'
import type { BoundPort } from '../core/port'
import { createStorageHandler } from './http'
import type { ServedBucket, StorageService } from './request'
import { runDeployments } from './seed'
import { notificationTargets, s3Event, wants, type NotificationTarget } from './notifications'
import { storageSettings, type BucketSettings, type StorageSettings } from './settings'
import { ObjectStore } from './store'

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
  close(): Promise<void>
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
    onRequest: createStorageHandler({ service, onInternalError: error => log(`Storage: internal error: ${(error as Error).stack ?? String(error)}`) }),
  })

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
