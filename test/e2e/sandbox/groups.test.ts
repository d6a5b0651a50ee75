/**
 * User-pool groups: memberships changed through the admin API (the real AWS SDK, signed with the
 * sandbox's admin credentials) show in the tokens the real aws-amplify client gets; unsigned,
 * forged and unauthorized admin calls are refused; forged group claims are refused; and
 * `npm run sandbox:group` does it against a running `npm run sandbox`.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AdminAddUserToGroupCommand, AdminConfirmSignUpCommand, AdminCreateUserCommand, AdminDeleteUserCommand, AdminDisableUserCommand, AdminEnableUserCommand, AdminGetUserCommand,
  AdminListGroupsForUserCommand, AdminRemoveUserFromGroupCommand, AdminSetUserPasswordCommand, AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient, ListGroupsCommand, ListUsersCommand, type CognitoIdentityProviderClientConfig,
} from '@aws-sdk/client-cognito-identity-provider'
import { fromIni } from '@aws-sdk/credential-provider-ini'
import { Amplify } from 'aws-amplify'
import { confirmSignIn, confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth'
import { decodeJwt, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUserPool } from '../../../sandbox/cognito'
import type { UserPoolGroup, UserPoolSettings, UserPool } from '../../../sandbox/core/types'
import { createIam, type SandboxIam } from '../../../sandbox/iam'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { attackerKey, resign, tamper } from '../../support/forged-tokens'
import { projectRoot, scratchProject } from '../../support/project'
import { SandboxProcess } from '../../support/sandbox-command'
import { latestCode } from '../../support/started-sandbox'

const PASSWORD = 'Groups-pass-1'
const ACCOUNT = '000000000000'
const ADMIN: UserPoolGroup = { name: 'Admin', precedence: 0, roleArn: `arn:aws:iam::${ACCOUNT}:role/AdminGroupRole` }
const EDITORS: UserPoolGroup = { name: 'Editors', precedence: 1, roleArn: `arn:aws:iam::${ACCOUNT}:role/EditorsGroupRole` }

const settings: UserPoolSettings = {
  region: 'us-east-1',
  accountId: ACCOUNT,
  userPoolId: 'us-east-1_Groups4242',
  clientId: 'groupsclient00000000000000',
  passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
  usernameAttributes: ['email'],
  caseSensitive: false,
  autoVerifiedAttributes: ['email'],
  requiredAttributes: ['email'],
  explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  preventUserExistenceErrors: true,
  tokenValidity: { accessSeconds: 3600, idSeconds: 3600, refreshSeconds: 86_400 },
  verificationEmail: { subject: 'Your verification code', message: 'Your verification code is {####}' },
  triggers: {},
  // Listed in the reverse of their precedence, which must not matter.
  groups: [EDITORS, ADMIN],
}
const POOL_ARN = `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${settings.userPoolId}`

/** The group claims of the current session, after a refresh when asked, from both tokens. */
async function groupClaims(forceRefresh = true) {
  const { tokens } = await fetchAuthSession({ forceRefresh })
  if (!tokens?.idToken) throw new Error('signed out')
  const id = tokens.idToken.payload
  return {
    access: tokens.accessToken.payload['cognito:groups'],
    id: id['cognito:groups'],
    roles: id['cognito:roles'],
    preferredRole: id['cognito:preferred_role'],
    tokens: { id: tokens.idToken.toString(), access: tokens.accessToken.toString() },
  }
}

async function register(messagesUrl: string, email: string): Promise<string> {
  const { userId } = await signUp({ username: email, password: PASSWORD })
  await confirmSignUp({ username: email, confirmationCode: await latestCode(messagesUrl, email) })
  return userId!
}

