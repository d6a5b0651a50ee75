import type { AmplifyContext } from 'aws-amplify'
import * as rest from 'aws-amplify/api/server'
import { fetchAuthSession, fetchUserAttributes, getCurrentUser } from 'aws-amplify/auth/server'
import { copy, getProperties, list, remove } from 'aws-amplify/storage/server'
import outputs from '#amplify-outputs'
import { REST_METHODS, UNIVERSAL_OPERATIONS, eachModel, type AmplifyApis, type StorageList, type UniversalModels } from '~~/utils/amplify-apis'
import { storageEndpointFromOutputs, withStorageEndpoint } from '~~/utils/storage-endpoint'

const storageEndpoint = storageEndpointFromOutputs(outputs)

type Run = <Result>(operation: (context: AmplifyContext) => Promise<Result>) => Promise<Result>

export default defineNuxtPlugin({
  name: 'amplify-apis',
  setup() {
    // Nitro makes this request's Amplify (utils/request-amplify.ts): all cookie, token, context and
    // cache work happens there, once per request; this only binds the universal API shape to it.
    const event = useRequestEvent()
    if (!event) throw new Error('The server plugin of $Amplify runs only while rendering a request')
    const amplify = requestAmplify(event)
    const run: Run = operation => amplify.run(operation)

    const Amplify$: AmplifyApis = {
      Auth: {
        fetchAuthSession: options => run(context => fetchAuthSession(context, options)),
        fetchTokens: options => run(async context => (await context.getTokens(options ?? {})) ?? undefined),
        fetchUserAttributes: () => run(context => fetchUserAttributes(context)),
        getCurrentUser: () => run(context => getCurrentUser(context)),
        signIn: undefined,
        signOut: undefined,
        setUpTOTP: undefined,
        verifyTOTPSetup: undefined,
        updateMFAPreference: undefined,
        fetchMFAPreference: undefined,
      },
      GraphQL: {
        client: {
          models: bindModels(amplify.data.models, run),
          queries: bindOperations(amplify.data.queries, run) as AmplifyApis['GraphQL']['client']['queries'],
          mutations: bindOperations(amplify.data.mutations, run) as AmplifyApis['GraphQL']['client']['mutations'],
          graphql: ((...args: unknown[]) => run(context => (amplify.data.graphql as (...a: unknown[]) => Promise<unknown>)(context, ...args))) as AmplifyApis['GraphQL']['client']['graphql'],
        },
        realtime: undefined,
      },
      API: Object.fromEntries(REST_METHODS.map(method => [method, (input: unknown) => {
        // The context is made asynchronously; `cancel` reaches the call once it has started.
        let started: { cancel(message?: string): void } | undefined
        const response = run((context) => {
          const operation = (rest[method] as (context: AmplifyContext, input: unknown) => { response: Promise<unknown>, cancel(message?: string): void })(context, input)
          started = operation
          return operation.response
        })
        return { response, cancel: (message?: string) => started?.cancel(message) }
      }])) as unknown as AmplifyApis['API'],
      Storage: {
        // Kept per session and reused until shortly before it expires (server/amplify/url-cache.ts).
        getUrl: input => amplify.getUrl(withStorageEndpoint(input, storageEndpoint)),
        getProperties: input => run(context => getProperties(context, withStorageEndpoint(input, storageEndpoint))),
        list: (input => run(context => list(context, withStorageEndpoint(input, storageEndpoint) as Parameters<StorageList>[0]))) as StorageList,
        remove: input => run(async context => remove(context, withStorageEndpoint(input, storageEndpoint))),
        copy: input => run(context => copy(context, withStorageEndpoint(input, storageEndpoint))),
        uploadData: undefined,
        downloadData: undefined,
      },
    }
    return { provide: { Amplify: Amplify$ } }
  },
})

/** Every model of the schema, with the request's context filled in as the server client's first argument. */
function bindModels(serverModels: object, run: Run): UniversalModels {
  const models = serverModels as Record<string, Record<string, (context: AmplifyContext, ...args: unknown[]) => Promise<unknown>>>
  return eachModel<UniversalModels>(Object.keys(models), UNIVERSAL_OPERATIONS, (name, op) =>
    (...args: unknown[]) => run(context => models[name]![op]!(context, ...args)))
}

/** Custom queries or mutations, with the request's context filled in as each one's first argument. */
function bindOperations(serverOperations: object, run: Run): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const operations = serverOperations as Record<string, (context: AmplifyContext, ...args: unknown[]) => Promise<unknown>>
  return Object.fromEntries(Object.keys(operations).map(name => [name, (...args: unknown[]) => run(context => operations[name]!(context, ...args))]))
}
