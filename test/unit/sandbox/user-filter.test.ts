/**
 * ListUsers' Filter syntax (`email = "x"`, `email ^= "x"`) and what it matches, as scripts that
 * look a user up by e-mail rely on.
 */
import { describe, expect, it } from 'vitest'
import { matchesFilter, parseUserFilter, type FilterableUser } from '../../../sandbox/cognito/user-filter'

const ada: FilterableUser = {
  sub: '7d4e2c1a-5b3f-4e6d-9a8c-0f1e2d3c4b5a',
  status: 'CONFIRMED',
  attributes: { 'email': 'Ada@Example.com', 'name': 'Ada "the Countess" Lovelace', 'custom:team': 'math' },
}
const matches = (filter: string, caseSensitive = false) => matchesFilter(parseUserFilter(filter)!, ada, caseSensitive)

describe('parseUserFilter', () => {
  it('reads exact and prefix filters, with or without spaces around the operator', () => {
    expect(parseUserFilter('email = "ada@example.com"')).toEqual({ attribute: 'email', prefix: false, value: 'ada@example.com' })
    expect(parseUserFilter('email^="ada"')).toEqual({ attribute: 'email', prefix: true, value: 'ada' })
    expect(parseUserFilter('  cognito:user_status = "CONFIRMED"  ')).toEqual({ attribute: 'cognito:user_status', prefix: false, value: 'CONFIRMED' })
  })

  it('unescapes quotes and backslashes inside the value', () => {
    expect(parseUserFilter('name = "Ada \\"the Countess\\" Lovelace"')?.value).toBe('Ada "the Countess" Lovelace')
    expect(parseUserFilter('name = "back\\\\slash"')?.value).toBe('back\\slash')
  })

  it('takes an empty filter as none', () => {
    expect(parseUserFilter('')).toBeUndefined()
    expect(parseUserFilter('   ')).toBeUndefined()
  })

  it('refuses anything else with Cognito\'s InvalidParameterException', () => {
    for (const filter of ['email', 'email = ada@example.com', 'email == "x"', 'email != "x"', 'email = "x" or name = "y"', 'email = "unterminated', 'custom:team = "math"', 'password = "x"', '= "x"']) {
      expect(() => parseUserFilter(filter), filter).toThrow(expect.objectContaining({ type: 'InvalidParameterException', message: 'Error while parsing filter.' }))
    }
  })
})

describe('matchesFilter', () => {
  it('matches exactly with = and by prefix with ^=', () => {
    expect(matches('email = "ada@example.com"')).toBe(true)
    expect(matches('email = "ada@example"')).toBe(false)
    expect(matches('email ^= "ada@"')).toBe(true)
    expect(matches('email ^= "bob"')).toBe(false)
    expect(matches('name = "Ada \\"the Countess\\" Lovelace"')).toBe(true)
  })

  it('compares sign-in names as the pool does: case-insensitively only in a case-insensitive pool', () => {
    expect(matches('email = "ADA@EXAMPLE.COM"', false)).toBe(true)
    expect(matches('email = "ada@example.com"', true)).toBe(false)
    expect(matches('email = "Ada@Example.com"', true)).toBe(true)
    // Other attributes are compared as stored.
    expect(matches('name ^= "ada"', false)).toBe(false)
  })

  it('finds users by username and sub (the same here), status, and not by attributes they lack', () => {
    expect(matches(`username = "${ada.sub}"`)).toBe(true)
    expect(matches('sub ^= "7d4e"')).toBe(true)
    expect(matches('cognito:user_status = "CONFIRMED"')).toBe(true)
    expect(matches('status = "Enabled"')).toBe(true)
    expect(matches('phone_number ^= ""')).toBe(false)
  })
})
