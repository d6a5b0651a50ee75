/** The identity pool as a service of the sandbox: on the auth port, for requests with its `X-Amz-Target`. */
import type { RunningService, Service } from '../core/service'
import { createIdentityPool, identityPoolSettings, isIdentityPoolRequest, type IdentityPool } from './index'
import { IDENTITY_POOL_RESOURCE_TYPES, identityPoolUnserved } from './unserved'

export interface RunningIdentityPool extends RunningService {
  readonly pool: IdentityPool
  readonly endpoint: string
}

export const identityPoolService: Service<'identity', RunningIdentityPool> = {
  name: 'identity',
  port: { shares: 'auth' },
  folder: 'identity',
  resourceTypes: IDENTITY_POOL_RESOURCE_TYPES,
  unserved: identityPoolUnserved,
  async start(context) {
    const userPool = context.service('auth')
    const pool = await createIdentityPool({
      dir: context.dir,
      settings: identityPoolSettings(context.assembly),
      iam: context.iam,
      verifyToken: (token, use, options) => userPool.pool.verifyToken(token, use, options),
      requests: context.requests,
    })
    const endpoint = userPool.endpoint
    return {
      pool,
      endpoint,
      claims: isIdentityPoolRequest,
      handle: (req, res) => pool.handle(req, res),
      outputs: () => ({ identityPoolEndpoint: endpoint }),
      summary: () => pool.settings
        ? [`  Identity   ${endpoint}  (${pool.settings.identityPoolId}, guests ${pool.settings.allowUnauthenticated ? 'allowed' : 'refused'})`]
        : [],
      async reload(assembly) {
        pool.updateSettings(identityPoolSettings(assembly))
      },
      close: () => pool.close(),
    }
  },
}