describe('groups in the local user pool', () => {
  let dir: string
  let iam: SandboxIam
  let pool: UserPool
  let server: Server
  let endpoint: string
  let admin: CognitoIdentityProviderClient
  const ada = { email: `ada-${Date.now()}@example.com`, sub: '' }
  const bob = { email: `bob-${Date.now()}@example.com`, sub: '' }

  /** An SDK client of the local pool with the given credentials. */
  const client = (credentials: CognitoIdentityProviderClientConfig['credentials']) =>
    new CognitoIdentityProviderClient({ endpoint, region: settings.region, credentials, maxAttempts: 1 })
  const membership = (Username: string, GroupName: string) => ({ UserPoolId: settings.userPoolId, Username, GroupName })
  const groupsOf = async (Username: string) =>
    (await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: settings.userPoolId, Username }))).Groups?.map(group => group.GroupName)

  const startPool = async () => {
    pool = await createUserPool({ dir: join(dir, 'userpool'), settings, iam })
    server = createServer((req, res) => pool.handle(req, res))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    Amplify.configure({
      Auth: { Cognito: { userPoolId: settings.userPoolId, userPoolClientId: settings.clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
    })
    // The admin as a script or a function reaches the pool: the SDK's own reader of the credentials file.
    admin = client(fromIni({ filepath: iam.admin.file, profile: iam.admin.profile }))
  }
  const stopPool = async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
    await pool.close()
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'groups-test-'))
    const { region, accountId, userPoolId, clientId } = settings
    iam = await createIam({ dir: join(dir, 'iam'), adminCredentialsFile: join(dir, 'admin-credentials'), ids: { region, accountId, userPoolId, clientId, apiId: 'groupsapi', identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000042', bucketSuffix: 'groupstest01' } })
    await startPool()
    const messages = `${endpoint}/__sandbox/messages`
    ada.sub = await register(messages, ada.email)
    bob.sub = await register(messages, bob.email)
  })

  afterAll(async () => {
    await signOut()
    await stopPool()
    await iam.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('puts two users in and out of groups, and their refreshed tokens carry cognito:groups in precedence order', async () => {
    await signIn({ username: ada.email, password: PASSWORD })
    // In no group: no group claims at all, as Cognito.
    expect(await groupClaims(false)).toMatchObject({ access: undefined, id: undefined, roles: undefined, preferredRole: undefined })

    // Joined in the reverse of precedence order; by e-mail and by username (the sub) alike.
    await admin.send(new AdminAddUserToGroupCommand(membership(ada.email, 'Editors')))
    await admin.send(new AdminAddUserToGroupCommand(membership(ada.sub, 'Admin')))
    await admin.send(new AdminAddUserToGroupCommand(membership(bob.email, 'Editors')))
    // Adding again changes nothing.
    await admin.send(new AdminAddUserToGroupCommand(membership(bob.email, 'Editors')))
    // The tokens the session holds were issued before: only a refresh picks the change up.
    expect((await groupClaims(false)).id).toBeUndefined()
    const refreshed = await groupClaims()
    expect(refreshed).toMatchObject({
      access: ['Admin', 'Editors'],
      id: ['Admin', 'Editors'],
      roles: [ADMIN.roleArn, EDITORS.roleArn],
      preferredRole: ADMIN.roleArn,
    })
    // Genuine tokens, signed by the pool.
    await expect(pool.verifyToken(refreshed.tokens.access, 'access')).resolves.toMatchObject({ 'cognito:groups': ['Admin', 'Editors'] })

    await admin.send(new AdminRemoveUserFromGroupCommand(membership(ada.email, 'Admin')))
    expect(await groupClaims()).toMatchObject({ access: ['Editors'], id: ['Editors'], roles: [EDITORS.roleArn], preferredRole: EDITORS.roleArn })
    await admin.send(new AdminRemoveUserFromGroupCommand(membership(ada.email, 'Editors')))
    // Removing again changes nothing either.
    await admin.send(new AdminRemoveUserFromGroupCommand(membership(ada.email, 'Editors')))
    expect(await groupClaims()).toMatchObject({ access: undefined, id: undefined, roles: undefined, preferredRole: undefined })
    await signOut()

    // The other user kept theirs, from sign-in on.
    await signIn({ username: bob.email, password: PASSWORD })
    expect(await groupClaims(false)).toMatchObject({ access: ['Editors'], id: ['Editors'] })
    await admin.send(new AdminAddUserToGroupCommand(membership(bob.email, 'Admin')))
    expect(await groupClaims()).toMatchObject({ access: ['Admin', 'Editors'], id: ['Admin', 'Editors'], preferredRole: ADMIN.roleArn })
    expect(await groupsOf(ada.email)).toEqual([])
    await signOut()
  })

  it('answers the admin look-ups a script does first, with Cognito\'s shapes, paging and errors', async () => {
    const user = await admin.send(new AdminGetUserCommand({ UserPoolId: settings.userPoolId, Username: bob.email.toUpperCase() }))
    expect(user).toMatchObject({ Username: bob.sub, Enabled: true, UserStatus: 'CONFIRMED', UserCreateDate: expect.any(Date) })
    expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: 'sub', Value: bob.sub }, { Name: 'email', Value: bob.email }, { Name: 'email_verified', Value: 'true' }]))

    const byEmail = await admin.send(new ListUsersCommand({ UserPoolId: settings.userPoolId, Filter: `email = "${ada.email}"` }))
    expect(byEmail.Users?.map(u => u.Username)).toEqual([ada.sub])
    const byPrefix = await admin.send(new ListUsersCommand({ UserPoolId: settings.userPoolId, Filter: 'email ^= "bob-"', AttributesToGet: ['email'] }))
    expect(byPrefix.Users).toEqual([expect.objectContaining({ Username: bob.sub, Attributes: [{ Name: 'email', Value: bob.email }] })])
    // Page by page, everyone once.
    const seen: string[] = []
    let PaginationToken: string | undefined
    do {
      const page = await admin.send(new ListUsersCommand({ UserPoolId: settings.userPoolId, Limit: 1, PaginationToken }))
      expect(page.Users).toHaveLength(1)
      seen.push(page.Users![0]!.Username!)
      PaginationToken = page.PaginationToken
    } while (PaginationToken)
    expect(seen.sort()).toEqual([ada.sub, bob.sub].sort())

    const { Groups } = await admin.send(new ListGroupsCommand({ UserPoolId: settings.userPoolId }))
    expect(Groups).toEqual([
      { GroupName: 'Admin', UserPoolId: settings.userPoolId, Precedence: 0, RoleArn: ADMIN.roleArn, CreationDate: expect.any(Date), LastModifiedDate: expect.any(Date) },
      { GroupName: 'Editors', UserPoolId: settings.userPoolId, Precedence: 1, RoleArn: EDITORS.roleArn, CreationDate: expect.any(Date), LastModifiedDate: expect.any(Date) },
    ])
    const first = await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: settings.userPoolId, Username: bob.email, Limit: 1 }))
    expect(first.Groups?.map(g => g.GroupName)).toEqual(['Admin'])
    const second = await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: settings.userPoolId, Username: bob.email, Limit: 1, NextToken: first.NextToken }))
    expect(second.Groups?.map(g => g.GroupName)).toEqual(['Editors'])
    expect(second.NextToken).toBeUndefined()

    await expect(admin.send(new AdminAddUserToGroupCommand(membership(bob.email, 'Nobody')))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Group not found.' })
    await expect(admin.send(new AdminAddUserToGroupCommand(membership('ghost@example.com', 'Admin')))).rejects.toMatchObject({ name: 'UserNotFoundException' })
    await expect(admin.send(new AdminGetUserCommand({ UserPoolId: 'us-east-1_Elsewhere', Username: bob.email })))
      .rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'User pool us-east-1_Elsewhere does not exist.' })
    await expect(admin.send(new ListUsersCommand({ UserPoolId: settings.userPoolId, Filter: 'custom:team = "x"' })))
      .rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Error while parsing filter.' })
    await expect(admin.send(new ListUsersCommand({ UserPoolId: settings.userPoolId, Limit: 61 }))).rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('refuses unsigned, forged, unknown and unauthorized admin calls, changing nothing', async () => {
    const before = await groupsOf(ada.email)
    const body = JSON.stringify(membership(ada.email, 'Admin'))
    const unsigned = (payload: string) => fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminAddUserToGroup' },
      body: payload,
    })
    for (const payload of [body, '{"not json']) {
      // The signature is checked before the body is read, as AWS does.
      const response = await unsigned(payload)
      expect(response.status).toBe(400)
      expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException')
      expect(await response.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' })
    }

    const add = new AdminAddUserToGroupCommand(membership(ada.email, 'Admin'))
    await expect(client({ accessKeyId: iam.admin.accessKeyId, secretAccessKey: 'not-the-secret' }).send(add))
      .rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } })
    await expect(client({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }).send(add))
      .rejects.toMatchObject({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' })

    // Genuine credentials of a role whose policies grant nothing in Cognito (a signed-in user's, say).
    const user = await iam.issue({ roleArn: `arn:aws:iam::${ACCOUNT}:role/authenticatedUserRole`, sessionName: 'CognitoIdentityCredentials' })
    await expect(client(user).send(add)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/authenticatedUserRole/CognitoIdentityCredentials is not authorized to perform: `
        + `cognito-idp:AdminAddUserToGroup on resource: ${POOL_ARN} because no identity-based policy allows the cognito-idp:AdminAddUserToGroup action`,
      $metadata: { httpStatusCode: 400 },
    })
    expect(await groupsOf(ada.email)).toEqual(before)
  })

  it('confirms, disables, enables and deletes users through the signed admin API, as Cognito does', async () => {
    const carl = `carl-${Date.now()}@example.com`
    const { userId } = await signUp({ username: carl, password: PASSWORD })
    const user = { UserPoolId: settings.userPoolId, Username: carl }
    const get = () => admin.send(new AdminGetUserCommand(user))
    expect(await get()).toMatchObject({ UserStatus: 'UNCONFIRMED', Enabled: true })
    // A role without cognito-idp permissions changes nothing.
    const role = await iam.issue({ roleArn: `arn:aws:iam::${ACCOUNT}:role/authenticatedUserRole`, sessionName: 'CognitoIdentityCredentials' })
    await expect(client(role).send(new AdminDisableUserCommand(user))).rejects.toMatchObject({ name: 'AccessDeniedException' })
    await expect(client(role).send(new AdminConfirmSignUpCommand(user))).rejects.toMatchObject({ name: 'AccessDeniedException' })

    await admin.send(new AdminConfirmSignUpCommand(user))
    expect(await get()).toMatchObject({ Username: userId, UserStatus: 'CONFIRMED' })
    await expect(admin.send(new AdminConfirmSignUpCommand(user))).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'User cannot be confirmed. Current status is CONFIRMED' })
    expect(await signIn({ username: carl, password: PASSWORD })).toMatchObject({ isSignedIn: true })
    const { tokens } = await fetchAuthSession()
    expect(tokens?.accessToken).toBeDefined()

    await admin.send(new AdminDisableUserCommand(user))
    expect(await get()).toMatchObject({ Enabled: false })
    // The session it had ended: the pool no longer accepts its access token.
    await expect(pool.verifyToken(tokens!.accessToken.toString(), 'access')).rejects.toThrow()
    await signOut()
    await expect(signIn({ username: carl, password: PASSWORD })).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'User is disabled.' })

    await admin.send(new AdminEnableUserCommand(user))
    expect(await get()).toMatchObject({ Enabled: true })
    expect(await signIn({ username: carl, password: PASSWORD })).toMatchObject({ isSignedIn: true })
    await signOut()

    await admin.send(new AdminDeleteUserCommand(user))
    await expect(get()).rejects.toMatchObject({ name: 'UserNotFoundException' })
    await expect(admin.send(new AdminDeleteUserCommand(user))).rejects.toMatchObject({ name: 'UserNotFoundException' })
  })

  it('creates users with a temporary password that the first sign-in replaces, sets passwords and attributes, as Cognito does', async () => {
    const dora = `dora-${Date.now()}@example.com`
    const user = { UserPoolId: settings.userPoolId, Username: dora }
    const role = await iam.issue({ roleArn: `arn:aws:iam::${ACCOUNT}:role/authenticatedUserRole`, sessionName: 'CognitoIdentityCredentials' })
    await expect(client(role).send(new AdminCreateUserCommand({ ...user, TemporaryPassword: 'Temp-pass-1' }))).rejects.toMatchObject({ name: 'AccessDeniedException' })

    // Without SUPPRESS, the invitation carries the temporary password, where the other mail goes.
    const created = await admin.send(new AdminCreateUserCommand({ ...user, TemporaryPassword: 'Temp-pass-1', UserAttributes: [{ Name: 'name', Value: 'Dora' }] }))
    expect(created.User).toMatchObject({ UserStatus: 'FORCE_CHANGE_PASSWORD', Enabled: true })
    expect(pool.messages(dora).at(-1)).toMatchObject({ kind: 'invitation', code: 'Temp-pass-1' })
    expect(pool.messages(dora).at(-1)!.body).toContain(dora)
    await expect(admin.send(new AdminCreateUserCommand({ ...user, TemporaryPassword: 'Temp-pass-1' }))).rejects.toMatchObject({ name: 'UsernameExistsException' })
    await expect(admin.send(new AdminCreateUserCommand({ ...user, Username: `weak-${dora}`, TemporaryPassword: 'weak' }))).rejects.toMatchObject({ name: 'InvalidPasswordException' })

    // The real client meets the NEW_PASSWORD_REQUIRED challenge, and its answer signs in.
    await expect(signIn({ username: dora, password: 'Wrong-pass-1' })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    const first = await signIn({ username: dora, password: 'Temp-pass-1' })
    expect(first).toMatchObject({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED' } })
    await expect(confirmSignIn({ challengeResponse: 'weak' })).rejects.toMatchObject({ name: 'InvalidPasswordException' })
    await signOut()
    await signIn({ username: dora, password: 'Temp-pass-1' })
    expect(await confirmSignIn({ challengeResponse: 'Dora-pass-2' })).toMatchObject({ isSignedIn: true })
    expect((await admin.send(new AdminGetUserCommand(user))).UserStatus).toBe('CONFIRMED')
    await signOut()
    await expect(signIn({ username: dora, password: 'Temp-pass-1' })).rejects.toMatchObject({ name: 'NotAuthorizedException' })

    // A permanent password works at once; a temporary one asks for a new one again.
    await admin.send(new AdminSetUserPasswordCommand({ ...user, Password: 'Dora-pass-3', Permanent: true }))
    expect(await signIn({ username: dora, password: 'Dora-pass-3' })).toMatchObject({ isSignedIn: true })
    await signOut()
    await admin.send(new AdminSetUserPasswordCommand({ ...user, Password: 'Dora-temp-4' }))
    expect(await signIn({ username: dora, password: 'Dora-temp-4' })).toMatchObject({ nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED' } })
    await signOut()

    // Attributes, e-mail included, change at once; a new e-mail is unverified unless the request says otherwise.
    const moved = `dora-moved-${Date.now()}@example.com`
    await admin.send(new AdminSetUserPasswordCommand({ ...user, Password: 'Dora-pass-5', Permanent: true }))
    await admin.send(new AdminUpdateUserAttributesCommand({ ...user, UserAttributes: [{ Name: 'email', Value: moved }, { Name: 'custom:team', Value: 'blue' }] }))
    const after = await admin.send(new AdminGetUserCommand({ ...user, Username: moved }))
    expect(Object.fromEntries(after.UserAttributes!.map(a => [a.Name, a.Value]))).toMatchObject({ 'email': moved, 'email_verified': 'false', 'custom:team': 'blue', 'name': 'Dora' })
    expect(await signIn({ username: moved, password: 'Dora-pass-5' })).toMatchObject({ isSignedIn: true })
    await signOut()
    await expect(admin.send(new AdminUpdateUserAttributesCommand({ ...user, Username: moved, UserAttributes: [{ Name: 'email', Value: ada.email }] }))).rejects.toMatchObject({ name: 'AliasExistsException' })
    await expect(admin.send(new AdminUpdateUserAttributesCommand({ ...user, Username: moved, UserAttributes: [{ Name: 'sub', Value: 'x' }] }))).rejects.toMatchObject({ name: 'InvalidParameterException' })
    await admin.send(new AdminDeleteUserCommand({ ...user, Username: moved }))
  })

  it('refuses a token whose cognito:groups was forged', async () => {
    await signIn({ username: ada.email, password: PASSWORD })
    const { tokens } = await groupClaims()
    expect(decodeJwt(tokens.id)['cognito:groups']).toBeUndefined()
    const forged: JWTPayload = { 'cognito:groups': ['Admin'], 'cognito:preferred_role': ADMIN.roleArn }
    for (const [use, token] of [['id', tokens.id], ['access', tokens.access]] as const) {
      await expect(pool.verifyToken(token, use)).resolves.toBeTruthy()
      await expect(pool.verifyToken(tamper(token, forged), use)).rejects.toThrow(/signature/)
      await expect(pool.verifyToken(await resign(token, attackerKey(), forged), use)).rejects.toThrow(/signature/)
    }
    await signOut()
  })

  it('keeps memberships across restarts, and drops a group removed from the definition with its memberships', async () => {
    await stopPool()
    await startPool()
    expect(await groupsOf(bob.email)).toEqual(['Admin', 'Editors'])
    await signIn({ username: bob.email, password: PASSWORD })
    expect((await groupClaims(false)).id).toEqual(['Admin', 'Editors'])

    const withoutAdmin: UserPoolSettings = { ...settings, groups: [EDITORS] }
    pool.updateSettings(withoutAdmin)
    expect(await groupClaims()).toMatchObject({ access: ['Editors'], id: ['Editors'], preferredRole: EDITORS.roleArn })
    expect((await admin.send(new ListGroupsCommand({ UserPoolId: settings.userPoolId }))).Groups?.map(g => g.GroupName)).toEqual(['Editors'])
    await expect(admin.send(new AdminAddUserToGroupCommand(membership(bob.email, 'Admin')))).rejects.toMatchObject({ name: 'ResourceNotFoundException' })

    // Defined again, the group is a new one: deleting a Cognito group deleted its memberships.
    pool.updateSettings(settings)
    expect(await groupsOf(bob.email)).toEqual(['Editors'])
    expect((await groupClaims()).id).toEqual(['Editors'])
    await signOut()
  })
})

/** `node --import tsx sandbox/commands/group.ts` in `cwd`: what `npm run sandbox:group --` runs. */
function groupCommand(cwd: string, args: string[]): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'group.ts'), ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.once('error', reject)
    child.once('close', code => resolve({ code, output: output.trim() }))
  })
}

describe('npm run sandbox:group', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: SandboxProcess
  const email = `group-cli-${Date.now()}@example.com`

  beforeAll(async () => {
    // Groups Admin and Editors, on a backend.ts that keeps their roles.
    project = await scratchProject('groups')
    sandbox = new SandboxProcess(project.dir)
    await sandbox.ready()
    const outputs = JSON.parse(await readFile(join(project.dir, 'amplify_outputs.json'), 'utf8')) as AmplifyOutputs & { custom: { offlineSandbox: { messagesUrl: string } } }
    Amplify.configure(amplifyConfigFromOutputs(outputs))
    await register(outputs.custom.offlineSandbox.messagesUrl, email)
    await signIn({ username: email, password: PASSWORD })
  })

  afterAll(async () => {
    await sandbox?.stop()
    await project?.remove()
  })

  it('is the package script', async () => {
    const { scripts } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(scripts['sandbox:group']).toBe('exec node --import tsx sandbox/commands/group.ts')
  })

  it('adds a user to a group of the definition, which their next refresh carries', async () => {
    const added = await groupCommand(project.dir, ['add', email, 'Admin'])
    expect(added).toEqual({ code: 0, output: `Added ${email} to Admin. Their next token refresh (or sign-in) carries it in cognito:groups.` })
    // The group and its role are the synthesized ones.
    expect(await groupClaims()).toMatchObject({ access: ['Admin'], id: ['Admin'], preferredRole: expect.stringMatching(/^arn:aws:iam::\d{12}:role\/.*AdminGroupRole/) })
    expect(await groupCommand(project.dir, ['list', email])).toEqual({ code: 0, output: `${email} is in Admin.` })
  })

  it('says what is wrong in one line: no such group, no such user, bad usage', async () => {
    const noGroup = await groupCommand(project.dir, ['add', email, 'Nobody'])
    expect(noGroup).toEqual({ code: 1, output: 'No group "Nobody": the backend defines Admin, Editors (amplify/auth/resource.ts).' })
    const noUser = await groupCommand(project.dir, ['add', 'ghost@example.com', 'Admin'])
    expect(noUser).toEqual({ code: 1, output: 'No user with the e-mail ghost@example.com in the offline sandbox (sign up first).' })
    const usage = await groupCommand(project.dir, ['add', email])
    expect(usage.code).toBe(1)
    expect(usage.output).toMatch(/^Usage: npm run sandbox:group/)
  })

  it('follows the definition: a group removed from amplify/ leaves the user\'s tokens', { timeout: 90_000 }, async () => {
    const from = sandbox.output.length
    await project.edit('amplify/auth/resource.ts', text => text.replace('groups: [\'Admin\', \'Editors\']', 'groups: [\'Editors\']'))
    await sandbox.waitFor(/Reloaded the backend in/, 60_000, from)
    expect((await groupClaims()).id).toBeUndefined()
    expect(await groupCommand(project.dir, ['list', email])).toEqual({ code: 0, output: `${email} is in no group (the backend defines Editors).` })
    expect(await groupCommand(project.dir, ['remove', email, 'Editors'])).toMatchObject({ code: 0, output: expect.stringMatching(/^Removed /) })
  })

  it('says when the sandbox is not running, and refuses a cloud amplify_outputs.json', async () => {
    await signOut()
    expect(await sandbox.stop()).toBe(0)
    expect(await groupCommand(project.dir, ['list', email])).toEqual({
      code: 1,
      output: 'The offline sandbox is not running (its endpoint refused the connection): start it with npm run sandbox.',
    })
    // Inside the project, where tsx resolves, as the command runs there.
    const cloud = await mkdtemp(join(project.dir, 'cloud-'))
    try {
      await writeFile(join(cloud, 'amplify_outputs.json'), JSON.stringify({ version: '1.4', auth: { user_pool_id: 'us-east-1_cloud', aws_region: 'us-east-1' } }))
      const refused = await groupCommand(cloud, ['add', email, 'Admin'])
      expect(refused.code).toBe(1)
      expect(refused.output).toMatch(/^amplify_outputs\.json is a cloud backend's, not the offline sandbox's/)
      await rm(join(cloud, 'amplify_outputs.json'))
      expect(await groupCommand(cloud, ['list', email])).toEqual({ code: 1, output: 'No amplify_outputs.json: start the offline sandbox first (npm run sandbox).' })
    }
    finally {
      await rm(cloud, { recursive: true, force: true })
    }
  })
})
