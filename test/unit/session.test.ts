import { describe, expect, it } from 'vitest'
import { isAdmin, safeRedirect, sessionUserFrom } from '../../utils/session'

describe('safeRedirect', () => {
  it('keeps paths on this site, query and hash included', () => {
    expect(safeRedirect('/todos')).toBe('/todos')
    expect(safeRedirect('/profile?tab=1#top')).toBe('/profile?tab=1#top')
  })

  it.each([
    ['another site', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/todos'],
    ['a backslash URL browsers read as protocol-relative', '/\\evil.example'],
    ['a tab browsers strip', '/\t/evil.example'],
    ['a relative path', 'todos'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['an empty value', ''],
    ['a repeated query parameter', ['/a', '/b']],
    ['no value', undefined],
  ])('falls back to /todos for %s', (_, target) => {
    expect(safeRedirect(target)).toBe('/todos')
  })
})

describe('sessionUserFrom', () => {
  const jwt = (payload: Record<string, unknown>) => ({ payload: payload as Record<string, string>, toString: () => 'token' })

  it('takes the user id from the access token and the email from the id token', () => {
    expect(sessionUserFrom({
      accessToken: jwt({ sub: 'u-1', username: 'u-1' }),
      idToken: jwt({ sub: 'u-1', email: 'ada@example.com' }),
    })).toEqual({ userId: 'u-1', username: 'u-1', email: 'ada@example.com', groups: [] })
  })

  it('takes the groups from the access token, and only strings', () => {
    const user = sessionUserFrom({ accessToken: jwt({ 'sub': 'u-1', 'username': 'u-1', 'cognito:groups': ['Admin', 7, 'Editors'] }) })
    expect(user?.groups).toEqual(['Admin', 'Editors'])
    expect(isAdmin(user)).toBe(true)
    expect(isAdmin(sessionUserFrom({ accessToken: jwt({ 'sub': 'u-1', 'username': 'u-1', 'cognito:groups': 'Admin' }) }))).toBe(false)
    expect(isAdmin(null)).toBe(false)
  })

  it('is signed out without tokens', () => {
    expect(sessionUserFrom(undefined)).toBeNull()
    expect(sessionUserFrom(null)).toBeNull()
  })

  it('has no email without an id token', () => {
    expect(sessionUserFrom({ accessToken: jwt({ sub: 'u-1', username: 'u-1' }) })?.email).toBeNull()
  })
})
