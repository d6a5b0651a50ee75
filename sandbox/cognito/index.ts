/**
 * The offline sandbox's Cognito user pool: an endpoint the real aws-amplify v6 client talks to
 * unchanged through `Auth.Cognito.userPoolEndpoint`.
 *
 * Not `cognito-local`: it lacks USER_SRP_AUTH (amplify's default sign-in) and
 * GetTokensFromRefreshToken (amplify's every refresh), pulls in the end-of-life aws-sdk v2, stores
 * plaintext passwords and does not check token signatures in GetUser.
 */
import { mkdir } from 'node:fs/promises'
import type { RequestLog } from '../core/requests'
import type { CreateUserPoolOptions, UserPool, UserPoolSettings } from '../core/types'
import { createHandler } from './http'
import { adminOperation } from './operations'
import { LocalPool } from './pool'
import { loadOrCreateKeys } from './tokens'

/** The console's user actions, as the admin API operations they are. */
const USER_ACTIONS = { confirm: 'AdminConfirmSignUp', disable: 'AdminDisableUser', enable: 'AdminEnableUser', delete: 'AdminDeleteUser' } as const

/** `requests`: where each operation's caller and outcome are recorded. */
export async function createUserPool(opts: CreateUserPoolOptions & { requests?: RequestLog }): Promise<UserPool> {
  await mkdir(opts.dir, { recursive: true })
  const keys = await loadOrCreateKeys(opts.dir)
  const pool = new LocalPool(opts.settings, keys, opts.dir, opts.iam, opts.onMessage)
  await pool.load()
  const handle = createHandler(pool, opts.requests)
  // The console acts as the sandbox's admin, through the same operations as a signed admin call.
  const admin = async (name: string, params: Record<string, unknown>) => {
    await pool.state.persisting(() => adminOperation(name)(pool, { UserPoolId: pool.settings.userPoolId, ...params }, { principal: opts.iam.adminPrincipal, action: `cognito-idp:${name}` }))
  }
  return {
    get settings() {
      return pool.settings
    },
    jwks: pool.jwks,
    handle,
    messages: to => pool.state.listMessages(to),
    users: () => pool.state.listUsers()
      .map(user => ({ username: user.sub, status: user.status, enabled: !user.disabled, attributes: { ...user.attributes }, groups: [...(user.groups ?? [])], createdAt: user.createdAt }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    groupNames: () => pool.state.listGroups().map(group => group.name),
    manageUser: (username, action) => admin(USER_ACTIONS[action], { Username: username }),
    async createUser(email, password) {
      await admin('AdminCreateUser', { Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: password, UserAttributes: [{ Name: 'email_verified', Value: 'true' }] })
      await admin('AdminSetUserPassword', { Username: email, Password: password, Permanent: true })
    },
    setPassword: (username, password) => admin('AdminSetUserPassword', { Username: username, Password: password, Permanent: true }),
    updateAttributes: (username, attributes) =>
      admin('AdminUpdateUserAttributes', { Username: username, UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })) }),
    setGroupMembership: (username, group, member) =>
      admin(member ? 'AdminAddUserToGroup' : 'AdminRemoveUserFromGroup', { Username: username, GroupName: group }),
    verifyToken: (token, use, options) => pool.verifyToken(token, use, options),
    updateSettings(settings: UserPoolSettings) {
      // Ids stay: the pool name is baked into every SRP verifier and the ids into every token.
      const { region, accountId, userPoolId, clientId } = pool.settings
      pool.applySettings({ ...settings, region, accountId, userPoolId, clientId })
    },
    setTriggerInvoker(invoke) {
      pool.triggerInvoker = invoke
    },
    close: () => pool.close(),
  }
}
