/**
 * The server's Amplify: one backend per server process (configuration, token verifier, data
 * client), and per request a context made from that request's cookies only.
 */
import { createAmplifyContext, type AmplifyContext, type ResourcesConfig } from 'aws-amplify'
import type { AuthTokens, TokenProvider } from 'aws-amplify/auth'
import {
  createAWSCredentialsAndIdentityIdProvider,
  createKeyValueStorageFromCookieStorageAdapter,
  createUserPoolsTokenProvider,
  type CookieStorage,
} from 'aws-amplify/adapter-core'
import { generateClient } from 'aws-amplify/data/server'
import type { GetUrlWithPathInput, GetUrlWithPathOutput } from 'aws-amplify/storage'
import { ConsoleLogger } from 'aws-amplify/utils'
import type { Schema } from '~~/amplify/data/resource'
import { AUTH_COOKIE_MAX_AGE, amplifyConfigFromOutputs, authCookieAttributes, type AmplifyOutputs } from '~~/utils/amplify-config'
import { withIdentityRecovery } from '~~/utils/identity-recovery'
import { sessionUserFrom, type SessionUser } from '~~/utils/session'
import { createCredentialsCache, type CredentialsCache } from './credentials-cache'
import { isTrustedCookie, readSession } from './session'
import { createUrlCache, type DeployedFiles, type UrlCache } from './url-cache'
import { createTokenVerifier, messageOf, type TokenVerifier } from './verifier'

/** The data client for server code: stateless, every call takes a request's context first. */
export type ServerDataClient = ReturnType<typeof generateClient<Schema>>

export interface AmplifyServerBackend {
  readonly config: ResourcesConfig
  readonly clientId: string
  readonly verifier: TokenVerifier
  readonly data: ServerDataClient
  /** Identity-pool credentials by session, across requests. */
  readonly credentials: CredentialsCache
  /** Presigned Storage URLs by the credentials that signed them, across requests. */
  readonly urls: UrlCache
  /** Says a server-side problem, at most once a minute per kind, so a broken backend cannot flood the log. */
  report(kind: string, line: string): void
}

/** What `event.context.amplify` offers: this request's Amplify, for Nitro routes and the Vue app alike. */
export interface RequestAmplify {
  /** Runs `operation` with this request's context, made on first use from its cookies only. */
  run<Result>(operation: (context: AmplifyContext) => Result | Promise<Result>): Promise<Result>
  /** The session's verified tokens (refreshed first if they expired), or `null` when there is no usable session. */
  tokens(): Promise<AuthTokens | null>
  /** The verified user, or `null` when the request carries no usable session. */
  sessionUser(): Promise<SessionUser | null>
  /** `getUrl` from `aws-amplify/storage/server` for this request, reusing what was signed for its session before. */
  getUrl(input: GetUrlWithPathInput): Promise<GetUrlWithPathOutput>
  /** Drops what the server keeps for this request's session (its credentials and URLs): sign-out calls it. */
  forgetSession(): Promise<void>
  /** Set when the session could not be refreshed for a reason other than the session itself. */
  readonly refreshFailure: unknown
  readonly data: ServerDataClient
}

declare module 'h3' {
  interface H3EventContext {
    /** Made on first use by `useRequestAmplify` (server/utils/amplifyUtils.ts). */
    amplify?: RequestAmplify
  }
}

const REPORT_EVERY_MS = 60_000

export interface ServerBackendOptions {
  log?: (line: string) => void
  /** What the caches expire by: `Date.now` unless a test moves its own clock. */
  now?: () => number
}

export function createServerBackend(outputs: AmplifyOutputs, options: ServerBackendOptions = {}): AmplifyServerBackend {
  const log = options.log ?? console.error
  const config = amplifyConfigFromOutputs(outputs)
  const cognito = config.Auth?.Cognito
  if (!cognito?.userPoolId || !cognito.userPoolClientId) {
    throw new Error('amplify_outputs.json has no user pool: the app needs `defineAuth` in amplify/backend.ts')
  }
  // Amplify warns "you are using a custom Cognito endpoint" each time a context is made, which on a
  // server is every request. Against the offline sandbox that endpoint is the point, not a mistake.
  if (cognito.userPoolEndpoint && !ConsoleLogger.LOG_LEVEL) ConsoleLogger.LOG_LEVEL = 'ERROR'

  const lastReport = new Map<string, number>()
  const report = (kind: string, line: string) => {
    if (Date.now() - (lastReport.get(kind) ?? 0) < REPORT_EVERY_MS) return
    lastReport.set(kind, Date.now())
    log(line)
  }
  return {
    config,
    clientId: cognito.userPoolClientId,
    verifier: createTokenVerifier({
      userPoolId: cognito.userPoolId,
      clientId: cognito.userPoolClientId,
      userPoolEndpoint: cognito.userPoolEndpoint,
      graceSeconds: AUTH_COOKIE_MAX_AGE,
      log: line => report('keys', line),
    }),
    data: generateClient<Schema>({ config }),
    credentials: createCredentialsCache({ now: options.now }),
    urls: createUrlCache({ defaultBucket: defaultBucketName(outputs), deployedFiles: deployedFiles(outputs), now: options.now }),
    report,
  }
}

