import { Amplify } from 'aws-amplify'
import { CognitoAWSCredentialsAndIdentityIdProvider, DefaultIdentityIdStore, cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito'
import { ConsoleLogger, CookieStorage } from 'aws-amplify/utils'
import outputs from '#amplify-outputs'
import { AUTH_COOKIE_MAX_AGE, amplifyConfigFromOutputs, authCookieAttributes } from '~~/utils/amplify-config'
import { withIdentityRecovery } from '~~/utils/identity-recovery'

let configured = false

/**
 * The app's only `Amplify.configure`, for the browser. Loaded on demand (by the client plugin on
 * the first Amplify call, by the sign-in form before the Authenticator mounts), so pages that only
 * show who is signed in do not download Amplify at all. Safe to call more than once.
 */
export function configureAmplify(): void {
  if (configured) return
  configured = true
  const config = amplifyConfigFromOutputs(outputs)
  // The session and the identity id live in cookies, which the server reads, with the same
  // attributes the server gives them.
  const cookie = authCookieAttributes({ secure: window.location.protocol === 'https:' })
  const storage = new CookieStorage({
    path: cookie.path,
    sameSite: cookie.sameSite,
    secure: cookie.secure,
    expires: AUTH_COOKIE_MAX_AGE / (24 * 60 * 60), // js-cookie counts days
  })
  cognitoUserPoolsTokenProvider.setAuthConfig(config.Auth!)
  cognitoUserPoolsTokenProvider.setKeyValueStorage(storage)
  // Amplify's own providers (what `ssr: true` alone would pick), with an identity id the identity
  // pool refuses (merged at sign-in, deleted, another user's) replaced instead of sent for good.
  // Amplify warns "You are using a custom Amazon Amazon Cognito … endpoint" (sic) on every configure,
  // twice. Against the offline sandbox that endpoint is the point: quiet for this call only.
  const logLevel = ConsoleLogger.LOG_LEVEL
  if (config.Auth?.Cognito?.userPoolEndpoint || config.Auth?.Cognito?.identityPoolEndpoint) ConsoleLogger.LOG_LEVEL = 'ERROR'
  try {
    Amplify.configure(config, {
      ssr: true,
      Auth: {
        tokenProvider: cognitoUserPoolsTokenProvider,
        credentialsProvider: withIdentityRecovery(new CognitoAWSCredentialsAndIdentityIdProvider(new DefaultIdentityIdStore(storage))),
      },
    })
  }
  finally {
    ConsoleLogger.LOG_LEVEL = logLevel
  }
}
