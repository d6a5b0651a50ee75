/**
 * The user pool as a service of the sandbox: it owns the auth port, where the identity pool, SSM
 * and the Lambda API also answer (each claims its requests by their `X-Amz-Target` or path).
 */
import { createServer } from 'node:http'
import { answerMalformedRequests } from '../core/http'
import { SandboxStartError } from '../core/port'
import type { RunningService, Service } from '../core/service'
import type { UserPool, UserPoolSettings } from '../core/types'
import { createUserPool } from './index'
import { userPoolSettings } from './settings'
import { USER_POOL_RESOURCE_TYPES, userPoolUnserved } from './unserved'

export interface RunningUserPool extends RunningService {
  readonly pool: UserPool
  /** `http://127.0.0.1:<port>`: the auth port's URL. */
  readonly endpoint: string
  readonly messagesUrl: string
}

function settingsOf(assembly: Parameters<typeof userPoolSettings>[0]): UserPoolSettings {
  const settings = userPoolSettings(assembly)
  if (!settings) throw new SandboxStartError('amplify/backend.ts defines no auth: the offline sandbox needs defineAuth')
  return settings
}

export const userPoolService: Service<'auth', RunningUserPool> = {
  name: 'auth',
  port: { name: 'auth', default: 20001, serves: 'user pool' },
  folder: 'userpool',
  resourceTypes: USER_POOL_RESOURCE_TYPES,
  unserved: userPoolUnserved,
  async start(context) {
    const pool = await createUserPool({ dir: context.dir, settings: settingsOf(context.assembly), onMessage: context.onMessage, iam: context.iam, requests: context.requests })
    // Triggers run once the functions do: a sign-up during the start waits for them.
    pool.setTriggerInvoker(context.invoke)
    const port = context.port!
    const server = createServer((req, res) => {
      const sharer = context.sharers().find(service => service.claims?.(req))
      if (sharer?.handle) sharer.handle(req, res)
      else pool.handle(req, res)
    })
    answerMalformedRequests(server)
    port.observe(server)
    port.serve(socket => server.emit('connection', socket))
    const endpoint = `http://${port.host}:${port.port}`
    const messagesUrl = `${endpoint}/__sandbox/messages`
    return {
      pool,
      endpoint,
      messagesUrl,
      outputs: () => ({ userPoolEndpoint: endpoint, messagesUrl }),
      summary: () => [
        `  User pool  ${endpoint}  (${pool.settings.userPoolId}, client ${pool.settings.clientId})`,
        `  Messages   ${messagesUrl}  (codes by e-mail and text message, also printed here)`,
      ],
      async reload(assembly) {
        pool.updateSettings(settingsOf(assembly))
      },
      async close() {
        server.closeAllConnections()
        await port.close()
        await pool.close()
      },
    }
  },
}
