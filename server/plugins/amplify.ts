import { provideRequestAmplify } from '~~/utils/request-amplify'

/**
 * Lets the Vue app's server plugins reach a request's Amplify (utils/request-amplify.ts) without
 * importing server code. Registered once at start, not per request: nothing is parsed, verified or
 * made until something calls it.
 */
export default defineNitroPlugin(() => {
  provideRequestAmplify(useRequestAmplify)
})
