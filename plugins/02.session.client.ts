import { Hub } from 'aws-amplify/utils'
import { sessionUserFrom } from '~~/utils/session'

export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  setup() {
    const { user } = useAuth()
    const reload = async () => {
      try {
        // Loaded on demand, like every auth API in the browser (plugins/01.amplify-apis.client.ts).
        const { fetchAuthSession } = await import('aws-amplify/auth')
        user.value = sessionUserFrom((await fetchAuthSession()).tokens)
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
