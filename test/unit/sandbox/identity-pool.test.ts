/**
 * The identity pool's decisions, apart from HTTP and disk: which logins it believes (the user pool's
 * token check, Cognito's errors), and which role it hands out: the guest and authenticated roles, a
 * user-pool group's role through the id token's `cognito:preferred_role` (Token mapping) or claim
 * rules (Rules mapping), the mapping's AmbiguousRoleResolution, and the roles' trust policies as STS
 * would check them; and a guest's identity merged into a user's, disabled as Cognito disables it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SandboxIam } from '../../../sandbox/iam'
import type { PolicyDocument, Role } from '../../../sandbox/iam/types'
import { getCredentialsForIdentity } from '../../../sandbox/identity/operations/credentials'
import { verifyLogins, type VerifiedLogin } from '../../../sandbox/identity/operations/logins'
import { chooseRole } from '../../../sandbox/identity/operations/roles'
import { LocalIdentityPool } from '../../../sandbox/identity/pool'
import type { IdentityPoolSettings, RoleMapping } from '../../../sandbox/identity/settings'
import { IdentityFile } from '../../../sandbox/identity/state-file'

const POOL = 'us-east-1:00000000-0000-4000-8000-000000000001'
const PROVIDER = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool12345'
const CLIENT = 'client0000000000000000000a'
const IDENTITY = 'us-east-1:11111111-1111-4111-8111-111111111111'

/** Trust as `defineAuth` synthesizes it: this pool's identities, authenticated or not. */
const trust = (amr: 'authenticated' | 'unauthenticated', pool = POOL): PolicyDocument => ({
  Statement: [{
    Effect: 'Allow',
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { 'StringEquals': { 'cognito-identity.amazonaws.com:aud': pool }, 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': amr } },
  }],
})
const role = (name: string, trustPolicy: PolicyDocument): Role => ({ arn: `arn:aws:iam::000000000000:role/${name}`, name, policies: [], trustPolicy })
const roles = [
  role('auth', trust('authenticated')),
  role('guest', trust('unauthenticated')),
  role('AdminGroupRole', trust('authenticated')),
  role('ForeignRole', trust('authenticated', 'us-east-1:another-pool')),
]
const arn = (name: string) => `arn:aws:iam::000000000000:role/${name}`

function pool(mapping?: RoleMapping, roleNames = { authenticated: arn('auth'), unauthenticated: arn('guest') }, verifyToken: LocalIdentityPool['verifyToken'] = async () => ({}), store = {} as IdentityFile) {
  const settings: IdentityPoolSettings = {
    identityPoolId: POOL,
    region: 'us-east-1',
    allowUnauthenticated: true,
    providers: [{ providerName: PROVIDER, clientId: CLIENT }],
    otherProviders: [],
    roles: roleNames,
    roleMappings: new Map(mapping ? [[`${PROVIDER}:${CLIENT}`, mapping]] : []),
  }
  const iam = {
    roles: new Map(roles.map(r => [r.arn, r])),
    issue: async () => ({ accessKeyId: 'ASIAUNITTEST', secretAccessKey: 'secret', sessionToken: 'session', expiresAt: Date.now() + 3_600_000 }),
  } as unknown as SandboxIam
  return { settings, pool: new LocalIdentityPool(settings, store, iam, verifyToken) }
}

const login = (claims: Record<string, unknown> = {}): VerifiedLogin =>
  ({ providerName: PROVIDER, clientId: CLIENT, sub: 'sub-1', claims: { sub: 'sub-1', ...claims }, key: `${PROVIDER}:sub-1` })

const token: RoleMapping = { type: 'Token', ambiguousRoleResolution: 'AuthenticatedRole', rules: [] }

describe('the identity pool\'s choice of role', () => {
  it('gives guests the unauthenticated role and signed-in users the authenticated one', () => {
    const { pool: p, settings } = pool(token)
    expect(chooseRole(p, settings, IDENTITY, undefined).name).toBe('guest')
    expect(chooseRole(p, settings, IDENTITY, login()).name).toBe('auth')
  })

  it('gives a group member the role their id token prefers (Token mapping), if its trust lets this pool hand it out', () => {
    const { pool: p, settings } = pool(token)
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:groups': ['Admin'], 'cognito:roles': [arn('AdminGroupRole')], 'cognito:preferred_role': arn('AdminGroupRole') })).name).toBe('AdminGroupRole')
    // A role the backend does not define, or whose trust names another pool: ambiguous, so the authenticated role.
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:preferred_role': arn('Nowhere') })).name).toBe('auth')
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:preferred_role': arn('ForeignRole') })).name).toBe('auth')
    // A guest role is not for signed-in users (its trust says unauthenticated).
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:preferred_role': arn('guest') })).name).toBe('auth')
  })

  it('refuses an ambiguous token when the mapping says Deny', () => {
    const { pool: p, settings } = pool({ ...token, ambiguousRoleResolution: 'Deny' })
    expect(() => chooseRole(p, settings, IDENTITY, login())).toThrow(expect.objectContaining({ type: 'NotAuthorizedException' }))
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:preferred_role': arn('AdminGroupRole') })).name).toBe('AdminGroupRole')
  })

  it('takes CustomRoleArn only among the roles the token lists', () => {
    const { pool: p, settings } = pool(token)
    const claims = { 'cognito:roles': [arn('AdminGroupRole'), arn('auth')], 'cognito:preferred_role': arn('AdminGroupRole') }
    expect(chooseRole(p, settings, IDENTITY, login(claims), arn('auth')).name).toBe('auth')
    expect(() => chooseRole(p, settings, IDENTITY, login(claims), arn('ForeignRole'))).toThrow(expect.objectContaining({ type: 'InvalidParameterException' }))
  })

  it('applies claim rules in order (Rules mapping), a list claim matching on any value', () => {
    const { pool: p, settings } = pool({
      type: 'Rules',
      ambiguousRoleResolution: 'Deny',
      rules: [
        { claim: 'cognito:groups', matchType: 'Equals', value: 'Admin', roleArn: arn('AdminGroupRole') },
        { claim: 'email', matchType: 'Contains', value: '@example.com', roleArn: arn('auth') },
      ],
    })
    expect(chooseRole(p, settings, IDENTITY, login({ 'cognito:groups': ['Editors', 'Admin'] })).name).toBe('AdminGroupRole')
    expect(chooseRole(p, settings, IDENTITY, login({ email: 'ann@example.com' })).name).toBe('auth')
    expect(() => chooseRole(p, settings, IDENTITY, login({ email: 'ann@elsewhere.org' }))).toThrow(expect.objectContaining({ type: 'NotAuthorizedException' }))
  })

  it('says the pool is misconfigured when it names no usable role', () => {
    const { pool: p, settings } = pool(undefined, { authenticated: arn('auth'), unauthenticated: arn('auth') })
    expect(() => chooseRole(p, settings, IDENTITY, undefined)).toThrow(expect.objectContaining({ type: 'InvalidIdentityPoolConfigurationException' }))
  })
})

describe('the identity pool\'s logins', () => {
  /** An unsigned JWT with these claims: what the fake verifier below is handed. */
  const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const expired = Object.assign(new Error('"exp" claim timestamp check failed'), { code: 'ERR_JWT_EXPIRED' })
  const claims = { sub: 'sub-1', iss: `https://${PROVIDER}`, aud: CLIENT, token_use: 'id' }
  const checking = (verify: LocalIdentityPool['verifyToken']) => pool(undefined, undefined, verify)

  it('believes an id token the user pool verifies, without its revocation check, as Cognito Identity does', async () => {
    const asked: unknown[] = []
    const { pool: p, settings } = checking(async (token, use, options) => {
      asked.push({ use, options })
      return claims
    })
    expect(await verifyLogins(p, settings, { [PROVIDER]: jwt(claims) })).toMatchObject({ providerName: PROVIDER, clientId: CLIENT, sub: 'sub-1', key: `${PROVIDER}:sub-1` })
    expect(asked).toEqual([{ use: 'id', options: { checkRevocation: false } }])
    expect(await verifyLogins(p, settings, {})).toBeUndefined()
  })

  it('answers a bad, expired or foreign token with Cognito\'s NotAuthorizedException', async () => {
    const refused = (verify: LocalIdentityPool['verifyToken'], logins: Record<string, string>) => {
      const { pool: p, settings } = checking(verify)
      return verifyLogins(p, settings, logins)
    }
    await expect(refused(async () => {
      throw new Error('signature verification failed')
    }, { [PROVIDER]: jwt(claims) })).rejects.toMatchObject({ type: 'NotAuthorizedException', message: 'Invalid login token. Not a valid OpenId Connect identity token.' })
    await expect(refused(async () => {
      throw expired
    }, { [PROVIDER]: jwt({ ...claims, exp: 1_700_000_000 }) })).rejects.toMatchObject({ type: 'NotAuthorizedException', message: expect.stringMatching(/^Invalid login token\. Token expired: 1700000000 >= \d+$/) })
    await expect(refused(async () => claims, { 'accounts.google.com': jwt(claims) }))
      .rejects.toMatchObject({ type: 'NotAuthorizedException', message: 'Token is not from a supported provider of this identity pool.' })
    // A genuine token of this pool, named under another provider key, is not believed.
    await expect(refused(async () => ({ ...claims, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }), { [PROVIDER]: jwt(claims) }))
      .rejects.toMatchObject({ type: 'NotAuthorizedException', message: 'Invalid login token. Issuer doesn\'t match providerName' })
  })
})

describe('a guest\'s identity merged into a user\'s', () => {
  const claims = { sub: 'sub-1', iss: `https://${PROVIDER}`, aud: CLIENT, token_use: 'id' }
  const logins = { [PROVIDER]: 'id-token' }

  it('is refused from then on as Cognito refuses a disabled identity, with or without logins, across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'identity-store-'))
    try {
      let store = await IdentityFile.open(dir)
      const user = await store.create('us-east-1', `${PROVIDER}:sub-1`)
      const guest = await store.create('us-east-1')
      const { pool: p } = pool(token, undefined, async () => claims, store)

      // Signing in on a browser that browsed as a guest: the answer names the user's identity.
      expect(await getCredentialsForIdentity(p, { IdentityId: guest.identityId, Logins: logins })).toMatchObject({ IdentityId: user.identityId })
      const forbidden = { type: 'NotAuthorizedException', message: `Access to Identity '${guest.identityId}' is forbidden.` }
      await expect(getCredentialsForIdentity(p, { IdentityId: guest.identityId })).rejects.toMatchObject(forbidden)
      await expect(getCredentialsForIdentity(p, { IdentityId: guest.identityId, Logins: logins })).rejects.toMatchObject(forbidden)

      await store.close()
      store = await IdentityFile.open(dir)
      const { pool: restarted } = pool(token, undefined, async () => claims, store)
      await expect(getCredentialsForIdentity(restarted, { IdentityId: guest.identityId })).rejects.toMatchObject(forbidden)
      // The user's own identity is unaffected, and an id never handed out is still unknown.
      expect(await getCredentialsForIdentity(restarted, { IdentityId: user.identityId, Logins: logins })).toMatchObject({ IdentityId: user.identityId })
      await expect(getCredentialsForIdentity(restarted, { IdentityId: IDENTITY }))
        .rejects.toMatchObject({ type: 'ResourceNotFoundException', message: `Identity '${IDENTITY}' not found.` })
      await store.close()
    }
    finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
