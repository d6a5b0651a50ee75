import type { ResourcesConfig } from 'aws-amplify'
import { parseAmplifyConfig } from 'aws-amplify/utils'

/** What `amplify_outputs.json` holds, as the Amplify client reads it. */
export type AmplifyOutputs = Parameters<typeof parseAmplifyConfig>[0]

/**
 * Turns `amplify_outputs.json` into the `Amplify.configure` object. A cloud file passes through
 * unchanged; one written by the offline sandbox also points the client at the local user pool and
 * identity pool, which `amplify_outputs.json` has no fields for (they ride in `custom.offlineSandbox`).
 */
export function amplifyConfigFromOutputs(outputs: AmplifyOutputs): ResourcesConfig {
  const config = withRestApis(parseAmplifyConfig(outputs), outputs)
  const local = (outputs as { custom?: { offlineSandbox?: { userPoolEndpoint?: unknown, identityPoolEndpoint?: unknown } } }).custom?.offlineSandbox
  if (!local) return config
  const cognito = config.Auth?.Cognito
  if (!cognito?.userPoolId || !isUrl(local.userPoolEndpoint)) {
    throw new Error('amplify_outputs.json names an offline sandbox without a valid custom.offlineSandbox.userPoolEndpoint: restart `npm run sandbox`')
  }
  // parseAmplifyConfig returns a new object on every call: setting the fields in place is safe.
  Object.assign(cognito, { userPoolEndpoint: local.userPoolEndpoint })
  if (cognito.identityPoolId) {
    // Without it the client would ask the real Cognito for credentials to a pool that exists only here.
    if (!isUrl(local.identityPoolEndpoint)) {
      throw new Error('amplify_outputs.json names an offline sandbox without a valid custom.offlineSandbox.identityPoolEndpoint: restart `npm run sandbox`')
    }
    Object.assign(cognito, { identityPoolEndpoint: local.identityPoolEndpoint })
  }
  return config
}

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value)
}

/**
 * How long the auth cookies live, in seconds: as long as the refresh token that keeps the session
 * (Amplify Gen 2's default user pool client: 30 days). Change both together.
 */
export const AUTH_COOKIE_MAX_AGE = 30 * 24 * 60 * 60

/**
 * The attributes of every auth cookie, set by the browser or by the server after a refresh.
 * `Secure` only over https: browsers drop Secure cookies on plain http://localhost-style origins.
 * Not HttpOnly: the browser's Amplify client reads the same cookies.
 */
export function authCookieAttributes(options: { secure: boolean }) {
  return { path: '/', sameSite: 'lax' as const, secure: options.secure, maxAge: AUTH_COOKIE_MAX_AGE }
}

/**
 * REST APIs (API Gateway) the backend lists in `custom.API` (`backend.addOutput`, as the Gen 2 docs
 * do), as `API.REST` for `aws-amplify/api`'s `get`, `post`… The offline sandbox writes its local
 * endpoints there, so the same code reaches either.
 */
function withRestApis(config: ResourcesConfig, outputs: AmplifyOutputs): ResourcesConfig {
  const apis = (outputs as { custom?: { API?: unknown } }).custom?.API
  if (!apis || typeof apis !== 'object') return config
  const rest: Record<string, { endpoint: string, region?: string }> = {}
  for (const [name, api] of Object.entries(apis as Record<string, { endpoint?: unknown, region?: unknown }>)) {
    if (!isUrl(api?.endpoint)) throw new Error(`amplify_outputs.json: custom.API.${name}.endpoint is not a URL`)
    rest[name] = { endpoint: api.endpoint as string, ...(typeof api.region === 'string' ? { region: api.region } : {}) }
  }
  return { ...config, API: { ...config.API, REST: rest } }
}
