import { Amplify } from 'aws-amplify'
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito'
import { CookieStorage } from 'aws-amplify/utils'
import outputs from '#amplify-outputs'
import { AUTH_COOKIE_MAX_AGE, amplifyConfigFromOutputs, authCookieAttributes } from '~~/utils/amplify-config'

let configured = false

/**
 * The app's only `Amplify.configure`, for the browser. Loaded on demand (by the client plugin on
 * the first Amplify call, by the sign-in form before the Authenticator mounts), so pages that only
 * show who is signed in do not download Amplify at all. Safe to call more than once.
 */
export function configureAmplify(): void {
  if (configured) return
  configured = true
  // `ssr: true` keeps the session in cookies, which the server reads; the storage below gives them
  // the same attributes the server uses.
  Amplify.configure(amplifyConfigFromOutputs(outputs), { ssr: true })
  const cookie = authCookieAttributes({ secure: window.location.protocol === 'https:' })
  cognitoUserPoolsTokenProvider.setKeyValueStorage(new CookieStorage({
    path: cookie.path,
    sameSite: cookie.sameSite,
    secure: cookie.secure,
    expires: AUTH_COOKIE_MAX_AGE / (24 * 60 * 60), // js-cookie counts days
  }))
}
