import type { SignInInput, SignOutInput } from 'aws-amplify/auth'
import { Observable } from 'rxjs'
import outputs from '#amplify-outputs'
import type { Schema } from '~~/amplify/data/resource'
import { REALTIME_OPERATIONS, REST_METHODS, UNIVERSAL_OPERATIONS, customOperationNames, eachModel, type AmplifyApis, type RealtimeModels, type StorageList, type UniversalModels } from '~~/utils/amplify-apis'
import { storageEndpointFromOutputs, withStorageEndpoint } from '~~/utils/storage-endpoint'

const storageEndpoint = storageEndpointFromOutputs(outputs)

export default defineNuxtPlugin({
  name: 'amplify-apis',
  setup() {
    // Amplify is configured, and its auth and data APIs are loaded, on the first call: they are most
    // of the app's JavaScript, and a page that only shows who is signed in needs none of it.
    let configured: Promise<void> | undefined
    const ready = () => (configured ??= import('~~/utils/amplify-browser').then(({ configureAmplify }) => configureAmplify()))
    const auth = async () => {
      await ready()
      return import('aws-amplify/auth')
    }
    let client: Promise<LooseClient> | undefined
    const data = () => (client ??= ready()
      .then(() => import('aws-amplify/data'))
      .then(({ generateClient }) => generateClient<Schema>() as unknown as LooseClient))
    const storage = async () => {
      await ready()
      return import('aws-amplify/storage')
    }
    const api = async () => {
      await ready()
      return import('aws-amplify/api')
    }
    const modelNames = Object.keys((outputs as { data?: { model_introspection?: { models?: object } } }).data?.model_introspection?.models ?? {})
    const custom = (kind: 'queries' | 'mutations') => Object.fromEntries(customOperationNames(outputs, kind)
      .map(name => [name, async (...args: unknown[]) => (await data())[kind][name]!(...args)]))

    const Amplify$: AmplifyApis = {
      Auth: {
        fetchAuthSession: async options => (await auth()).fetchAuthSession(options),
        fetchTokens: async (options) => {
          await ready()
          return (await (await import('aws-amplify/auth/cognito')).cognitoUserPoolsTokenProvider.getTokens(options)) ?? undefined
        },
        fetchUserAttributes: async () => (await auth()).fetchUserAttributes(),
        getCurrentUser: async () => (await auth()).getCurrentUser(),
        signIn: async (input: SignInInput) => (await auth()).signIn(input),
        signOut: async (input?: SignOutInput) => {
          // First, while the cookies still name the session: the server drops the credentials and
          // URLs it keeps for it (server/api/session.delete.ts). They expire within the hour anyway,
          // so a server that cannot be reached does not stop the sign-out.
          await $fetch('/api/session', { method: 'DELETE' }).catch((error: unknown) => console.warn('The server could not forget this session:', error))
          return (await auth()).signOut(input)
        },
        setUpTOTP: async () => (await auth()).setUpTOTP(),
        verifyTOTPSetup: async input => (await auth()).verifyTOTPSetup(input),
        updateMFAPreference: async input => (await auth()).updateMFAPreference(input),
        fetchMFAPreference: async () => (await auth()).fetchMFAPreference(),
      },
      GraphQL: {
        client: {
          models: eachModel<UniversalModels>(modelNames, UNIVERSAL_OPERATIONS, (name, op) =>
            async (...args: unknown[]) => (await data()).models[name]![op]!(...args)),
          queries: custom('queries') as AmplifyApis['GraphQL']['client']['queries'],
          mutations: custom('mutations') as AmplifyApis['GraphQL']['client']['mutations'],
          graphql: (async (...args: unknown[]) => (await data()).graphql(...args)) as AmplifyApis['GraphQL']['client']['graphql'],
        },
        realtime: eachModel<RealtimeModels>(modelNames, REALTIME_OPERATIONS, (name, op) =>
          (...args: unknown[]) => new Observable((subscriber) => {
            // Subscribing starts as soon as the data client has loaded; unsubscribing before then cancels it.
            let subscription: { unsubscribe(): void } | undefined
            let closed = false
            data().then(
              (loaded) => {
                if (!closed) subscription = (loaded.models[name]![op]!(...args) as Observable<unknown>).subscribe(subscriber)
              },
              error => subscriber.error(error),
            )
            return () => {
              closed = true
              subscription?.unsubscribe()
            }
          })),
      },
      API: Object.fromEntries(REST_METHODS.map(method => [method, (input: unknown) => {
        // The REST client loads on the first call; `cancel` reaches the call once it has started.
        const operation = api().then(loaded => (loaded[method] as (input: unknown) => { response: Promise<unknown>, cancel(message?: string): void })(input))
        return { response: operation.then(started => started.response), cancel: (message?: string) => void operation.then(started => started.cancel(message)) }
      }])) as unknown as AmplifyApis['API'],
      Storage: {
        getUrl: async input => (await storage()).getUrl(withStorageEndpoint(input, storageEndpoint)),
        getProperties: async input => (await storage()).getProperties(withStorageEndpoint(input, storageEndpoint)),
        list: (async (input: Parameters<StorageList>[0]) => (await storage()).list(withStorageEndpoint(input, storageEndpoint))) as StorageList,
        remove: async input => (await storage()).remove(withStorageEndpoint(input, storageEndpoint)),
        copy: async input => (await storage()).copy(withStorageEndpoint(input, storageEndpoint)),
        uploadData: input => deferredTransfer(storage().then(({ uploadData }) => uploadData(withStorageEndpoint(input, storageEndpoint)))),
        downloadData: input => deferredTransfer(storage().then(({ downloadData }) => downloadData(withStorageEndpoint(input, storageEndpoint)))),
      },
    }
    return { provide: { Amplify: Amplify$ } }
  },
})

/** The data client without its per-model types, which TypeScript cannot compare at this depth. */
interface LooseClient {
  models: Record<string, Record<string, (...args: unknown[]) => unknown>>
  queries: Record<string, (...args: unknown[]) => unknown>
  mutations: Record<string, (...args: unknown[]) => unknown>
  graphql: (...args: unknown[]) => unknown
}

/** An upload or download as aws-amplify hands it back: a result, and controls for the transfer. */
interface Transfer {
  result: Promise<unknown>
  cancel(message?: string): void
  pause?(): void
  resume?(): void
  readonly state: string
}

/**
 * A transfer whose module is still loading: returned at once, as aws-amplify returns its own, and
 * handing every control on (a cancel before the start cancels it as soon as it starts).
 */
function deferredTransfer<T extends Transfer>(starting: Promise<T>): T {
  let started: T | undefined
  let cancelled: { message?: string } | undefined
  let paused = false
  const result = starting.then((transfer) => {
    started = transfer
    if (cancelled) transfer.cancel(cancelled.message)
    else if (paused) transfer.pause?.()
    return transfer.result
  })
  return {
    result,
    cancel: (message?: string) => (started ? started.cancel(message) : (cancelled = { message })),
    pause: () => (started ? started.pause?.() : (paused = true)),
    resume: () => (started ? started.resume?.() : (paused = false)),
    get state() {
      return started?.state ?? (cancelled ? 'CANCELED' : paused ? 'PAUSED' : 'IN_PROGRESS')
    },
  } as unknown as T
}
