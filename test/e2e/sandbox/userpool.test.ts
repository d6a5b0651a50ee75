/**
 * The local user pool driven by the real aws-amplify v6 client (no mocks), plus raw requests for
 * what the client cannot send (hostile bodies, replays, limits).
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Amplify } from 'aws-amplify'
import {
  confirmResetPassword, confirmSignUp, confirmUserAttribute, deleteUser, fetchAuthSession, fetchUserAttributes,
  getCurrentUser, resendSignUpCode, resetPassword, sendUserAttributeVerificationCode, signIn, signOut, signUp,
  updatePassword, updateUserAttributes,
} from 'aws-amplify/auth'
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito'
import { CognitoJwtVerifier } from 'aws-jwt-verify'
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import { afterAll, afterEach, assert, beforeAll, describe, expect, it, vi } from 'vitest'
import { createUserPool } from '../../../sandbox/cognito'
import { createIam, type SandboxIam } from '../../../sandbox/iam'
import type { SandboxMessage, UserPool, UserPoolSettings } from '../../../sandbox/core/types'

const settings: UserPoolSettings = {
  region: 'us-east-1',
  accountId: '000000000000',
  userPoolId: 'us-east-1_Sandbox42',
  clientId: 'abcdefghijklmnopqrstuvwxyz',
  passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
  usernameAttributes: ['email'],
  caseSensitive: false,
  autoVerifiedAttributes: ['email'],
  requiredAttributes: ['email'],
  explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  preventUserExistenceErrors: true,
  tokenValidity: { accessSeconds: 3600, idSeconds: 3600, refreshSeconds: 30 * 86400 },
  verificationEmail: { subject: 'Your verification code', message: 'Your verification code is {####}' },
  triggers: {},
  groups: [],
}

/** Every password the tests set, to prove none reaches the disk. */
const passwords = new Set<string>()
const PASSWORD = remember('Wonder1and!')

function remember(password: string): string {
  passwords.add(password)
  return password
}

let dir: string
let iamDir: string
let iam: SandboxIam
let pool: UserPool
let server: Server
let endpoint: string
const delivered: SandboxMessage[] = []
/** X-Amz-Target of every request, to see which operation the client really used. */
const targets: string[] = []
/** Amplify's token storage, readable so tests can hold on to a refresh token. */
const storage = new Map<string, string>()

async function startPool(): Promise<void> {
  pool = await createUserPool({ dir, settings, iam, onMessage: m => delivered.push(m) })
  server = createServer((req, res) => {
    targets.push(String(req.headers['x-amz-target'] ?? '').replace('AWSCognitoIdentityProviderService.', ''))
    pool.handle(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  Amplify.configure({
    Auth: { Cognito: { userPoolId: settings.userPoolId, userPoolClientId: settings.clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
  })
  // After configure, which resets the token provider's storage.
  cognitoUserPoolsTokenProvider.setKeyValueStorage({
    setItem: async (key, value) => void storage.set(key, value),
    getItem: async key => storage.get(key) ?? null,
    removeItem: async key => void storage.delete(key),
    clear: async () => storage.clear(),
  })
}

async function stopPool(): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => resolve()))
  await pool.close()
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'userpool-test-'))
  const { region, userPoolId, clientId } = settings
  // The admin API is tested in groups.test.ts; this pool only needs an IAM to be whole. Beside the
  // pool's folder, whose files the persistence test inspects.
  iamDir = await mkdtemp(join(tmpdir(), 'userpool-test-iam-'))
  iam = await createIam({
    dir: iamDir,
    adminCredentialsFile: join(iamDir, 'admin-credentials'),
    ids: { region, userPoolId, clientId, accountId: '000000000000', apiId: 'userpoolapi', identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000001', bucketSuffix: 'userpooltest' },
  })
  await startPool()
})

afterEach(async () => {
  vi.useRealTimers()
  pool.updateSettings(settings)
  await signOut()
})

afterAll(async () => {
  await stopPool()
  await iam.close()
  await rm(dir, { recursive: true, force: true })
  await rm(iamDir, { recursive: true, force: true })
})

