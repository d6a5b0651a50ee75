/**
 * REST APIs (API Gateway) as a service of the sandbox. Its port is taken only once the backend has
 * a REST API: a backend without one never needs it.
 */
import type { RunningService, Service } from '../core/service'
import { startRestApis, type LocalRestApis } from './index'
import { REST_RESOURCE_TYPES, restUnserved } from './unserved'

export interface RunningRestApis extends RunningService {
  readonly rest: LocalRestApis
}

export const restService: Service<'rest', RunningRestApis> = {
  name: 'rest',
  port: { name: 'rest', default: 20004, serves: 'REST API (API Gateway)', lazy: true },
  resourceTypes: REST_RESOURCE_TYPES,
  unserved: restUnserved,
  async start(context) {
    const userPool = context.service('auth').pool
    const rest = await startRestApis({
      assembly: context.assembly,
      bind: context.bind,
      iam: context.iam,
      verifyToken: (token, use, options) => userPool.verifyToken(token, use, options),
      invoke: context.invoke,
      log: context.log,
      requests: context.requests,
    })
    return {
      rest,
      outputs: () => ({ ...(rest.endpoint ? { restEndpoint: rest.endpoint } : {}), restApiIds: rest.apis.map(api => api.id) }),
      // One line per stage, at its local URL (what `custom.API` in the outputs says).
      summary: () => rest.apis.flatMap(api => [...api.stages.keys()].map(stage => `  REST       ${rest.url(api.id, stage)}  (${api.name})`)),
      reload: assembly => rest.reload(assembly),
      close: () => rest.close(),
    }
  },
}
