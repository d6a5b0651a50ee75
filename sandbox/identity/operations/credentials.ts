/**
 * GetCredentialsForIdentity: temporary credentials for an identity, acting as the role its login
 * maps to. A guest's identity used with a login becomes that user's identity, or, when the user
 * already has one, is merged into it: the answer's IdentityId then names the user's identity, which
 * aws-amplify keeps from then on, and the guest's is disabled (refused, with or without logins).
 */
import { guestAccessDisabled, identityForbidden, identityNotFound, loginsDontMatch } from '../errors'
import { logins, optionalString, requireId, type Body } from '../params'
import type { LocalIdentityPool } from '../pool'
import { verifyLogins } from './logins'
import { authMethods, chooseRole } from './roles'

/** The session name STS gives credentials from the identity pool (in `assumed-role/<role>/<session>`). */
const SESSION_NAME = 'CognitoIdentityCredentials'

export async function getCredentialsForIdentity(pool: LocalIdentityPool, body: Body): Promise<Body> {
  const requestedId = requireId(body, 'IdentityId')
  const customRoleArn = optionalString(body, 'CustomRoleArn', 2048)
  const settings = pool.poolOf(requestedId)
  const login = await verifyLogins(pool, settings, logins(body))
  let identity = pool.identities.get(requestedId)
  if (!identity) throw identityNotFound(requestedId)
  if (identity.disabled) throw identityForbidden(requestedId)

  if (!login) {
    if (identity.logins.length > 0) throw loginsDontMatch()
    if (!settings.allowUnauthenticated) throw guestAccessDisabled()
  }
  else if (!identity.logins.includes(login.key)) {
    if (identity.logins.length > 0) throw loginsDontMatch()
    const users = pool.identities.byLoginKey(login.key)
    if (users) {
      await pool.identities.disable(identity)
      identity = users
    }
    else {
      await pool.identities.link(identity, login.key)
    }
  }

  const role = chooseRole(pool, settings, identity.identityId, login, customRoleArn)
  const credentials = await pool.iam.issue({
    roleArn: role.arn,
    sessionName: SESSION_NAME,
    identity: {
      identityPoolId: settings.identityPoolId,
      identityId: identity.identityId,
      authType: login ? 'authenticated' : 'unauthenticated',
      ...(login ? { authProvider: authMethods(login).slice(1).map(part => `"${part}"`).join(',') } : {}),
    },
  })
  return {
    IdentityId: identity.identityId,
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      // Epoch seconds, as Cognito Identity's JSON protocol sends timestamps.
      Expiration: Math.floor(credentials.expiresAt / 1000),
    },
  }
}
