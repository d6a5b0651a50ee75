import type { AmplifyContext } from 'aws-amplify'
import { fetchAuthSession, fetchUserAttributes, getCurrentUser } from 'aws-amplify/auth/server'
import { UNIVERSAL_OPERATIONS, eachModel, type AmplifyApis, type UniversalModels } from '~~/utils/amplify-apis'
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

/** Every model of the schema, with the request's context filled in as the server client's first argument. */
function bindModels(run: Run): UniversalModels {
  const models = serverDataClient.models as unknown as Record<string, Record<string, (context: AmplifyContext, ...args: unknown[]) => Promise<unknown>>>
  return eachModel<UniversalModels>(Object.keys(models), UNIVERSAL_OPERATIONS, (name, op) =>
    (...args: unknown[]) => run(context => models[name]![op]!(context, ...args)))
}
