/**
 * The offline sandbox's Cognito identity pool: guests and signed-in users get an identity id and
 * temporary credentials (issued by the sandbox's IAM, acting as the definition's roles) from an
 * endpoint the real aws-amplify v6 client talks to unchanged through `Auth.Cognito.identityPoolEndpoint`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestLog } from '../core/requests'
import type { SandboxIam } from '../iam'
import type { UserPool } from '../core/types'
import { createHandler } from './http'
import { TARGET_PREFIX } from './operations'
import { LocalIdentityPool } from './pool'
import type { IdentityPoolSettings } from './settings'
import { IdentityFile } from './state-file'

export { identityPoolSettings, type IdentityPoolSettings } from './settings'

export interface CreateIdentityPoolOptions {
  /** Folder for the identities; created if missing. */
  dir: string
  /** From `identityPoolSettings(assembly)`; undefined when the definition has no identity pool. */
  settings: IdentityPoolSettings | undefined
  iam: SandboxIam
  /** The user pool's verifier: every login token is checked with it. */
  verifyToken: UserPool['verifyToken']
  /** Where each operation's caller and outcome are recorded. */
  requests?: RequestLog
}

export interface IdentityPool {
  /** Undefined when the definition has no identity pool. */
  readonly settings: IdentityPoolSettings | undefined
  /** Handles one HTTP request to the Cognito Identity endpoint (`POST /` with its `X-Amz-Target`, CORS preflights). */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** Applies the settings of a new backend definition; identities stay. */
  updateSettings(settings: IdentityPoolSettings | undefined): void
  /** Resolves once everything acknowledged is on disk. */
  close(): Promise<void>
}

/** True for a request meant for the identity pool rather than the user pool on the same port. */
export function isIdentityPoolRequest(req: IncomingMessage): boolean {
  const target = req.headers['x-amz-target']
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX)
}

export async function createIdentityPool(opts: CreateIdentityPoolOptions): Promise<IdentityPool> {
  const file = await IdentityFile.open(opts.dir)
  const pool = new LocalIdentityPool(opts.settings, file, opts.iam, opts.verifyToken)
  return {
    get settings() {
      return pool.settings
    },
    handle: createHandler(pool, opts.requests),
    updateSettings(settings) {
      pool.settings = settings
    },
    close: () => file.close(),
  }
}
