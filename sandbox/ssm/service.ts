/**
 * SSM Parameter Store as a service of the sandbox: on the auth port, for requests with its
 * `X-Amz-Target` (functions reach it through AWS_ENDPOINT_URL_SSM). The functions service fills it
 * with the backend's parameters; secrets come from the sandbox's secrets file.
 */
import type { RunningService, Service } from '../core/service'
import { createParameterStore, isParameterStoreRequest, type ParameterStore } from './index'
import { openSecrets } from './secrets'

export interface RunningParameters extends RunningService {
  readonly parameters: ParameterStore
}

export const parameterService: Service<'parameters', RunningParameters> = {
  name: 'parameters',
  port: { shares: 'auth' },
  resourceTypes: ['AWS::SSM::Parameter', 'Custom::AmplifySecretFetcherResource'],
  async start(context) {
    const parameters = createParameterStore({ iam: context.iam, ids: context.ids, secrets: openSecrets(context.dataDir) })
    return {
      parameters,
      claims: isParameterStoreRequest,
      handle: (req, res) => parameters.handle(req, res),
      reload: async () => {},
      close: async () => {},
    }
  },
}
