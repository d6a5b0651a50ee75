/**
 * Puts this request's Amplify on `event.context.amplify`, where the Vue app's server plugins find
 * it (`useRequestEvent().context.amplify`) without importing server code. Nothing is parsed or
 * verified until something calls it.
 */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('request', (event) => {
    useRequestAmplify(event)
  })
})
