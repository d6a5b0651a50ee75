import { getSessionUser } from '~~/server/utils/amplifyUtils'

export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  async setup() {
    const event = useRequestEvent()
    if (event) useAuth().user.value = await getSessionUser(event)
  },
})
