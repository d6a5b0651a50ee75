import type { AmplifyContext } from 'aws-amplify'
import { fetchAuthSession, fetchUserAttributes, getCurrentUser } from 'aws-amplify/auth/server'
import type { AmplifyApis, UniversalModels } from '~~/utils/amplify-apis'
import { runAmplifyApi, serverDataClient } from '~~/server/utils/amplifyUtils'

type Run = <Result>(operation: (context: AmplifyContext) => Promise<Result>) => Promise<Result>

export default defineNuxtPlugin({
  name: 'amplify-apis',
  setup() {
    const event = useRequestEvent()
    if (!event) throw new Error('The Amplify server plugin runs only while rendering a request')
    // All cookie, token and context work happens in runAmplifyApi; this only binds it to the request.
    const run: Run = operation => runAmplifyApi(event, operation)

    const Amplify$: AmplifyApis = {
      Auth: {
        fetchAuthSession: () => run(context => fetchAuthSession(context)),
        fetchUserAttributes: () => run(context => fetchUserAttributes(context)),
        getCurrentUser: () => run(context => getCurrentUser(context)),
        signIn: undefined,
        signOut: undefined,
      },
      GraphQL: {
        client: {
          models: bindModels(run),
          graphql: ((...args: unknown[]) => run(context => (serverDataClient.graphql as (...a: unknown[]) => Promise<unknown>)(context, ...args))) as AmplifyApis['GraphQL']['client']['graphql'],
        },
        realtime: undefined,
      },
    }
    return { provide: { Amplify: Amplify$ } }
  },
})

const operations = ['list', 'get', 'create', 'update', 'delete'] as const

/** Every model of the schema, with the request's context filled in as the server client's first argument. */
function bindModels(run: Run): UniversalModels {
  type Operation = (context: AmplifyContext, ...args: unknown[]) => Promise<unknown>
  const models = serverDataClient.models as unknown as Record<string, Record<(typeof operations)[number], Operation>>
  return Object.fromEntries(Object.entries(models).map(([name, model]) => [
    name,
    Object.fromEntries(operations.map(op => [op, (...args: unknown[]) => run(context => model[op](context, ...args))])),
  ])) as unknown as UniversalModels
}
