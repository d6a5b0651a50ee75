import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import type { LocalPool } from '../../../sandbox/cognito/pool'
import type { StoredUser } from '../../../sandbox/cognito/state-file'
import { issueTokens } from '../../../sandbox/cognito/tokens'
import { customMessage, preTokenGeneration, runTrigger } from '../../../sandbox/cognito/triggers'
import type { TriggerResult, UserPoolTriggers } from '../../../sandbox/core/types'
import { testPoolKeys } from './pool-keys'

const user = { sub: 'sub-1', status: 'CONFIRMED', attributes: { email: 'ada@example.com', email_verified: 'true' } } as unknown as StoredUser

/** Just what the trigger runner reads of a pool: its settings and who runs functions. */
function poolWith(triggers: UserPoolTriggers, answer: (event: Record<string, unknown>) => TriggerResult) {
  const events: Array<Record<string, unknown>> = []
  const pool = {
    settings: { region: 'us-east-1', userPoolId: 'us-east-1_Pool', clientId: 'client', triggers, verificationEmail: { subject: 'Code', message: 'Your code is {####}' } },
    triggerInvoker: async (_arn: string, event: Record<string, unknown>) => {
      events.push(event)
      return answer(event)
    },
  } as unknown as LocalPool
  return { pool, events }
}
const returning = (response: Record<string, unknown>) => (event: Record<string, unknown>): TriggerResult => ({ ok: true, payload: { ...event, response } })

describe('user pool triggers', () => {
  it('builds the version 2 token event and applies its id, access, scope and group changes, never to reserved claims', async () => {
    const { pool, events } = poolWith({ PreTokenGeneration: { arn: 'arn:fn', version: 2 } }, returning({
      claimsAndScopeOverrideDetails: {
        idTokenGeneration: { claimsToAddOrOverride: { plan: 'gold', sub: 'forged' }, claimsToSuppress: ['email'] },
        accessTokenGeneration: { claimsToAddOrOverride: { tenant: 't1' }, scopesToAdd: ['todos/read'], scopesToSuppress: ['phone'] },
        groupOverrideDetails: { groupsToOverride: ['Editors'] },
      },
    }))
    const overrides = await preTokenGeneration(pool, 'TokenGeneration_Authentication', user, { groups: ['Admin'], roles: [] }, { clientId: 'client' })
    expect(events[0]).toMatchObject({
      version: '2',
      triggerSource: 'TokenGeneration_Authentication',
      userName: 'sub-1',
      callerContext: { clientId: 'client' },
      request: { userAttributes: { 'sub': 'sub-1', 'email': 'ada@example.com', 'cognito:user_status': 'CONFIRMED' }, groupConfiguration: { groupsToOverride: ['Admin'] }, scopes: ['aws.cognito.signin.user.admin'] },
    })
    expect(overrides).toEqual({
      id: { add: { plan: 'gold' }, suppress: ['email'] },
      access: { add: { tenant: 't1' }, suppress: [], scopesToAdd: ['todos/read'], scopesToSuppress: ['phone'] },
      groups: { groups: ['Editors'] },
    })
  })

  it('keeps version 1 to the id token', async () => {
    const { pool, events } = poolWith({ PreTokenGeneration: { arn: 'arn:fn', version: 1 } }, returning({ claimsOverrideDetails: { claimsToAddOrOverride: { plan: 'gold' } } }))
    const overrides = await preTokenGeneration(pool, 'TokenGeneration_RefreshTokens', user, undefined, {})
    expect(events[0]).toMatchObject({ version: '1', request: { groupConfiguration: { groupsToOverride: [] } } })
    expect(events[0]!.request).not.toHaveProperty('scopes')
    expect(overrides).toMatchObject({ id: { add: { plan: 'gold' } }, access: { add: {}, scopesToAdd: [] } })
  })

  it('refuses with Cognito\'s errors: a thrown error, a timeout, and a message that drops the code', async () => {
    const threw = poolWith({ PreSignUp: 'arn:fn' }, () => ({ ok: false, error: { errorType: 'Error', errorMessage: 'Invalid email domain' } }))
    await expect(runTrigger(threw.pool, 'PreSignUp', { triggerSource: 'PreSignUp_SignUp', user, call: {}, request: {} }))
      .rejects.toMatchObject({ type: 'UserLambdaValidationException', message: 'PreSignUp failed with error Invalid email domain.' })
    const slow = poolWith({ PreAuthentication: 'arn:fn' }, () => ({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' } }))
    await expect(runTrigger(slow.pool, 'PreAuthentication', { triggerSource: 'PreAuthentication_Authentication', user, call: {}, request: {} }))
      .rejects.toMatchObject({ type: 'UnexpectedLambdaException' })
    const codeless = poolWith({ CustomMessage: 'arn:fn' }, returning({ emailMessage: 'Welcome!' }))
    await expect(customMessage(codeless.pool, 'CustomMessage_SignUp', user, '123456', {})).rejects.toMatchObject({ type: 'InvalidLambdaResponseException' })
  })

  it('words a message with the trigger\'s text, and without a trigger with the pool\'s', async () => {
    const worded = poolWith({ CustomMessage: 'arn:fn' }, returning({ emailSubject: 'Welcome', emailMessage: 'Code: {####}' }))
    expect(await customMessage(worded.pool, 'CustomMessage_SignUp', user, '123456', {})).toEqual({ subject: 'Welcome', body: 'Code: 123456' })
    expect(worded.events[0]).toMatchObject({ triggerSource: 'CustomMessage_SignUp', request: { codeParameter: '{####}' } })
    const none = poolWith({}, () => {
      throw new Error('not called')
    })
    expect(await customMessage(none.pool, 'CustomMessage_SignUp', user, '654321', {})).toEqual({ subject: 'Code', body: 'Your code is 654321' })
  })

  it('signs the changed claims and scopes into the tokens themselves', async () => {
    const { AccessToken, IdToken } = await issueTokens(await testPoolKeys(), {
      issuer: 'https://issuer', clientId: 'client', sub: 'sub-1', originJti: 'o-1', authTime: 1, attributes: { email: 'ada@example.com' },
      accessSeconds: 60, idSeconds: 60,
      overrides: {
        id: { add: { plan: 'gold' }, suppress: ['email'] },
        access: { add: { tenant: 't1' }, suppress: [], scopesToAdd: ['todos/read'], scopesToSuppress: [] },
      },
    })
    expect(decodeJwt(IdToken)).toMatchObject({ plan: 'gold', sub: 'sub-1' })
    expect(decodeJwt(IdToken)).not.toHaveProperty('email')
    expect(decodeJwt(AccessToken)).toMatchObject({ tenant: 't1', scope: 'aws.cognito.signin.user.admin todos/read' })
  })
})
