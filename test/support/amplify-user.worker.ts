/**
 * One "user" of the real aws-amplify library, in its own worker thread: aws-amplify is a
 * per-process singleton, so two signed-in users with live subscriptions need two module graphs.
 * Driven by test/support/amplify-users.ts over a small request/response protocol.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Amplify } from 'aws-amplify'
import * as restApi from 'aws-amplify/api'
import { confirmSignUp, fetchAuthSession, getCurrentUser, signIn, signOut, signUp } from 'aws-amplify/auth'
import { generateClient } from 'aws-amplify/data'
import { copy, downloadData, getProperties, getUrl, isCancelError, list, remove, uploadData } from 'aws-amplify/storage'
import { Hub } from 'aws-amplify/utils'
import { decodeJwt } from 'jose'
import { setGlobalDispatcher } from 'undici'
import { WebSocket as NodeWebSocket, type ClientOptions } from 'ws'
import type { RestMethod, RestOutcome, StorageData, StoragePath, WorkerMessage, WorkerRequest, TestTokens } from './amplify-users'
import { dispatcherTrusting } from './sandbox-certificate'

const { certificate } = workerData as { certificate?: string }

// Storage always speaks https to a custom endpoint: this thread's fetch trusts the sandbox's certificate.
if (certificate) setGlobalDispatcher(dispatcherTrusting(certificate))

/**
 * aws-amplify/storage's client build reads Blobs with the browser's FileReader (a multipart upload
 * hashes its options with it); Node has none. This one does what the library asks of it.
 */
class BlobReader {
  result: ArrayBuffer | null = null
  error: Error | null = null
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  readAsArrayBuffer(blob: Blob): void {
    blob.arrayBuffer().then((buffer) => {
      this.result = buffer
      this.onload?.()
    }, (error: Error) => {
      this.error = error
      this.onerror?.()
    })
  }
}
;(globalThis as { FileReader?: unknown }).FileReader ??= BlobReader

/**
 * Node 20 has no global WebSocket. This one trusts the sandbox's self-signed certificate (and
 * nothing else extra) so `wss://` works without turning verification off.
 */
class TrustingWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[], options?: ClientOptions) {
    super(url, protocols, { ...options, ...(certificate ? { ca: certificate } : {}) })
  }
}
;(globalThis as { WebSocket?: unknown }).WebSocket = TrustingWebSocket

type ModelApi = Record<string, (...args: unknown[]) => unknown>
type DataClient = { models: Record<string, ModelApi>, queries: Record<string, ModelApi[string]>, mutations: Record<string, ModelApi[string]> }

let client: DataClient | undefined
let tokens: TestTokens | undefined
const subscriptions = new Map<string, { unsubscribe: () => void }>()
let nextSubscription = 0
type UploadTask = { result: Promise<unknown>, state: string, pause(): void, resume(): void, cancel(): void }
const uploads = new Map<string, { task: UploadTask, result: Promise<unknown> }>()
let nextUpload = 0

/** A path as the test wrote it: `{identityId}` makes it the client's own function of the identity. */
function storagePath(path: StoragePath): string | ((input: { identityId?: string }) => string) {
  return path.includes('{identityId}') ? ({ identityId }) => path.replaceAll('{identityId}', identityId ?? '') : path
}

/** Bytes as the test gave them: a Blob (what browsers upload, sent UNSIGNED-PAYLOAD), raw bytes, or text (both hashed into the signature). */
function storageData(data: StorageData): Blob | Uint8Array | string {
  if (typeof data === 'string') return data
  if ('fill' in data) return new Blob([new Uint8Array(data.size).fill(data.fill)])
  return data.blob ? new Blob([data.bytes as Uint8Array<ArrayBuffer>]) : data.bytes
}

/** A Storage call's input with its path made the client's and the rest passed as is. */
function storageInput<T extends { path?: StoragePath }>(input: T): Omit<T, 'path'> & { path: string | ((input: { identityId?: string }) => string) } {
  return { ...input, path: storagePath(input.path ?? '') }
}

// The inputs below are cast: they carry options the types do not have (`customEndpoint`, untyped in aws-amplify).

/** What crosses back of a Storage error: its name (S3's code, or the status for a HEAD) and message. */
function storageError(error: unknown): Error {
  if (isCancelError(error)) return Object.assign(new Error('cancelled'), { name: 'CanceledError' })
  return error as Error
}

