/**
 * The backend's functions as a service of the sandbox: started last, since a function's
 * environment points it at the other services' endpoints. The Lambda API (`sandbox:invoke`,
 * functions invoking functions) answers on the auth port.
 */
import type { RunningService, Service } from '../core/service'
import { createFunctions, type LocalFunctions } from './index'
import { createInvokeApi, isLambdaApiRequest } from './invoke-api'
import { FUNCTION_RESOURCE_TYPES, functionsUnserved } from './unserved'

export interface RunningFunctions extends RunningService {
  readonly functions: LocalFunctions
}

export const functionsService: Service<'functions', RunningFunctions> = {
  name: 'functions',
  port: { shares: 'auth' },
  resourceTypes: FUNCTION_RESOURCE_TYPES,
  unserved: functionsUnserved,
  async start(context) {
    const functions = createFunctions({
      assembly: context.assembly,
      iam: context.iam,
      parameters: context.service('parameters').parameters,
      endpoints: {
        userPoolEndpoint: context.service('auth').endpoint,
        storageEndpoint: context.service('storage').storage.endpoint,
        graphqlUrl: context.service('data').url,
        certificatePath: context.tls.certPath,
      },
      projectDir: context.projectDir,
      log: context.log,
      clock: context.clock,
    })
    return {
      functions,
      claims: isLambdaApiRequest,
      handle: createInvokeApi(() => functions, context.iam),
      reload: assembly => functions.reload(assembly),
      close: () => functions.close(),
    }
  },
}
