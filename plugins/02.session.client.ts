import { Hub } from 'aws-amplify/utils'
import { sessionUserFrom } from '~~/utils/session'

export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  setup(nuxtApp) {
    const { user } = useAuth()
    const reload = async () => {
      user.value = sessionUserFrom((await nuxtApp.$Amplify.Auth.fetchAuthSession()).tokens)
    }
    Hub.listen('auth', ({ payload }) => {
      switch (payload.event) {
        case 'signedIn':
        case 'tokenRefresh':
          return reload()
        case 'signedOut':
        case 'tokenRefresh_failure':
          user.value = null
      }
    })
  },
})