/** The default bucket's name as `storage.buckets` lists it (what `options.bucket` names). */
function defaultBucketName(outputs: AmplifyOutputs): string | undefined {
  const { storage } = outputs as { storage?: { bucket_name?: string, buckets?: Array<{ name: string, bucket_name: string }> } }
  return storage?.buckets?.find(bucket => bucket.bucket_name === storage.bucket_name)?.name
}

/** `custom.deployedFiles` (amplify/backend.ts), if it is what the backend writes there. */
function deployedFiles(outputs: AmplifyOutputs): DeployedFiles {
  const files = (outputs as { custom?: { deployedFiles?: unknown } }).custom?.deployedFiles
  if (!files || typeof files !== 'object') return {}
  return Object.fromEntries(Object.entries(files).filter((entry): entry is [string, string[]] => Array.isArray(entry[1]) && entry[1].every(path => typeof path === 'string')))
}

/**
 * One request's Amplify. `cookies` are that request's; a refresh writes the new tokens back through
 * `cookies.set` (the caller turns that into `Set-Cookie`).
 */
export function createRequestAmplify(backend: AmplifyServerBackend, cookies: CookieStorage.Adapter, options: { secure: boolean }): RequestAmplify {
  let context: AmplifyContext | undefined
  let refreshFailure: unknown
  // Amplify's identity id cookie: what a guest's kept credentials are found by.
  const identityPoolId = backend.config.Auth?.Cognito.identityPoolId
  const guestIdentityId = () => (identityPoolId ? cookies.get(`com.amplify.Cognito.${identityPoolId}.identityId`)?.value : undefined)

  const makeContext = (): AmplifyContext => {
    const Auth = backend.config.Auth!
    const storage = createKeyValueStorageFromCookieStorageAdapter(
      cookies,
      { getItem: (key, value) => isTrustedCookie(backend.verifier, key, value) },
      authCookieAttributes(options),
    )
    // Amplify's own token provider, made only when a session needs refreshing: it reads the same
    // (verified) cookies, calls Cognito, and writes the new tokens back through `cookies.set`.
    let refresher: TokenProvider | undefined
    const tokenProvider: TokenProvider = {
      async getTokens(getOptions) {
        if (!getOptions?.forceRefresh) {
          const session = await readSession(cookies, backend.clientId, backend.verifier)
          if (session !== 'expired') return session
        }
        // One attempt per request: a user pool that did not answer will not answer the next call either.
        if (refreshFailure !== undefined) return null
        refresher ??= createUserPoolsTokenProvider(Auth, storage)
        try {
          const tokens = await refresher.getTokens(getOptions)
          return tokens && (await readSession(cookies, backend.clientId, backend.verifier)) !== null ? tokens : null
        }
        catch (error) {
          if (isSignedOutError(error)) return null
          // The user pool is down or unreachable: this request is signed out, the cookies stay for
          // the next one (Amplify keeps tokens on such errors), and a 500 is never the answer.
          refreshFailure = error
          backend.report('refresh', `[amplify] A session could not be refreshed, so the request reads as signed out: ${messageOf(error)}`)
          return null
        }
      },
    }
    const credentialsProvider = backend.credentials.provider(withIdentityRecovery(createAWSCredentialsAndIdentityIdProvider(Auth, storage)), guestIdentityId)
    return createAmplifyContext(backend.config, { Auth: { tokenProvider, credentialsProvider } })
  }

  const run: RequestAmplify['run'] = (operation) => {
    context ??= makeContext()
    return Promise.resolve(operation(context))
  }

  // The verified session straight from the cookies. An Amplify context (which deep-freezes the whole
  // configuration on creation) is made only when the session must be refreshed.
  const tokens = async (): Promise<AuthTokens | null> => {
    const session = await readSession(cookies, backend.clientId, backend.verifier)
    if (session !== 'expired') return session
    try {
      // Tokens only: `fetchAuthSession` would also fetch identity-pool credentials.
      return (await run(ctx => ctx.getTokens({}))) ?? null
    }
    catch (error) {
      if (isSignedOutError(error)) return null
      throw error
    }
  }

  return {
    run,
    tokens,
    sessionUser: async () => sessionUserFrom(await tokens()),
    getUrl: input => run(ctx => backend.urls.getUrl(ctx, input)),
    async forgetSession() {
      // Only a verified token names a session to forget; an expired one's entries are unusable already.
      const session = await readSession(cookies, backend.clientId, backend.verifier)
      const idToken = session && session !== 'expired' ? session.idToken?.toString() : undefined
      backend.credentials.forget({ idToken, guestIdentityId: guestIdentityId() })
    },
    get refreshFailure() {
      return refreshFailure
    },
    data: backend.data,
  }
}

/** Amplify's ways of saying "no valid session": missing, unverifiable or unrefreshable tokens. */
export function isSignedOutError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'UserUnAuthenticatedException' || name === 'NoSessionFoundException' || name === 'NotAuthorizedException'
    // An expired session without a usable refresh token.
    || name === 'TokenRefreshException'
}
