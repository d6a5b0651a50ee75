/**
 * The backend's functions as a service of the sandbox: started last, since a function's
 * environment points it at the other services' endpoints. The Lambda API (`sandbox:invoke`,
 * functions invoking functions) answers on the auth port.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Iam } from '../iam/types'
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
    // The Invoke API's invocations are recorded as made by the role that signed the request: each
    // request runs in an async context of its own, where IAM's verdict on its signature leaves the
    // role for the invoke that follows (./invoke-api.ts needs to know nothing of it).
    const apiCall = new AsyncLocalStorage<{ role?: string }>()
    const iam = context.iam
    const apiIam: Iam = {
      async verify(request, service) {
        const verified = await iam.verify(request, service)
        const call = apiCall.getStore()
        if (call && verified.ok) call.role = verified.principal.role.name
        return verified
      },
      isAllowed: (...args) => iam.isAllowed(...args),
      authorize: (...args) => iam.authorize(...args),
      explain: (...args) => iam.explain(...args),
      get roles() {
        return iam.roles
      },
      get adminPrincipal() {
        return iam.adminPrincipal
      },
    }
    const apiFunctions: LocalFunctions = {
      ...functions,
      invoke: (reference, event) => functions.invoke(reference, event, `Lambda Invoke API by ${apiCall.getStore()?.role ?? 'an unknown caller'}`),
    }
    const invokeApi = createInvokeApi(() => apiFunctions, apiIam, context.requests)
    return {
      functions,
      claims: isLambdaApiRequest,
      handle: (req, res) => apiCall.run({}, () => invokeApi(req, res)),
      reload: assembly => functions.reload(assembly),
      close: () => functions.close(),
    }
  },
}
