import type {
  AuthTokens, FetchAuthSessionOptions, FetchMFAPreferenceOutput, SetUpTOTPOutput, SignInInput, SignInOutput, SignOutInput, UpdateMFAPreferenceInput,
  VerifyTOTPSetupInput, fetchAuthSession, fetchUserAttributes, getCurrentUser,
} from 'aws-amplify/auth'
import type {
  CopyWithPathInput, CopyWithPathOutput, DownloadDataWithPathInput, DownloadDataWithPathOutput, GetPropertiesWithPathInput,
  GetPropertiesWithPathOutput, GetUrlWithPathInput, GetUrlWithPathOutput, ListAllWithPathInput, ListAllWithPathOutput,
  ListPaginateWithPathInput, ListPaginateWithPathOutput, RemoveWithPathInput, RemoveWithPathOutput, UploadDataWithPathInput,
  UploadDataWithPathOutput,
} from 'aws-amplify/storage'
import type { Client, del, get, head, patch, post, put } from 'aws-amplify/api'
import type { Schema } from '~~/amplify/data/resource'

type BrowserClient = Client<Schema>
type Models = BrowserClient['models']

/** The model operations that run during server rendering and in the browser alike. */
export const UNIVERSAL_OPERATIONS = ['list', 'get', 'create', 'update', 'delete'] as const
export type UniversalModels = { [Model in keyof Models]: Pick<Models[Model], Extract<keyof Models[Model], (typeof UNIVERSAL_OPERATIONS)[number]>> }

/** Subscriptions: they need a live WebSocket, so they exist only in the browser. */
export const REALTIME_OPERATIONS = ['onCreate', 'onUpdate', 'onDelete', 'observeQuery'] as const
export type RealtimeModels = { [Model in keyof Models]: Pick<Models[Model], Extract<keyof Models[Model], (typeof REALTIME_OPERATIONS)[number]>> }

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each model's own signatures come back through UniversalModels / RealtimeModels
type Operation = (...args: any[]) => any

/** `{ [model]: { [operation]: make(model, operation) } }`: how both plugins build their per-model APIs. */
export function eachModel<Models>(names: string[], operations: readonly string[], make: (name: string, operation: string) => Operation): Models {
  return Object.fromEntries(names.map(name => [name, Object.fromEntries(operations.map(op => [op, make(name, op)]))])) as Models
}

/** The custom operations of a kind (`queries`, `mutations`) that `outputs`' model introspection lists. */
export function customOperationNames(outputs: unknown, kind: 'queries' | 'mutations'): string[] {
  return Object.keys((outputs as { data?: { model_introspection?: Record<string, object | undefined> } }).data?.model_introspection?.[kind] ?? {})
}

/**
 * A browser-only API: `undefined` while rendering on the server, so TypeScript makes the caller
 * check (`if ($Amplify.Auth.signOut)`) or use it only where code runs in the browser.
 */
export type ClientOnly<T> = T | undefined

/**
 * `useNuxtApp().$Amplify`: the same shape on the server and in the browser, so one page's data
 * code runs in both. On the server every call runs in the current request's own session.
 */
export interface AmplifyApis {
  Auth: {
    /** `{ forceRefresh: true }` refreshes the tokens first: new groups show without signing in again. */
    fetchAuthSession: (options?: FetchAuthSessionOptions) => ReturnType<typeof fetchAuthSession>
    /**
     * The session's tokens (refreshed if due), without the identity-pool credentials
     * `fetchAuthSession` also fetches; `undefined` when signed out. For calls that must send the id
     * token (`authToken`), whose claims (such as `email`) the access token lacks.
     */
    fetchTokens: (options?: FetchAuthSessionOptions) => Promise<AuthTokens | undefined>
    fetchUserAttributes: () => ReturnType<typeof fetchUserAttributes>
    getCurrentUser: () => ReturnType<typeof getCurrentUser>
    signIn: ClientOnly<(input: SignInInput) => Promise<SignInOutput>>
    signOut: ClientOnly<(input?: SignOutInput) => Promise<void>>
    /** Second factors (aws-amplify has no server version of these): the signed-in user's TOTP set-up and preferences. */
    setUpTOTP: ClientOnly<() => Promise<SetUpTOTPOutput>>
    verifyTOTPSetup: ClientOnly<(input: VerifyTOTPSetupInput) => Promise<void>>
    updateMFAPreference: ClientOnly<(input: UpdateMFAPreferenceInput) => Promise<void>>
    fetchMFAPreference: ClientOnly<() => Promise<FetchMFAPreferenceOutput>>
  }
  GraphQL: {
    client: {
      models: UniversalModels
      /** Custom queries and mutations (`a.query()`, `a.mutation()`), e.g. `queries.todoSummary()`. */
      queries: BrowserClient['queries']
      mutations: BrowserClient['mutations']
      graphql: BrowserClient['graphql']
    }
    realtime: ClientOnly<RealtimeModels>
  }
  /**
   * `aws-amplify/api`'s REST client, for the APIs in `custom.API` (`apiName`): each call answers
   * `{ response, cancel }`. On the server it signs with the request's own credentials (IAM) and
   * takes the `Authorization` header you give it (user pool authorizers), as in the browser.
   */
  API: {
    get: Rest<typeof get>
    post: Rest<typeof post>
    put: Rest<typeof put>
    del: Rest<typeof del>
    head: Rest<typeof head>
    patch: Rest<typeof patch>
  }
  /**
   * `aws-amplify/storage` with paths (`path: 'public/x.png'` or `({ identityId }) => …`). On the
   * server each call signs with the request's own credentials: a guest's or the user's.
   */
  Storage: {
    getUrl: (input: GetUrlWithPathInput) => Promise<GetUrlWithPathOutput>
    getProperties: (input: GetPropertiesWithPathInput) => Promise<GetPropertiesWithPathOutput>
    list: StorageList
    remove: (input: RemoveWithPathInput) => Promise<RemoveWithPathOutput>
    copy: (input: CopyWithPathInput) => Promise<CopyWithPathOutput>
    /** Uploads from the browser, with progress, `cancel()`, `pause()` and `resume()`. */
    uploadData: ClientOnly<(input: UploadDataWithPathInput) => UploadDataWithPathOutput>
    downloadData: ClientOnly<(input: DownloadDataWithPathInput) => DownloadDataWithPathOutput>
  }
}

/** One REST call as `aws-amplify/api` makes it: `{ response, cancel }`, with the same input. */
type Rest<Method extends (input: never) => unknown> = (input: Parameters<Method>[0]) => ReturnType<Method>

/** The REST API methods, by the HTTP method they send. */
export const REST_METHODS = ['get', 'post', 'put', 'del', 'head', 'patch'] as const

export interface StorageList {
  (input: ListAllWithPathInput): Promise<ListAllWithPathOutput>
  (input: ListPaginateWithPathInput): Promise<ListPaginateWithPathOutput>
}
