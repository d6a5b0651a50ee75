/**
 * The local identity pool's shared state: the definition's settings (replaced on reload), the
 * identities on disk, the sandbox's IAM that issues credentials, and the user pool's token check.
 */
import type { SandboxIam } from '../iam'
import type { UserPool } from '../core/types'
import { identityPoolNotFound } from './errors'
import type { IdentityPoolSettings } from './settings'
import type { IdentityFile } from './state-file'

export class LocalIdentityPool {
  constructor(
    /** Undefined when the definition has no identity pool: every call is then ResourceNotFound. */
    public settings: IdentityPoolSettings | undefined,
    readonly identities: IdentityFile,
    readonly iam: SandboxIam,
    readonly verifyToken: UserPool['verifyToken'],
  ) {}

  /** The settings of the pool `identityPoolId` names, or ResourceNotFoundException. */
  pool(identityPoolId: string): IdentityPoolSettings {
    if (!this.settings || this.settings.identityPoolId !== identityPoolId) throw identityPoolNotFound(identityPoolId)
    return this.settings
  }

  /** The settings of the pool an identity id belongs to (identities live in this sandbox's one pool). */
  poolOf(identityId: string): IdentityPoolSettings {
    if (!this.settings) throw identityPoolNotFound(identityId)
    return this.settings
  }
}
