/**
 * Starts users of the real aws-amplify library: each `createAmplifyClient()` is one user in its own
 * worker thread (aws-amplify is a per-process singleton), driven by a typed RPC.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

export interface TestTokens {
  accessToken: string
  idToken?: string
}

export type SubscriptionOperation = 'onCreate' | 'onUpdate' | 'onDelete'

/** Per-call options the data client takes: which auth mode, and a token to send instead of the session's. */
export interface CallOptions {
  authMode?: 'userPool' | 'apiKey' | 'iam' | 'identityPool' | 'oidc' | 'lambda'
  authToken?: string
}

/** What the data client returns: `data` (items for `list`), `errors`, `nextToken`. */
export interface DataResult<T = Record<string, unknown>> {
  data: T | null
  errors?: Array<{ message: string, errorType?: string, [key: string]: unknown }>
  nextToken?: string | null
}

export type WorkerRequest = { id: number, method: string, args: unknown[] }
export type WorkerMessage
  = | { kind: 'result', id: number, result?: unknown, error?: { name: string, message: string } }
    | { kind: 'event', subscription: string, event?: unknown, error?: string }

/** A subscription's deliveries: data items, or an error (as the observer's `error` got it). */
export type SubscriptionDelivery = { item: Record<string, unknown> } | { error: string }

/**
 * A Storage path as the test writes it: `{identityId}` in it makes the worker pass the client a
 * function of the caller's identity (`({ identityId }) => …`), as apps write per-user paths.
 */
export type StoragePath = string

/** What to upload: text, bytes (as a Blob, the browser's way, or raw), or `size` bytes of `fill`, made in the worker. */
export type StorageData = string | { bytes: Uint8Array, blob?: boolean } | { size: number, fill: number }

/** Per-call Storage options (`customEndpoint`, `bucket`, `onProgress` is the worker's own...). */
export type StorageOptions = Record<string, unknown>

/** A Storage upload in the worker: its progress events, and the task's controls. */
export interface UploadHandle {
  /** Every `onProgress` event so far. */
  progress(): Array<{ transferredBytes: number, totalBytes?: number }>
  /** Resolves with the first progress event (past or future) that matches. */
  waitForProgress(predicate: (event: { transferredBytes: number, totalBytes?: number }) => boolean, timeoutMs?: number): Promise<{ transferredBytes: number, totalBytes?: number }>
  /** The task's result; rejects with the error's name (`CanceledError` for a cancel). */
  result(): Promise<Record<string, unknown>>
  state(): Promise<string>
  pause(): Promise<void>
  resume(): Promise<void>
  cancel(): Promise<void>
}

/** aws-amplify/storage, called in the worker with paths (each call's options as given: pass `customEndpoint`). */
export interface StorageApi {
  uploadData(input: { path: StoragePath, data: StorageData, options?: StorageOptions }): Promise<UploadHandle>
  /** The body comes back base64-encoded. */
  downloadData(input: { path: StoragePath, options?: StorageOptions }): Promise<Record<string, unknown> & { body: string, size?: number }>
  getUrl(input: { path: StoragePath, options?: StorageOptions }): Promise<{ url: string, expiresAt: string }>
  getProperties(input: { path: StoragePath, options?: StorageOptions }): Promise<Record<string, unknown>>
  list(input: { path: StoragePath, options?: StorageOptions }): Promise<{ items: Array<{ path: string, size?: number, eTag?: string, lastModified?: string }>, nextToken?: string, excludedSubpaths?: string[] }>
  remove(input: { path: StoragePath, options?: StorageOptions }): Promise<{ path: string }>
  copy(input: { source: { path: StoragePath }, destination: { path: StoragePath }, options?: StorageOptions }): Promise<{ path: string }>
}

/** The REST client's methods (`aws-amplify/api`). */
export type RestMethod = 'get' | 'post' | 'put' | 'del' | 'head' | 'patch'

/** A REST response as the client gave it: the body (none for HEAD) as text and as base64, for binary answers. */
export interface RestResponse {
  statusCode: number
  headers: Record<string, string>
  body?: { text: string, base64: string }
}