async function messages(to?: string): Promise<SandboxMessage[]> {
  const response = await fetch(`${endpoint}/__sandbox/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`)
  expect(response.status).toBe(200)
  return response.json() as Promise<SandboxMessage[]>
}

async function lastCode(to: string, kind: SandboxMessage['kind']): Promise<string> {
  const found = (await messages(to)).filter(m => m.kind === kind).at(-1)
  if (!found) throw new Error(`no ${kind} message to ${to}`)
  return found.code
}

async function register(email: string, password = PASSWORD): Promise<string> {
  const { userId } = await signUp({ username: email, password })
  await confirmSignUp({ username: email, confirmationCode: await lastCode(email, 'sign-up') })
  return userId!
}

/** A raw Cognito request, as a client other than amplify could send it. */
async function raw(operation: string, body: unknown, init: { headers?: Record<string, string>, rawBody?: string } = {}) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      ...init.headers,
    },
    body: init.rawBody ?? JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read Cognito's many response shapes
    body: await response.json() as Record<string, any> }
}

function refreshTokenInStorage(): string {
  const entry = [...storage].find(([key]) => key.endsWith('.refreshToken'))
  if (!entry) throw new Error('no refresh token stored')
  return entry[1]
}

async function currentTokens(forceRefresh = false) {
  const { tokens } = await fetchAuthSession({ forceRefresh })
  if (!tokens?.idToken) throw new Error('signed out')
  return { idToken: tokens.idToken.toString(), accessToken: tokens.accessToken.toString() }
}

async function verifiers() {
  const jwks = await (await fetch(`${endpoint}/.well-known/jwks.json`)).json()
  const id = CognitoJwtVerifier.create({ userPoolId: settings.userPoolId, clientId: settings.clientId, tokenUse: 'id' })
  const access = CognitoJwtVerifier.create({ userPoolId: settings.userPoolId, clientId: settings.clientId, tokenUse: 'access' })
  id.cacheJwks(jwks)
  access.cacheJwks(jwks)
  return { id, access }
}

