/**
 * The group claims tokens carry (`cognito:groups`, `cognito:roles`, `cognito:preferred_role`), by
 * Cognito's precedence rules.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { groupClaims } from '../../../sandbox/cognito/groups'
import type { UserPoolGroup } from '../../../sandbox/core/types'
import { issueTokens } from '../../../sandbox/cognito/tokens'
import { testPoolKeys } from './pool-keys'

const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`
/** As `defineAuth({ groups: ['Admin', 'Editors'] })` synthesizes them, plus groups CDK could add. */
const ADMIN: UserPoolGroup = { name: 'Admin', precedence: 0, roleArn: role('AdminRole') }
const EDITORS: UserPoolGroup = { name: 'Editors', precedence: 1, roleArn: role('EditorsRole') }

describe('groupClaims', () => {
  it('is absent for a user in no group, as Cognito then sends no claim', () => {
    expect(groupClaims([ADMIN, EDITORS], [])).toBeUndefined()
    // A membership of a group the definition no longer has counts for nothing.
    expect(groupClaims([ADMIN, EDITORS], ['Removed'])).toBeUndefined()
  })

  it('orders groups by precedence, whatever the order they were joined in', () => {
    expect(groupClaims([EDITORS, ADMIN], ['Editors', 'Admin'])).toEqual({
      groups: ['Admin', 'Editors'],
      roles: [ADMIN.roleArn, EDITORS.roleArn],
      preferredRole: ADMIN.roleArn,
    })
    expect(groupClaims([ADMIN, EDITORS], ['Editors'])).toEqual({ groups: ['Editors'], roles: [EDITORS.roleArn], preferredRole: EDITORS.roleArn })
  })

  it('puts groups without a precedence last and breaks ties by name', () => {
    const defined: UserPoolGroup[] = [{ name: 'zeta' }, { name: 'beta', precedence: 5 }, { name: 'alpha', precedence: 5 }, { name: 'gamma' }, { name: 'top', precedence: 0 }]
    expect(groupClaims(defined, defined.map(g => g.name))?.groups).toEqual(['top', 'alpha', 'beta', 'gamma', 'zeta'])
  })

  it('prefers the role of the highest-precedence group that has one, listing each role once', () => {
    const defined: UserPoolGroup[] = [
      { name: 'NoRole', precedence: 0 },
      { name: 'Readers', precedence: 3, roleArn: role('Read') },
      { name: 'AlsoReaders', precedence: 4, roleArn: role('Read') },
      { name: 'Writers', precedence: 7, roleArn: role('Write') },
    ]
    expect(groupClaims(defined, ['Writers', 'AlsoReaders', 'NoRole', 'Readers'])).toEqual({
      groups: ['NoRole', 'Readers', 'AlsoReaders', 'Writers'],
      roles: [role('Read'), role('Write')],
      preferredRole: role('Read'),
    })
  })

  it('leaves the preferred role out when the top groups tie with different roles, and keeps it when they share one', () => {
    const tie: UserPoolGroup[] = [{ name: 'A', precedence: 1, roleArn: role('A') }, { name: 'B', precedence: 1, roleArn: role('B') }]
    expect(groupClaims(tie, ['A', 'B'])).toEqual({ groups: ['A', 'B'], roles: [role('A'), role('B')] })
    const shared: UserPoolGroup[] = [{ name: 'A', precedence: 1, roleArn: role('S') }, { name: 'B', precedence: 1, roleArn: role('S') }]
    expect(groupClaims(shared, ['A', 'B'])).toEqual({ groups: ['A', 'B'], roles: [role('S')], preferredRole: role('S') })
  })

  it('has no roles for groups without any', () => {
    expect(groupClaims([{ name: 'Plain', precedence: 0 }], ['Plain'])).toEqual({ groups: ['Plain'], roles: [] })
  })
})

describe('tokens of a user in groups', () => {
  it('carry cognito:groups in both tokens and the roles in the id token only', async () => {
    const keys = await testPoolKeys()
    const base = {
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Groups42',
      clientId: 'groupstestclient0123456789',
      sub: '7d4e2c1a-5b3f-4e6d-9a8c-0f1e2d3c4b5a',
      originJti: 'a1b2c3d4-0000-4000-8000-000000000001',
      authTime: 1_790_000_000,
      attributes: { email: 'ada@example.com' },
      accessSeconds: 3600,
      idSeconds: 3600,
    }
    const tokens = await issueTokens(keys, { ...base, groups: groupClaims([ADMIN, EDITORS], ['Editors', 'Admin']) })
    expect(decodeJwt(tokens.AccessToken)['cognito:groups']).toEqual(['Admin', 'Editors'])
    expect(decodeJwt(tokens.AccessToken)).not.toHaveProperty('cognito:roles')
    expect(decodeJwt(tokens.IdToken)).toMatchObject({
      'cognito:groups': ['Admin', 'Editors'],
      'cognito:roles': [ADMIN.roleArn, EDITORS.roleArn],
      'cognito:preferred_role': ADMIN.roleArn,
    })

    const none = await issueTokens(keys, base)
    for (const token of [none.AccessToken, none.IdToken]) {
      expect(Object.keys(decodeJwt(token)).filter(claim => claim.startsWith('cognito:') && claim !== 'cognito:username')).toEqual([])
    }
  })
})
