/**
 * The server's memo of who a Cookie header is (server/amplify/known-users.ts): it answers only the
 * exact header it was filled for, never once a token of it expired, and forgets a header on sign-out.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { createKnownUsers } from '../../../server/amplify/known-users'

let now: number
beforeEach(() => {
  now = Date.UTC(2026, 11, 7, 12)
})
const alice = { username: 'alice-sub', userId: 'alice-sub' }
const bob = { username: 'bob-sub', userId: 'bob-sub' }
const header = (who: string, token = 'a') => `CognitoIdentityServiceProvider.client.LastAuthUser=${who}; CognitoIdentityServiceProvider.client.${who}.idToken=${token}`

describe('who a Cookie header is', () => {
  it('answers each exact header with its own user, and nothing for any other header', () => {
    const users = createKnownUsers({ now: () => now })
    users.set(header('alice'), alice, now + 60_000)
    users.set(header('bob'), bob, now + 60_000)
    expect(users.get(header('alice'))).toEqual(alice)
    expect(users.get(header('bob'))).toEqual(bob)
    // Another token, another order, one more cookie: not the same header, so not known.
    expect(users.get(header('alice', 'b'))).toBeUndefined()
    expect(users.get(`${header('alice')}; x=1`)).toBeUndefined()
    expect(users.get(header('bob').split('; ').reverse().join('; '))).toBeUndefined()
  })

  it('never answers once the earlier of its tokens expired, nor keeps what expired already', () => {
    const users = createKnownUsers({ now: () => now })
    users.set(header('alice'), alice, now + 60_000)
    now += 59_999
    expect(users.get(header('alice'))).toEqual(alice)
    now += 1
    expect(users.get(header('alice'))).toBeUndefined()
    // Even once the clock goes back, the expired entry is gone.
    now -= 30_000
    expect(users.get(header('alice'))).toBeUndefined()
    users.set(header('bob'), bob, now)
    expect(users.get(header('bob'))).toBeUndefined()
  })

  it('forgets a header on sign-out, and only that one', () => {
    const users = createKnownUsers({ now: () => now })
    users.set(header('alice'), alice, now + 60_000)
    users.set(header('bob'), bob, now + 60_000)
    users.forget(header('alice'))
    expect(users.get(header('alice'))).toBeUndefined()
    expect(users.get(header('bob'))).toEqual(bob)
  })

  it('holds a bounded number of sessions, and hands out frozen copies', () => {
    const users = createKnownUsers({ now: () => now, max: 2 })
    users.set(header('a'), alice, now + 60_000)
    users.set(header('b'), bob, now + 60_000)
    users.set(header('c'), bob, now + 60_000)
    expect(users.get(header('a'))).toBeUndefined()
    const known = users.get(header('b'))!
    expect(Object.isFrozen(known)).toBe(true)
    expect(known).not.toBe(bob)
  })
})
