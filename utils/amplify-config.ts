import type { ResourcesConfig } from 'aws-amplify'
import { parseAmplifyConfig } from 'aws-amplify/utils'

type Outputs = Parameters<typeof parseAmplifyConfig>[0]

/**
 * Turns `amplify_outputs.json` into the `Amplify.configure` object. A cloud file passes through
 * unchanged; one written by the offline sandbox also points the client at the local user pool,
 * which `amplify_outputs.json` has no field for (it rides in `custom.offlineSandbox`).
 */
export function amplifyConfigFromOutputs(outputs: Outputs): ResourcesConfig {
  const config = parseAmplifyConfig(outputs)
  const local = (outputs as { custom?: { offlineSandbox?: { userPoolEndpoint?: unknown } } }).custom?.offlineSandbox
  if (!local) return config
  const cognito = config.Auth?.Cognito
  if (!cognito?.userPoolId || typeof local.userPoolEndpoint !== 'string' || !URL.canParse(local.userPoolEndpoint)) {
    throw new Error('amplify_outputs.json names an offline sandbox without a valid custom.offlineSandbox.userPoolEndpoint: restart `npm run sandbox`')
  }
  // parseAmplifyConfig returns a new object on every call: setting the field in place is safe.
  Object.assign(cognito, { userPoolEndpoint: local.userPoolEndpoint })
  return config
}