describe('sign-up and SRP sign-in with the real amplify client', () => {
  it('signs up, confirms with the e-mailed code and signs in; the username is the sub', async () => {
    const email = 'Alice.Liddell@Example.com'
    const result = await signUp({ username: email, password: PASSWORD })
    expect(result.nextStep).toMatchObject({
      signUpStep: 'CONFIRM_SIGN_UP',
      codeDeliveryDetails: { deliveryMedium: 'EMAIL', attributeName: 'email', destination: 'A***@E***' },
    })
    // Written before the response was sent.
    expect(await readFile(join(dir, 'userpool.json'), 'utf8')).toContain(result.userId!)

    const [message] = await messages('alice.liddell@example.com')
    assert(message, 'a message to the new user')
    expect(message).toMatchObject({ kind: 'sign-up', to: email, sub: result.userId, subject: 'Your verification code' })
    expect(message.code).toMatch(/^\d{6}$/)
    expect(message.body).toBe(`Your verification code is ${message.code}`)
    expect(delivered.at(-1)).toEqual(message)

    expect(await confirmSignUp({ username: email, confirmationCode: message.code })).toMatchObject({ isSignUpComplete: true })
    expect(await signIn({ username: email, password: PASSWORD })).toEqual({ isSignedIn: true, nextStep: { signInStep: 'DONE' } })
    expect(targets).toContain('RespondToAuthChallenge')

    const user = await getCurrentUser()
    expect(user.userId).toBe(result.userId)
    expect(user.username).toBe(result.userId)
    expect(user.username).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(await fetchUserAttributes()).toEqual({ sub: result.userId, email, email_verified: 'true' })
  })

  it('keeps its codes from other sites: no CORS on the mailbox, and no answer under a rebound name', async () => {
    const fromElsewhere = await fetch(`${endpoint}/__sandbox/messages`, { headers: { origin: 'https://evil.example' } })
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull()
    // The Cognito API itself answers any origin, as the real endpoint does.
    const api = await fetch(endpoint, { method: 'OPTIONS', headers: { 'origin': 'https://app.example', 'access-control-request-method': 'POST' } })
    expect(api.headers.get('access-control-allow-origin')).toBe('*')
    const rebound = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const { port } = new URL(endpoint)
      const req = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/__sandbox/messages', headers: { host: `rebind.example:${port}` }, setHost: false }, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, body }))
      })
      req.on('error', reject).end()
    })
    expect(rebound.status).toBe(421)
    expect(rebound.body).not.toContain('@example.com')
  })

  it('treats the e-mail case-insensitively and keeps it as typed', async () => {
    expect(await signIn({ username: 'ALICE.liddell@example.COM', password: PASSWORD })).toMatchObject({ isSignedIn: true })
    expect((await fetchUserAttributes()).email).toBe('Alice.Liddell@Example.com')
    await signOut()
    await expect(signUp({ username: 'alice.liddell@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'UsernameExistsException',
      message: 'An account with the given email already exists.',
    })
  })

  it('issues Cognito-shaped tokens that aws-jwt-verify and verifyToken accept', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const { idToken, accessToken } = await currentTokens()
    const { id, access } = await verifiers()
    const idClaims = await id.verify(idToken)
    const accessClaims = await access.verify(accessToken)
    const sub = (await getCurrentUser()).userId
    const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${settings.userPoolId}`
    expect(idClaims).toMatchObject({
      'sub': sub, 'email': 'Alice.Liddell@Example.com', 'email_verified': true, 'iss': issuer, 'cognito:username': sub,
      'aud': settings.clientId, 'token_use': 'id',
    })
    expect(accessClaims).toMatchObject({
      sub, iss: issuer, client_id: settings.clientId, token_use: 'access', scope: 'aws.cognito.signin.user.admin', username: sub,
    })
    for (const claims of [idClaims, accessClaims]) {
      expect(Object.keys(claims)).toEqual(expect.arrayContaining(['origin_jti', 'event_id', 'auth_time', 'exp', 'iat', 'jti']))
      expect(claims.exp - claims.iat).toBe(3600)
    }
    expect(idClaims.origin_jti).toBe(accessClaims.origin_jti)
    const [signingKey] = pool.jwks.keys
    assert(signingKey, 'the pool publishes its signing key')
    expect(decodeProtectedHeader(idToken)).toEqual({ kid: signingKey.kid, alg: 'RS256' })

    await expect(pool.verifyToken(idToken, 'id')).resolves.toMatchObject({ sub })
    await expect(pool.verifyToken(accessToken)).resolves.toMatchObject({ token_use: 'access' })
    await expect(pool.verifyToken(idToken, 'access')).rejects.toThrow()
  })

  it('refreshes through GetTokensFromRefreshToken, keeping the session (origin_jti)', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const before = await currentTokens()
    targets.length = 0
    const after = await currentTokens(true)
    expect(targets).toEqual(['GetTokensFromRefreshToken'])
    const [old, fresh] = [decodeJwt(before.idToken), decodeJwt(after.idToken)]
    expect(fresh.jti).not.toBe(old.jti)
    expect(fresh.origin_jti).toBe(old.origin_jti)
    expect(fresh.auth_time).toBe(old.auth_time)
    await expect(pool.verifyToken(after.accessToken, 'access')).resolves.toBeTruthy()
  })
})

describe('forged, expired and revoked tokens', () => {
  it('rejects a tampered token, a token signed with another key and an expired one', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const { idToken } = await currentTokens()
    const { id } = await verifiers()
    const [header, payload, signature] = idToken.split('.')

    const claims = decodeJwt(idToken)
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, email: 'mallory@example.com' })).toString('base64url'), signature].join('.')
    await expect(id.verify(tampered)).rejects.toThrow(/signature/i)
    await expect(pool.verifyToken(tampered)).rejects.toThrow(/signature/i)

    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT(claims).setProtectedHeader(decodeProtectedHeader(idToken) as { alg: string, kid: string }).sign(privateKey)
    expect(forged.split('.')[1]).toBe(payload)
    await expect(id.verify(forged)).rejects.toThrow(/signature/i)
    await expect(pool.verifyToken(forged)).rejects.toThrow(/signature/i)

    pool.updateSettings({ ...settings, tokenValidity: { accessSeconds: 60, idSeconds: 60, refreshSeconds: 3600 } })
    const short = await currentTokens(true)
    expect(decodeJwt(short.idToken).exp! - decodeJwt(short.idToken).iat!).toBe(60)
    await expect(pool.verifyToken(short.idToken)).resolves.toBeTruthy()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    await expect(id.verify(short.idToken)).rejects.toThrow(/expired/i)
    await expect(pool.verifyToken(short.idToken)).rejects.toThrow(/exp/i)
    const getUser = await raw('GetUser', { AccessToken: short.accessToken })
    expect(getUser.body).toEqual({ __type: 'NotAuthorizedException', message: 'Access Token has expired' })
  })

  it('signOut revokes the refresh token and every token of its session', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const { idToken, accessToken } = await currentTokens()
    const refreshToken = refreshTokenInStorage()
    expect((await raw('GetUser', { AccessToken: accessToken })).status).toBe(200)

    targets.length = 0
    await signOut()
    expect(targets).toEqual(['RevokeToken'])

    const refresh = await raw('GetTokensFromRefreshToken', { ClientId: settings.clientId, RefreshToken: refreshToken })
    expect(refresh.status).toBe(400)
    expect(refresh.body).toEqual({ __type: 'NotAuthorizedException', message: 'Refresh Token has been revoked' })
    const getUser = await raw('GetUser', { AccessToken: accessToken })
    expect(getUser.body).toEqual({ __type: 'NotAuthorizedException', message: 'Access Token has been revoked' })
    expect(getUser.headers.get('x-amzn-errortype')).toBe('NotAuthorizedException')
    await expect(pool.verifyToken(idToken)).rejects.toThrow(/revoked/)
    await expect(pool.verifyToken(accessToken)).rejects.toThrow(/revoked/)
  })

  it('global sign-out ends every session of the user, not only the current one', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const first = { ...(await currentTokens()), refreshToken: refreshTokenInStorage() }
    storage.clear() // forget the first session locally without revoking it, as a second device would
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const second = await currentTokens()
    expect(decodeJwt(second.idToken).origin_jti).not.toBe(decodeJwt(first.idToken).origin_jti)
    await expect(pool.verifyToken(first.idToken)).resolves.toBeTruthy()

    targets.length = 0
    await signOut({ global: true })
    expect(targets).toEqual(['GlobalSignOut'])
    for (const token of [first.idToken, first.accessToken, second.idToken, second.accessToken]) {
      await expect(pool.verifyToken(token)).rejects.toThrow(/revoked/)
    }
    const refresh = await raw('GetTokensFromRefreshToken', { ClientId: settings.clientId, RefreshToken: first.refreshToken })
    expect(refresh.body.__type).toBe('NotAuthorizedException')
    // A new sign-in after the global sign-out is a fresh, valid session.
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    await expect(pool.verifyToken((await currentTokens()).accessToken, 'access')).resolves.toBeTruthy()
  })
})

describe('Cognito errors', () => {
  it('rejects a wrong password and an unknown user alike when existence errors are prevented', async () => {
    const wrong = signIn({ username: 'alice.liddell@example.com', password: 'Wrong-Passw0rd' })
    await expect(wrong).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' })
    const unknown = signIn({ username: 'nobody@example.com', password: 'Wrong-Passw0rd' })
    await expect(unknown).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' })

    // The challenge for an unknown user looks like a real one, and the same on every attempt.
    const ask = (USERNAME: string) => raw('InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: settings.clientId, AuthParameters: { USERNAME, SRP_A: 'abc123' } })
    const [real, fake, fakeAgain] = [await ask('alice.liddell@example.com'), await ask('nobody@example.com'), await ask('NOBODY@example.com')]
    expect(fake.status).toBe(200)
    expect(fake.body.ChallengeName).toBe('PASSWORD_VERIFIER')
    expect(Object.keys(fake.body.ChallengeParameters).sort()).toEqual(Object.keys(real.body.ChallengeParameters).sort())
    expect(fake.body.ChallengeParameters.USER_ID_FOR_SRP).toMatch(/^[0-9a-f-]{36}$/)
    expect(fakeAgain.body.ChallengeParameters.USER_ID_FOR_SRP).toBe(fake.body.ChallengeParameters.USER_ID_FOR_SRP)
    expect(fakeAgain.body.ChallengeParameters.SALT).toBe(fake.body.ChallengeParameters.SALT)

    const before = (await messages()).length
    expect((await resetPassword({ username: 'nobody@example.com' })).nextStep).toMatchObject({
      resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE', codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: 'n***@e***' },
    })
    expect((await resendSignUpCode({ username: 'nobody@example.com' })).destination).toBe('n***@e***')
    expect(await messages()).toHaveLength(before)
    await expect(confirmSignUp({ username: 'nobody@example.com', confirmationCode: '123456' })).rejects.toMatchObject({ name: 'CodeMismatchException' })
    await expect(confirmResetPassword({ username: 'nobody@example.com', confirmationCode: '123456', newPassword: 'N3w-Password' }))
      .rejects.toMatchObject({ name: 'CodeMismatchException' })
  })

  it('reveals unknown users when PreventUserExistenceErrors is off', async () => {
    pool.updateSettings({ ...settings, preventUserExistenceErrors: false })
    await expect(signIn({ username: 'nobody@example.com', password: PASSWORD })).rejects.toMatchObject({ name: 'UserNotFoundException' })
    await expect(resetPassword({ username: 'nobody@example.com' })).rejects.toMatchObject({ name: 'UserNotFoundException' })
  })

  it('says a user is unconfirmed only after the right password', async () => {
    const email = 'unconfirmed@example.com'
    await signUp({ username: email, password: PASSWORD })
    await expect(signIn({ username: email, password: 'Wrong-Passw0rd' })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    // amplify turns UserNotConfirmedException into this step instead of throwing.
    expect(await signIn({ username: email, password: PASSWORD })).toEqual({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_UP' } })
    await expect(resetPassword({ username: email })).rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('enforces the password policy with Cognito\'s messages, live from the settings', async () => {
    const attempt = (password: string) => signUp({ username: 'policy@example.com', password })
    const policy = (why: string) => ({ name: 'InvalidPasswordException', message: `Password did not conform with policy: ${why}` })
    await expect(attempt('Sh0rt!')).rejects.toMatchObject(policy('Password not long enough'))
    await expect(attempt('password1!')).rejects.toMatchObject(policy('Password must have uppercase characters'))
    await expect(attempt('PASSWORD1!')).rejects.toMatchObject(policy('Password must have lowercase characters'))
    await expect(attempt('Password!!')).rejects.toMatchObject(policy('Password must have numeric characters'))
    await expect(attempt('Password11')).rejects.toMatchObject(policy('Password must have symbol characters'))
    await expect(attempt(' Passw0rd! ')).rejects.toMatchObject({ name: 'InvalidParameterException' })

    pool.updateSettings({ ...settings, passwordPolicy: { minimumLength: 6, requireLowercase: true, requireUppercase: false, requireNumbers: false, requireSymbols: false } })
    await expect(attempt(remember('simple'))).resolves.toMatchObject({ isSignUpComplete: false })
  })

  it('enforces required attributes and the e-mail username', async () => {
    pool.updateSettings({ ...settings, requiredAttributes: ['email', 'name'] })
    await expect(signUp({ username: 'nameless@example.com', password: PASSWORD })).rejects.toMatchObject({
      name: 'InvalidParameterException', message: 'Attributes did not conform to the schema: name: The attribute is required',
    })
    await expect(signUp({ username: 'named@example.com', password: PASSWORD, options: { userAttributes: { name: 'Named' } } }))
      .resolves.toMatchObject({ isSignUpComplete: false })
    await expect(signUp({ username: 'not-an-email', password: PASSWORD, options: { userAttributes: { name: 'X' } } }))
      .rejects.toMatchObject({ name: 'InvalidParameterException' })
    await expect(signUp({ username: 'verified@example.com', password: PASSWORD, options: { userAttributes: { email_verified: 'true', name: 'X' } } }))
      .rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('refuses USER_PASSWORD_AUTH unless the client allows it', async () => {
    const attempt = () => signIn({ username: 'alice.liddell@example.com', password: PASSWORD, options: { authFlowType: 'USER_PASSWORD_AUTH' } })
    await expect(attempt()).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'USER_PASSWORD_AUTH flow not enabled for this client' })
    pool.updateSettings({ ...settings, explicitAuthFlows: [...settings.explicitAuthFlows, 'ALLOW_USER_PASSWORD_AUTH'] })
    expect(await attempt()).toMatchObject({ isSignedIn: true })
  })

  it('uses codes once, lets a new code void the old one, and expires them', async () => {
    const email = 'codes@example.com'
    await signUp({ username: email, password: PASSWORD })
    const first = await lastCode(email, 'sign-up')
    await resendSignUpCode({ username: email })
    const second = await lastCode(email, 'sign-up')
    const wrong = first === second ? String((Number(first) + 1) % 1_000_000).padStart(6, '0') : first
    await expect(confirmSignUp({ username: email, confirmationCode: wrong })).rejects.toMatchObject({
      name: 'CodeMismatchException', message: 'Invalid verification code provided, please try again.',
    })

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 25 * 3_600_000)
    await expect(confirmSignUp({ username: email, confirmationCode: second })).rejects.toMatchObject({ name: 'ExpiredCodeException' })
    vi.useRealTimers()

    await resendSignUpCode({ username: email })
    const third = await lastCode(email, 'sign-up')
    await confirmSignUp({ username: email, confirmationCode: third })
    await expect(confirmSignUp({ username: email, confirmationCode: third })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    await expect(resendSignUpCode({ username: email })).rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('limits code guessing and code sending (LimitExceededException)', async () => {
    const email = 'limits@example.com'
    await signUp({ username: email, password: PASSWORD })
    const code = await lastCode(email, 'sign-up')
    const confirm = (ConfirmationCode: string) => raw('ConfirmSignUp', { ClientId: settings.clientId, Username: email, ConfirmationCode })
    const wrong = code === '000000' ? '000001' : '000000'
    for (let i = 0; i < 5; i++) expect((await confirm(wrong)).body.__type).toBe('CodeMismatchException')
    expect((await confirm(code)).body).toEqual({ __type: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' })

    const resend = () => raw('ResendConfirmationCode', { ClientId: settings.clientId, Username: email })
    const statuses: string[] = []
    for (let i = 0; i < 12; i++) statuses.push((await resend()).body.__type ?? 'ok')
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill('ok')) // one code went out at sign-up
    expect(statuses.slice(9)).toEqual(Array(3).fill('LimitExceededException'))
  })

  it('answers malformed and hostile requests with Cognito errors, never a crash', async () => {
    const unknownClient = await raw('InitiateAuth', { ClientId: 'nosuchclient', AuthFlow: 'USER_SRP_AUTH', AuthParameters: {} })
    expect(unknownClient).toMatchObject({ status: 400, body: { __type: 'ResourceNotFoundException' } })
    for (const operation of ['HackThePlanet', 'constructor', 'toString', '__proto__']) {
      expect((await raw(operation, {})).body.__type).toBe('UnknownOperationException')
    }
    expect((await raw('SignUp', null, { rawBody: '{"ClientId":' })).body.__type).toBe('SerializationException')
    expect((await raw('SignUp', null, { rawBody: '[1,2]' })).body.__type).toBe('SerializationException')
    expect((await raw('SignUp', { Username: 'x@example.com', Password: PASSWORD })).body.__type).toBe('InvalidParameterException')
    expect((await raw('SignUp', { ClientId: settings.clientId, Username: 42, Password: PASSWORD })).body.__type).toBe('SerializationException')
    expect((await raw('SignUp', { ClientId: settings.clientId, Username: 'x@example.com', Password: PASSWORD, UserAttributes: 'nope' })).status).toBe(400)
    expect((await raw('InitiateAuth', { ClientId: settings.clientId, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'a@b.c', SRP_A: 'zz' } })).body.__type)
      .toBe('InvalidParameterException')
    expect((await raw('GetUser', { AccessToken: 'not.a.jwt' })).body).toEqual({ __type: 'NotAuthorizedException', message: 'Invalid Access Token' })
    const huge = await raw('SignUp', null, { rawBody: JSON.stringify({ ClientId: 'x'.repeat(100_000) }) })
    expect(huge.status).toBe(413)
    // Still serving after all that.
    expect((await raw('ResendConfirmationCode', { ClientId: settings.clientId, Username: 'ghost@example.com' })).status).toBe(200)
  })

  it('rejects a replayed or tampered SRP answer', async () => {
    // Capture a real, successful RespondToAuthChallenge body from amplify.
    const bodies: string[] = []
    const original = server.listeners('request')[0] as (...args: unknown[]) => void
    server.removeAllListeners('request')
    server.on('request', (req, res) => {
      if (req.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.RespondToAuthChallenge') {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => bodies.push(Buffer.concat(chunks).toString()))
      }
      original(req, res)
    })
    try {
      await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    }
    finally {
      server.removeAllListeners('request')
      server.on('request', original)
    }
    const [body] = bodies
    assert(body, 'the client answered the challenge')
    const answer = JSON.parse(body)
    const replay = await raw('RespondToAuthChallenge', answer)
    expect(replay.body).toMatchObject({ __type: 'NotAuthorizedException' })

    const block = answer.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK as string
    const flipped = (block[5] === 'A' ? 'B' : 'A')
    const tampered = { ...answer, ChallengeResponses: { ...answer.ChallengeResponses, PASSWORD_CLAIM_SECRET_BLOCK: block.slice(0, 5) + flipped + block.slice(6) } }
    expect((await raw('RespondToAuthChallenge', tampered)).body).toMatchObject({ __type: 'NotAuthorizedException' })
  })

  it('refuses an SRP answer whose TIMESTAMP is off by more than five minutes', async () => {
    const original = server.listeners('request')[0] as (...args: unknown[]) => void
    server.removeAllListeners('request')
    server.on('request', (req, res) => {
      // The client has signed its timestamp by now; move only the server's clock.
      if (req.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.RespondToAuthChallenge') {
        vi.useFakeTimers({ toFake: ['Date'] })
        vi.setSystemTime(Date.now() + 6 * 60_000)
      }
      original(req, res)
    })
    try {
      await expect(signIn({ username: 'alice.liddell@example.com', password: PASSWORD })).rejects.toMatchObject({
        name: 'NotAuthorizedException', message: expect.stringMatching(/TIMESTAMP/),
      })
    }
    finally {
      server.removeAllListeners('request')
      server.on('request', original)
    }
  })

  it('answers CORS preflights and marks every response for any origin', async () => {
    const preflight = await fetch(endpoint, {
      method: 'OPTIONS',
      headers: { 'origin': 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target,x-amz-user-agent' },
    })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    for (const header of ['content-type', 'x-amz-target', 'x-amz-user-agent', 'cache-control', 'authorization']) {
      expect(preflight.headers.get('access-control-allow-headers')).toContain(header)
    }
    expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    const error = await raw('GetUser', { AccessToken: 'x' }, { headers: { origin: 'http://localhost:3000' } })
    expect(error.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('account management', () => {
  it('changes the e-mail only once the new address is verified, and refuses a taken one', async () => {
    await register('bob@example.com')
    await register('carol@example.com')
    await signIn({ username: 'carol@example.com', password: PASSWORD })
    await expect(updateUserAttributes({ userAttributes: { email: 'BOB@example.com' } })).rejects.toMatchObject({ name: 'AliasExistsException' })

    const result = await updateUserAttributes({ userAttributes: { email: 'carol.new@example.com', name: 'Carol' } })
    expect(result.name).toMatchObject({ isUpdated: true })
    expect(result.email).toMatchObject({ isUpdated: false, nextStep: { updateAttributeStep: 'CONFIRM_ATTRIBUTE_WITH_CODE' } })
    expect(await fetchUserAttributes()).toMatchObject({ email: 'carol@example.com', email_verified: 'true', name: 'Carol' })

    await sendUserAttributeVerificationCode({ userAttributeKey: 'email' })
    const codes = (await messages('carol.new@example.com')).filter(m => m.kind === 'verify-attribute')
    expect(codes).toHaveLength(2)
    const [older, newer] = codes
    assert(older && newer)
    await expect(confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: older.code === newer.code ? '000000' : older.code }))
      .rejects.toMatchObject({ name: 'CodeMismatchException' })
    await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: newer.code })
    expect(await fetchUserAttributes()).toMatchObject({ email: 'carol.new@example.com', email_verified: 'true' })
    await signOut()

    await expect(signIn({ username: 'carol@example.com', password: PASSWORD })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    expect(await signIn({ username: 'carol.new@example.com', password: PASSWORD })).toMatchObject({ isSignedIn: true })
    // The old address is free again.
    await signOut()
    await expect(signUp({ username: 'carol@example.com', password: PASSWORD })).resolves.toMatchObject({ isSignUpComplete: false })
  })

  it('changes the password only with the right previous one and a compliant new one', async () => {
    await signIn({ username: 'bob@example.com', password: PASSWORD })
    const next = remember('Bob-s3cond-pass')
    await expect(updatePassword({ oldPassword: 'Wrong-Passw0rd', newPassword: next })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    await expect(updatePassword({ oldPassword: PASSWORD, newPassword: 'weak' })).rejects.toMatchObject({ name: 'InvalidPasswordException' })
    await updatePassword({ oldPassword: PASSWORD, newPassword: next })
    await signOut()
    await expect(signIn({ username: 'bob@example.com', password: PASSWORD })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
    expect(await signIn({ username: 'bob@example.com', password: next })).toMatchObject({ isSignedIn: true })
  })

  it('resets a forgotten password with a single-use e-mailed code', async () => {
    const result = await resetPassword({ username: 'BOB@example.com' })
    expect(result.nextStep).toMatchObject({ resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE', codeDeliveryDetails: { destination: 'b***@e***' } })
    const code = await lastCode('bob@example.com', 'forgot-password')
    const next = remember('Bob-th1rd-pass')
    await expect(confirmResetPassword({ username: 'bob@example.com', confirmationCode: code, newPassword: 'weak' }))
      .rejects.toMatchObject({ name: 'InvalidPasswordException' })
    await confirmResetPassword({ username: 'bob@example.com', confirmationCode: code, newPassword: next })
    await expect(confirmResetPassword({ username: 'bob@example.com', confirmationCode: code, newPassword: remember('Bob-4th-pass!') }))
      .rejects.toMatchObject({ name: 'CodeMismatchException' })
    expect(await signIn({ username: 'bob@example.com', password: next })).toMatchObject({ isSignedIn: true })
  })

  it('deletes the signed-in user and their sessions', async () => {
    await register('dave@example.com')
    await signIn({ username: 'dave@example.com', password: PASSWORD })
    const { accessToken } = await currentTokens()
    await deleteUser()
    await expect(pool.verifyToken(accessToken)).rejects.toThrow()
    await expect(signIn({ username: 'dave@example.com', password: PASSWORD })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
  })
})

describe('persistence', () => {
  it('restores users, sessions, messages and the signing key from its folder, and stores no password', async () => {
    await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })
    const { idToken } = await currentTokens()
    const refreshToken = refreshTokenInStorage()
    const kid = pool.jwks.keys[0]?.kid
    assert(kid, 'the pool publishes its signing key')
    const messageCount = (await messages()).length
    await stopPool()

    const files = await readdir(dir)
    expect(files.sort()).toEqual(['keys.json', 'userpool.json'])
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8')
      for (const password of passwords) expect(text).not.toContain(password)
      expect(text).not.toContain(refreshToken)
    }

    await startPool()
    expect(pool.jwks.keys[0]?.kid).toBe(kid)
    expect(await messages()).toHaveLength(messageCount)
    await expect(pool.verifyToken(idToken, 'id')).resolves.toMatchObject({ email: 'Alice.Liddell@Example.com' })
    await expect((await verifiers()).id.verify(idToken)).resolves.toBeTruthy()
    expect((await raw('GetTokensFromRefreshToken', { ClientId: settings.clientId, RefreshToken: refreshToken })).status).toBe(200)

    storage.clear()
    expect(await signIn({ username: 'alice.liddell@example.com', password: PASSWORD })).toMatchObject({ isSignedIn: true })
  })
})
