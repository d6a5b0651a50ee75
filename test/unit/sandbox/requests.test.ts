/**
 * The sandbox's request log: a ring of the last entries, newest first, filtered by service, by
 * refusal and by who; and how a signed request's caller is named from its credentials.
 */
import { describe, expect, it } from 'vitest'
import { principalCaller, RequestLog, type RequestCaller } from '../../../sandbox/core/requests'
import type { Principal } from '../../../sandbox/iam/types'

const ann: RequestCaller = { kind: 'user', label: 'ann@example.com', sub: 'sub-ann' }
const guest: RequestCaller = { kind: 'guest', label: 'us-east-1:g', identityId: 'us-east-1:g', role: 'unauthRole' }

describe('the request log', () => {
  it('keeps the last entries only, newest first', () => {
    const log = new RequestLog(3)
    for (let i = 1; i <= 5; i++) log.record({ service: 'data', who: ann, what: `request ${i}`, decision: 'allowed', status: 200 })
    expect(log.list().map(record => record.what)).toEqual(['request 5', 'request 4', 'request 3'])
    expect(log.list().map(record => record.seq)).toEqual([5, 4, 3])
  })

  it('filters by service, to refusals, and by who (case-insensitively, through `describe`)', () => {
    const log = new RequestLog()
    log.record({ service: 'data', who: ann, what: 'Query.listTodos on Todo', decision: 'allowed', status: 200 })
    log.record({ service: 'storage', who: guest, what: 'PutObject files/x', decision: 'refused', status: 403, reason: 'no policy' })
    log.record({ service: 'data', who: ann, what: 'Mutation.updateTodo on Todo', decision: 'refused', status: 200, reason: 'owner rule' })
    expect(log.list({ service: 'storage' }).map(r => r.what)).toEqual(['PutObject files/x'])
    expect(log.list({ refused: true }).map(r => r.what)).toEqual(['Mutation.updateTodo on Todo', 'PutObject files/x'])
    expect(log.list({ who: 'ANN@' }).length).toBe(2)
    expect(log.list({ who: 'unauthrole' }).map(r => r.what)).toEqual(['PutObject files/x'])
    expect(log.list({ who: 'guest', service: 'data' })).toEqual([])
    expect(log.list({ who: 'annie' }, who => (who.sub === 'sub-ann' ? 'Annie' : who.label)).length).toBe(2)
  })
})

describe('naming a signed request\'s caller', () => {
  const role = { arn: 'arn:aws:iam::000000000000:role/authRole', name: 'authRole', policies: [] }
  const principal = (identity?: Principal['identity']): Principal => ({ accessKeyId: 'ASIA', role, userArn: 'arn:aws:sts::000000000000:assumed-role/authRole/s', admin: false, ...(identity ? { identity } : {}) })

  it('a signed-in user by the sub their identity was issued for, with the identity and the role', () => {
    const authProvider = '"cognito-idp.us-east-1.amazonaws.com/us-east-1_x","cognito-idp.us-east-1.amazonaws.com/us-east-1_x:CognitoSignIn:sub-ann"'
    expect(principalCaller(principal({ identityPoolId: 'p', identityId: 'us-east-1:a', authType: 'authenticated', authProvider })))
      .toEqual({ kind: 'user', label: 'sub-ann', sub: 'sub-ann', identityId: 'us-east-1:a', role: 'authRole' })
  })

  it('a guest by their identity, a role by its name', () => {
    expect(principalCaller(principal({ identityPoolId: 'p', identityId: 'us-east-1:g', authType: 'unauthenticated' }))).toEqual({ kind: 'guest', label: 'us-east-1:g', identityId: 'us-east-1:g', role: 'authRole' })
    expect(principalCaller(principal())).toEqual({ kind: 'iam', label: 'authRole', role: 'authRole' })
  })
})
