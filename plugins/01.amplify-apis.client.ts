import type { SignInInput, SignOutInput } from 'aws-amplify/auth'
import { Observable } from 'rxjs'
import outputs from '#amplify-outputs'
import type { Schema } from '~~/amplify/data/resource'
import type { AmplifyApis, RealtimeModels, UniversalModels } from '~~/utils/amplify-apis'

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
    const modelNames = Object.keys((outputs as { data?: { model_introspection?: { models?: object } } }).data?.model_introspection?.models ?? {})

    const Amplify$: AmplifyApis = {
      Auth: {
        fetchAuthSession: async () => (await auth()).fetchAuthSession(),
        fetchUserAttributes: async () => (await auth()).fetchUserAttributes(),
        getCurrentUser: async () => (await auth()).getCurrentUser(),
        signIn: async (input: SignInInput) => (await auth()).signIn(input),
        signOut: async (input?: SignOutInput) => (await auth()).signOut(input),
      },
      GraphQL: {
        client: {
          models: eachModel(modelNames, ['list', 'get', 'create', 'update', 'delete'], (name, op) =>
            async (...args) => (await data()).models[name]![op]!(...args)) as UniversalModels,
          graphql: (async (...args: unknown[]) => (await data()).graphql(...args)) as AmplifyApis['GraphQL']['client']['graphql'],
        },
        realtime: eachModel(modelNames, ['onCreate', 'onUpdate', 'onDelete', 'observeQuery'], (name, op) =>
          (...args) => new Observable((subscriber) => {
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
          })) as RealtimeModels,
      },
    }
    return { provide: { Amplify: Amplify$ } }
  },
})

type Operation = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any -- each model's own signatures are restored by the casts above
type LooseModels = Record<string, Record<string, Operation>>
/** The data client without its per-model types, which TypeScript cannot compare at this depth. */
interface LooseClient { models: LooseModels, graphql: Operation }

/** An object of every model, each with `operations` made by `make`. */
function eachModel(names: string[], operations: string[], make: (name: string, op: string) => Operation) {
  return Object.fromEntries(names.map(name => [name, Object.fromEntries(operations.map(op => [op, make(name, op)]))])) as LooseModels
}