const post = (message: WorkerMessage) => parentPort!.postMessage(message)

/** Results cross the thread boundary as JSON: class instances and functions do not survive cloning. */
const plain = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T))

/** The library's JWT shape: decoded claims plus the raw token. */
const jwt = (token: string) => ({ payload: decodeJwt(token) as Record<string, never>, toString: () => token })

function models(): Record<string, ModelApi> {
  if (!client) throw new Error('configure() first')
  return client.models
}

function model(name: string): ModelApi {
  const api = models()[name]
  if (!api) throw new Error(`The data client has no model ${name}`)
  return api
}

const handlers: Record<string, (...args: never[]) => unknown> = {
  configure(config: Record<string, unknown>, options?: { tokens?: TestTokens }) {
    if (options?.tokens) {
      tokens = options.tokens
      // Hands the library tokens minted by the test instead of signing in against a user pool.
      Amplify.configure(config, {
        Auth: {
          tokenProvider: {
            getTokens: async () =>
              tokens ? { accessToken: jwt(tokens.accessToken), ...(tokens.idToken ? { idToken: jwt(tokens.idToken) } : {}) } : null,
          },
        },
      })
    }
    else {
      Amplify.configure(config)
    }
    client = generateClient() as unknown as DataClient
  },
  setTokens(next: TestTokens) {
    tokens = next
  },
  signUp: (input: Parameters<typeof signUp>[0]) => signUp(input),
  confirmSignUp: (input: Parameters<typeof confirmSignUp>[0]) => confirmSignUp(input),
  signIn: (input: Parameters<typeof signIn>[0]) => signIn(input),
  signOut: (input?: Parameters<typeof signOut>[0]) => signOut(input),
  async fetchAuthSession(options?: Parameters<typeof fetchAuthSession>[0]) {
    const session = await fetchAuthSession(options)
    return {
      userSub: session.userSub,
      tokens: session.tokens
        ? { accessToken: session.tokens.accessToken.toString(), idToken: session.tokens.idToken?.toString() }
        : undefined,
      identityId: session.identityId,
      credentials: session.credentials
        ? { accessKeyId: session.credentials.accessKeyId, secretAccessKey: session.credentials.secretAccessKey, sessionToken: session.credentials.sessionToken, expiration: session.credentials.expiration?.toISOString() }
        : undefined,
    }
  },
  getCurrentUser: () => getCurrentUser(),
  create: (name: string, input: unknown, options?: unknown) => model(name).create!(input, options),
  get: (name: string, key: unknown, options?: unknown) => model(name).get!(key, options),
  list: (name: string, options?: unknown) => model(name).list!(options),
  update: (name: string, input: unknown, options?: unknown) => model(name).update!(input, options),
  delete: (name: string, key: unknown, options?: unknown) => model(name).delete!(key, options),
  custom(kind: 'queries' | 'mutations', name: string, args?: unknown, options?: unknown) {
    const operation = client?.[kind][name]
    if (!operation) throw new Error(`The data client has no ${kind}.${name}`)
    return operation(args, options)
  },
  async subscribe(name: string, operation: 'onCreate' | 'onUpdate' | 'onDelete', options?: unknown) {
    const id = `s${nextSubscription++}`
    const field = `${operation}${name}`
    // The observable says nothing when AppSync acknowledges the subscription; the library's Hub
    // event does. Waiting for it means no event of the test can be missed.
    let settle: (error?: Error) => void = () => {}
    const acknowledged = new Promise<void>((resolve, reject) => {
      const stopListening = Hub.listen('api', ({ payload }) => {
        const data = payload.data as { query?: string } | undefined
        if (payload.event === 'Subscription ack' && data?.query?.includes(field)) settle()
      })
      const timer = setTimeout(() => settle(new Error(`${field} was not acknowledged`)), 10_000)
      settle = (error) => {
        stopListening()
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      }
    })
    const observable = model(name)[operation]!(options) as { subscribe: (observer: object) => { unsubscribe: () => void } }
    const subscription = observable.subscribe({
      next: (event: unknown) => post({ kind: 'event', subscription: id, event: plain(event) }),
      error: (error: unknown) => {
        const message = JSON.stringify(plain(error))
        post({ kind: 'event', subscription: id, error: message })
        settle(new Error(`${field} failed: ${message}`))
      },
    })
    subscriptions.set(id, subscription)
    try {
      await acknowledged
    }
    catch (error) {
      subscription.unsubscribe()
      subscriptions.delete(id)
      throw error
    }
    return id
  },
  unsubscribe(id: string) {
    subscriptions.get(id)?.unsubscribe()
    subscriptions.delete(id)
  },
  startUpload(input: { path: StoragePath, data: StorageData, options?: Record<string, unknown> }) {
    const id = `u${nextUpload++}`
    const task: UploadTask = uploadData({
      path: storagePath(input.path),
      data: storageData(input.data),
      options: {
        ...input.options,
        onProgress: (event: unknown) => post({ kind: 'event', subscription: id, event: plain(event) }),
      },
    } as never)
    const result = task.result.catch((error: unknown) => {
      throw storageError(error)
    })
    // Awaited by uploadResult; a failure nobody asked about yet must not be "unhandled".
    result.catch(() => {})
    uploads.set(id, { task, result })
    return id
  },
  uploadResult: (id: string) => uploads.get(id)!.result,
  uploadState: (id: string) => uploads.get(id)!.task.state,
  pauseUpload: (id: string) => uploads.get(id)!.task.pause(),
  resumeUpload: (id: string) => uploads.get(id)!.task.resume(),
  cancelUpload: (id: string) => uploads.get(id)!.task.cancel(),
  async storageDownload(input: { path: StoragePath, options?: Record<string, unknown> }) {
    const { body, ...rest } = await (downloadData(storageInput(input) as never) as { result: Promise<{ body: { blob(): Promise<Blob> } }> }).result.catch((error: unknown) => {
      throw storageError(error)
    })
    return { ...rest, body: Buffer.from(await (await body.blob()).arrayBuffer()).toString('base64') }
  },
  async storageGetUrl(input: { path: StoragePath, options?: Record<string, unknown> }) {
    const { url, expiresAt } = await getUrl(storageInput(input) as never)
    return { url: url.toString(), expiresAt: expiresAt.toISOString() }
  },
  storageGetProperties: (input: { path: StoragePath, options?: Record<string, unknown> }) => getProperties(storageInput(input) as never),
  storageList: (input: { path: StoragePath, options?: Record<string, unknown> }) => list(storageInput(input) as never),
  storageRemove: (input: { path: StoragePath, options?: Record<string, unknown> }) => remove(storageInput(input) as never),
  storageCopy: (input: { source: { path: StoragePath }, destination: { path: StoragePath }, options?: Record<string, unknown> }) =>
    copy({ ...input, source: { ...input.source, path: storagePath(input.source.path) }, destination: { ...input.destination, path: storagePath(input.destination.path) } } as never),
  async rest(method: RestMethod, input: { apiName: string, path: string, options?: Record<string, unknown> }): Promise<RestOutcome> {
    const operations = restApi as unknown as Record<RestMethod, (input: unknown) => { response: Promise<{ statusCode: number, headers: Record<string, string>, body?: { blob(): Promise<Blob> } }> }>
    try {
      const { statusCode, headers, body } = await operations[method](input).response
      const bytes = body ? Buffer.from(await (await body.blob()).arrayBuffer()) : undefined
      return { ok: true, response: { statusCode, headers, ...(bytes ? { body: { text: bytes.toString('utf8'), base64: bytes.toString('base64') } } : {}) } }
    }
    catch (caught) {
      const error = caught as Error & { response?: { statusCode: number, headers: Record<string, string>, body?: string } }
      return { ok: false, error: { name: error.name, message: error.message, ...(error.response ? { response: error.response } : {}) } }
    }
  },
}

parentPort!.on('message', async (request: WorkerRequest) => {
  try {
    const handler = handlers[request.method]
    if (!handler) throw new Error(`Unknown method ${request.method}`)
    const result = await (handler as (...args: unknown[]) => unknown)(...request.args)
    post({ kind: 'result', id: request.id, result: plain(result) })
  }
  catch (error) {
    const e = error as Error
    post({ kind: 'result', id: request.id, error: { name: e.name ?? 'Error', message: e.message ?? JSON.stringify(plain(error)) } })
  }
})
