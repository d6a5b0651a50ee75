/**
 * `aws-amplify` as the seed script sees it under `npm run sandbox:seed`: the app's own package,
 * with `Amplify.configure` also pointing the client at the sandbox's user pool and identity pool.
 * amplify_outputs.json has no field for those endpoints (the sandbox writes them to
 * `custom.offlineSandbox`), so a script that calls `Amplify.configure(outputs)`, as the Gen 2 docs
 * write it, would otherwise sign in against the cloud. The app does the same in
 * utils/amplify-config.ts; this process only runs the seed, so changing the singleton is safe.
 */
import { Amplify } from 'aws-amplify'
import { ConsoleLogger, parseAmplifyConfig } from 'aws-amplify/utils'

export * from 'aws-amplify'

type Config = Parameters<typeof Amplify.configure>[0]

interface Offline { userPoolEndpoint?: string, identityPoolEndpoint?: string }

function withOfflineEndpoints(config: Config): Config {
  const local = (config as { custom?: { offlineSandbox?: Offline } }).custom?.offlineSandbox
  if (!local?.userPoolEndpoint) return config
  const parsed = parseAmplifyConfig(config as Parameters<typeof parseAmplifyConfig>[0])
  const cognito = parsed.Auth?.Cognito
  if (!cognito) return parsed
  // Amplify warns about a custom endpoint at every call; here that endpoint is the point.
  if (!ConsoleLogger.LOG_LEVEL) ConsoleLogger.LOG_LEVEL = 'ERROR'
  return {
    ...parsed,
    Auth: { ...parsed.Auth, Cognito: { ...cognito, userPoolEndpoint: local.userPoolEndpoint, ...(local.identityPoolEndpoint ? { identityPoolEndpoint: local.identityPoolEndpoint } : {}) } },
  } as Config
}

const configure = Amplify.configure.bind(Amplify)
Amplify.configure = (config, options) => configure(withOfflineEndpoints(config), options)
