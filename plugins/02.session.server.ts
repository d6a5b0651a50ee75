export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  async setup() {
    // Nitro verified (and if need be refreshed) the session; a user pool that cannot be reached
    // reads as signed out there, so no page fails because of it.
    const event = useRequestEvent()
    if (event) useAuth().user.value = await requestAmplify(event).sessionUser()
  },
})
