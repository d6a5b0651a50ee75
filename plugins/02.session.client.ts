import { Hub } from 'aws-amplify/utils'
import type { AmplifyApis } from '~~/utils/amplify-apis'
import { sessionUserFrom } from '~~/utils/session'

export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  setup(nuxtApp) {
    const { user } = useAuth()
    // Typed by hand: inferring it here would make this plugin's type depend on itself.
    const { Auth } = nuxtApp.$Amplify as AmplifyApis
    const reload = async () => {
      try {
        user.value = sessionUserFrom(await Auth.fetchTokens())
      }
      catch {
        // No readable session after all: the pages show the signed-out state, which is the truth.
        user.value = null
      }
    }
    // The server rendered the page for the session in the cookies; from here on Amplify's auth
    // events (the Authenticator signing in, a refresh, a sign-out) keep the state current.
    Hub.listen('auth', ({ payload }) => {
      switch (payload.event) {
        case 'signedIn':
        case 'tokenRefresh':
          void reload()
          return
        case 'signedOut':
        case 'tokenRefresh_failure':
          user.value = null
      }
    })
  },
})
