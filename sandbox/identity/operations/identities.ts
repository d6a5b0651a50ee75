/** GetId: the identity of a guest (a new one each time) or of a signed-in user (theirs, for good). */
import { guestAccessDisabled } from '../errors'
import { logins, optionalString, requireId, type Body } from '../params'
import type { LocalIdentityPool } from '../pool'
import { verifyLogins } from './logins'

export async function getId(pool: LocalIdentityPool, body: Body): Promise<Body> {
  const settings = pool.pool(requireId(body, 'IdentityPoolId'))
  optionalString(body, 'AccountId', 15)
  const login = await verifyLogins(pool, settings, logins(body))
  if (!login) {
    if (!settings.allowUnauthenticated) throw guestAccessDisabled()
    // A guest who already has an identity sends it to GetCredentialsForIdentity instead of calling this.
    return { IdentityId: (await pool.identities.create(settings.region)).identityId }
  }
  const existing = pool.identities.byLoginKey(login.key)
  return { IdentityId: (existing ?? await pool.identities.create(settings.region, login.key)).identityId }
}