/** What a REST call came to: its response, or the error the client threw (for a status of 300 or more, with the response). */
export type RestOutcome
  = | { ok: true, response: RestResponse }
    | { ok: false, error: { name: string, message: string, response?: { statusCode: number, headers: Record<string, string>, body?: string } } }

export interface AmplifyTestClient {
  /** `Amplify.configure(config)`; with `tokens`, a custom token provider hands out those tokens. */
  configure(config: Record<string, unknown>, options?: { tokens?: TestTokens }): Promise<void>
  /** Replaces the tokens the custom token provider hands out. */
  setTokens(tokens: TestTokens): Promise<void>
  signUp(input: Record<string, unknown>): Promise<Record<string, unknown>>
  confirmSignUp(input: Record<string, unknown>): Promise<Record<string, unknown>>
  signIn(input: Record<string, unknown>): Promise<Record<string, unknown>>
  signOut(input?: Record<string, unknown>): Promise<void>
  fetchAuthSession(options?: Record<string, unknown>): Promise<{
    userSub?: string
    tokens?: { accessToken: string, idToken?: string }
    identityId?: string
    credentials?: { accessKeyId: string, secretAccessKey: string, sessionToken?: string, expiration?: string }
  }>
  getCurrentUser(): Promise<{ username: string, userId: string, signInDetails?: Record<string, unknown> }>
  create(model: string, input: Record<string, unknown>, options?: CallOptions): Promise<DataResult>
  get(model: string, key: Record<string, unknown>, options?: CallOptions): Promise<DataResult>
  list(model: string, options?: CallOptions & { filter?: Record<string, unknown>, limit?: number, nextToken?: string | null }): Promise<DataResult<Array<Record<string, unknown>>>>
  update(model: string, input: Record<string, unknown>, options?: CallOptions): Promise<DataResult>
  delete(model: string, key: Record<string, unknown>, options?: CallOptions): Promise<DataResult>
  /** A custom operation: `client.queries.<name>(args, options)` or `client.mutations.<name>(...)`. */
  custom(kind: 'queries' | 'mutations', name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<DataResult<unknown>>
  /** Subscribes and resolves once AppSync acknowledged it (no later event can be missed); rejects when it is refused. */
  subscribe(model: string, operation: SubscriptionOperation, options?: CallOptions & { filter?: Record<string, unknown> }): Promise<string>
  /** Everything delivered so far to a subscription. */
  events(subscription: string): SubscriptionDelivery[]
  /** Resolves with the first delivery (past or future) that matches; rejects after `timeoutMs`. */
  waitForEvent(subscription: string, predicate: (delivery: SubscriptionDelivery) => boolean, timeoutMs?: number): Promise<SubscriptionDelivery>
  unsubscribe(subscription: string): Promise<void>
  storage: StorageApi
  /** A call of aws-amplify/api's REST client: `get({ apiName, path, options })` and so on; it never rejects for an HTTP error. */
  rest(method: RestMethod, input: { apiName: string, path: string, options?: Record<string, unknown> }): Promise<RestOutcome>
  /** Terminates the worker (and with it every socket the library opened). */
  close(): Promise<void>
}

const require = createRequire(import.meta.url)

/**
 * The worker is TypeScript. `execArgv: ['--import', 'tsx']` does not reach a worker's entry module
 * on Node 20, so a tiny ESM entry registers tsx's loader in the worker, then imports the file.
 */
function workerEntry(): URL {
  // tsx's package exports map `tsx/esm/api` to this pair; `require.resolve` yields the CommonJS one.
  const tsxEsmApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const worker = new URL('./amplify-user.worker.ts', import.meta.url).href
  const source = `import { register } from ${JSON.stringify(tsxEsmApi)}; register(); await import(${JSON.stringify(worker)});`
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`)
}

export async function createAmplifyClient(options: { config?: Record<string, unknown>, certificate?: string, tokens?: TestTokens } = {}): Promise<AmplifyTestClient> {
  const worker = new Worker(workerEntry(), { workerData: { certificate: options.certificate } })
  const pending = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  const deliveries = new Map<string, SubscriptionDelivery[]>()
  const waiters = new Set<{ subscription: string, test: (d: SubscriptionDelivery) => boolean, resolve: (d: SubscriptionDelivery) => void }>()
  let nextId = 0
  let exited: Error | undefined

  worker.on('message', (message: WorkerMessage) => {
    if (message.kind === 'result') {
      const call = pending.get(message.id)
      pending.delete(message.id)
      if (!call) return
      if (message.error) call.reject(Object.assign(new Error(message.error.message), { name: message.error.name }))
      else call.resolve(message.result)
      return
    }
    const delivery: SubscriptionDelivery = message.error !== undefined ? { error: message.error } : { item: message.event as Record<string, unknown> }
    const list = deliveries.get(message.subscription) ?? []
    list.push(delivery)
    deliveries.set(message.subscription, list)
    for (const waiter of waiters) {
      if (waiter.subscription === message.subscription && waiter.test(delivery)) {
        waiters.delete(waiter)
        waiter.resolve(delivery)
      }
    }
  })
  const fail = (error: Error) => {
    exited = error
    for (const call of pending.values()) call.reject(error)
    pending.clear()
  }
  worker.on('error', fail)
  worker.on('exit', code => fail(new Error(`The amplify worker exited (code ${code})`)))

  const call = <T>(method: string, ...args: unknown[]): Promise<T> => {
    if (exited) return Promise.reject(exited)
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ id, method, args } satisfies WorkerRequest)
    })
  }

  const client: AmplifyTestClient = {
    configure: (config, configureOptions) => call('configure', config, configureOptions),
    setTokens: tokens => call('setTokens', tokens),
    signUp: input => call('signUp', input),
    confirmSignUp: input => call('confirmSignUp', input),
    signIn: input => call('signIn', input),
    signOut: input => call('signOut', input),
    fetchAuthSession: fetchOptions => call('fetchAuthSession', fetchOptions),
    getCurrentUser: () => call('getCurrentUser'),
    create: (model, input, callOptions) => call('create', model, input, callOptions),
    get: (model, key, callOptions) => call('get', model, key, callOptions),
    list: (model, listOptions) => call('list', model, listOptions),
    update: (model, input, callOptions) => call('update', model, input, callOptions),
    delete: (model, key, callOptions) => call('delete', model, key, callOptions),
    custom: (kind, name, args, callOptions) => call('custom', kind, name, args, callOptions),
    subscribe: (model, operation, subscribeOptions) => call('subscribe', model, operation, subscribeOptions),
    events: subscription => [...(deliveries.get(subscription) ?? [])],
    waitForEvent(subscription, predicate, timeoutMs = 5_000) {
      const seen = (deliveries.get(subscription) ?? []).find(predicate)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const waiter = {
          subscription,
          test: predicate,
          resolve: (delivery: SubscriptionDelivery) => {
            clearTimeout(timer)
            resolve(delivery)
          },
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`No matching event on ${subscription} within ${timeoutMs} ms (got ${JSON.stringify(deliveries.get(subscription) ?? [])})`))
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    unsubscribe: subscription => call('unsubscribe', subscription),
    storage: {
      async uploadData(input) {
        const id = await call<string>('startUpload', input)
        type Progress = { transferredBytes: number, totalBytes?: number }
        const progressOf = () => (deliveries.get(id) ?? []).flatMap(d => ('item' in d ? [d.item as unknown as Progress] : []))
        return {
          progress: progressOf,
          waitForProgress: (predicate, timeoutMs = 10_000) =>
            client.waitForEvent(id, d => 'item' in d && predicate(d.item as unknown as Progress), timeoutMs).then(d => (d as { item: unknown }).item as Progress),
          result: () => call('uploadResult', id),
          state: () => call('uploadState', id),
          pause: () => call('pauseUpload', id),
          resume: () => call('resumeUpload', id),
          cancel: () => call('cancelUpload', id),
        }
      },
      downloadData: input => call('storageDownload', input),
      getUrl: input => call('storageGetUrl', input),
      getProperties: input => call('storageGetProperties', input),
      list: input => call('storageList', input),
      remove: input => call('storageRemove', input),
      copy: input => call('storageCopy', input),
    },
    rest: (method, input) => call('rest', method, input),
    async close() {
      if (!exited) await worker.terminate()
    },
  }
  if (options.config) await client.configure(options.config, options.tokens ? { tokens: options.tokens } : undefined)
  return client
}
