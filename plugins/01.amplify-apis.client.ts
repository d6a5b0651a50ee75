import { Amplify } from 'aws-amplify'
import { fetchAuthSession, fetchUserAttributes, getCurrentUser, signIn, signOut } from 'aws-amplify/auth'
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito'
import { generateClient } from 'aws-amplify/data'
import { CookieStorage } from 'aws-amplify/utils'
import outputs from '#amplify-outputs'
import type { Schema } from '~~/amplify/data/resource'
import type { AmplifyApis } from '~~/utils/amplify-apis'
import { AUTH_COOKIE_MAX_AGE, amplifyConfigFromOutputs, authCookieAttributes } from '~~/utils/amplify-config'

export default defineNuxtPlugin({
  name: 'amplify-apis',
  setup() {
    // The only `Amplify.configure` in the app. `ssr: true` keeps the session in cookies, which the
    // server reads; the storage below gives them the same attributes the server uses.
    Amplify.configure(amplifyConfigFromOutputs(outputs), { ssr: true })
    const cookie = authCookieAttributes({ secure: window.location.protocol === 'https:' })
    cognitoUserPoolsTokenProvider.setKeyValueStorage(new CookieStorage({
      path: cookie.path,
      sameSite: cookie.sameSite,
      secure: cookie.secure,
      expires: AUTH_COOKIE_MAX_AGE / (24 * 60 * 60), // js-cookie counts days
    }))

    const client = generateClient<Schema>()
    const Amplify$: AmplifyApis = {
      Auth: {
        fetchAuthSession: () => fetchAuthSession(),
        fetchUserAttributes: () => fetchUserAttributes(),
        getCurrentUser: () => getCurrentUser(),
        signIn,
        signOut,
      },
      GraphQL: {
        client: { models: client.models, graphql: client.graphql },
        realtime: client.models,
      },
    }
    return { provide: { Amplify: Amplify$ } }
  },
})
