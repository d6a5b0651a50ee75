import { readFile } from 'node:fs/promises'
import { createAmplifyContext, type AmplifyContext } from 'aws-amplify'
import { createAWSCredentialsAndIdentityIdProvider, createUserPoolsTokenProvider } from 'aws-amplify/adapter-core'
import { confirmSignUp, signIn, signUp } from 'aws-amplify/auth'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { ConsoleLogger, type KeyValueStorageInterface } from 'aws-amplify/utils'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../utils/amplify-config'
import { latestCode } from './started-sandbox'

/** A user signed in with the real Amplify client, holding the cookies a browser would hold. */
export interface SignedInUser {
  email: string
  password: string
  /** Cookie name to value, exactly as Amplify's cookie storage writes them. */
  cookies: Map<string, string>
  /** The `Cookie` request header for those cookies, as they are now. */
  readonly cookieHeader: string
  context: AmplifyContext
}

/** An Amplify context of its own (not the global singleton) whose session lives in `jar`. */
export async function amplifyContext(outputsFile: string, jar = new Map<string, string>()) {
  const config = amplifyConfigFromOutputs(JSON.parse(await readFile(outputsFile, 'utf8')) as AmplifyOutputs)
  const storage: KeyValueStorageInterface = {
    setItem: async (key, value) => void jar.set(key, value),
    getItem: async key => jar.get(key) ?? null,
    removeItem: async key => void jar.delete(key),
    clear: async () => jar.clear(),
  }
  const context = createAmplifyContext(config, {
    Auth: {
      tokenProvider: createUserPoolsTokenProvider(config.Auth!, storage),
      credentialsProvider: createAWSCredentialsAndIdentityIdProvider(config.Auth!, storage),
    },
  })
  return { context, jar, config }
}

// Against the sandbox the custom Cognito endpoint is intended: Amplify's warning about it is noise here.
ConsoleLogger.LOG_LEVEL = 'ERROR'

let counter = 0

/** Signs up a new user (confirming with the code the sandbox "e-mails") and signs them in. */
export async function newSignedInUser(outputsFile: string, messagesUrl: string, name = 'user'): Promise<SignedInUser> {
  const email = `${name}-${process.pid}-${Date.now()}-${++counter}@example.com`
  const password = 'Correct-Horse-9'
  const { context, jar } = await amplifyContext(outputsFile)
  await signUp(context, { username: email, password, options: { userAttributes: { email } } })
  await confirmSignUp(context, { username: email, confirmationCode: await latestCode(messagesUrl, email) })
  const result = await signIn(context, { username: email, password })
  if (!result.isSignedIn) throw new Error(`sign-in stopped at ${result.nextStep.signInStep}`)
  return {
    email,
    password,
    cookies: jar,
    get cookieHeader() {
      return cookieHeader(jar)
    },
    context,
  }
}

/** New tokens for the user's session (e.g. to carry a group just joined), written to their cookies. */
export async function refreshSession(user: SignedInUser): Promise<void> {
  await fetchAuthSession(user.context, { forceRefresh: true })
}

/** The user's cookies for a browser at `url`: a signed-in tab without going through the sign-in form. */
export function browserCookies(user: SignedInUser, url: string): Array<{ name: string, value: string, url: string }> {
  return [...user.cookies].map(([name, value]) => ({ name, value: encodeURIComponent(value), url }))
}

export function cookieHeader(cookies: Map<string, string>): string {
  return [...cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ')
}
