/**
 * The router: every operation the identity pool answers, by its `X-Amz-Target` name. aws-amplify 6
 * calls GetId and GetCredentialsForIdentity, for guests and signed-in users alike.
 */
import { unknownOperation } from '../errors'
import type { Body } from '../params'
import type { LocalIdentityPool } from '../pool'
import { getCredentialsForIdentity } from './credentials'
import { getId } from './identities'

export type Operation = (pool: LocalIdentityPool, body: Body) => Promise<Body>

export const TARGET_PREFIX = 'AWSCognitoIdentityService.'

const OPERATIONS: Record<string, Operation> = {
  GetId: getId,
  GetCredentialsForIdentity: getCredentialsForIdentity,
}

/** Runs the operation `target` names; whatever it changed is on disk before this resolves. */
export function call(pool: LocalIdentityPool, target: string, body: Body): Promise<Body> {
  const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
  // Own properties only: `constructor` or `toString` must not reach Object.prototype.
  const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined
  if (!operation) throw unknownOperation(target)
  return operation(pool, body)
}
