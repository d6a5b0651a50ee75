/**
 * Second factors and phone-number sign-in in the local user pool, driven by the real aws-amplify
 * client: TOTP turned on while signed in and set up at a first sign-in that requires it, codes by
 * text message and e-mail read from the sandbox's mailbox, sign-up and sign-in with a phone number,
 * and the codes Cognito refuses (wrong, reused, expired, too many). TOTP codes are computed here
 * (RFC 6238 on node:crypto), independently of the library the sandbox checks them with.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Amplify } from 'aws-amplify'
import {
  confirmSignIn, confirmSignUp, fetchMFAPreference, fetchUserAttributes, setUpTOTP, signIn, signOut, signUp,
  updateMFAPreference, verifyTOTPSetup,
} from 'aws-amplify/auth'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createUserPool } from '../../../sandbox/cognito'
import type { SandboxMessage, UserPool, UserPoolSettings } from '../../../sandbox/core/types'
import type { Sandbox } from '../../../sandbox'
import { createIam, type SandboxIam } from '../../../sandbox/iam'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { scratchProject, type ScratchProject } from '../../support/project'
import { startTestSandbox } from '../../support/started-sandbox'
import { totp } from '../../support/totp'

const PASSWORD = 'Second-factor-1'

/** Any other six digits. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

async function newestMessage(messagesUrl: string, to: string, kind?: SandboxMessage['kind']): Promise<SandboxMessage> {
  const messages = (await (await fetch(`${messagesUrl}?to=${encodeURIComponent(to)}`)).json()) as SandboxMessage[]
  const found = messages.filter(m => !kind || m.kind === kind).at(-1)
  if (!found) throw new Error(`no ${kind ?? ''} message to ${to}`)
  return found
}

/** A local pool with these settings on a free port, the amplify client pointed at it. */
async function startPool(settings: UserPoolSettings, iam: SandboxIam, dir: string) {
  const pool: UserPool = await createUserPool({ dir, settings, iam })
  const server: Server = createServer((req, res) => pool.handle(req, res))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  Amplify.configure({
    Auth: { Cognito: { userPoolId: settings.userPoolId, userPoolClientId: settings.clientId, userPoolEndpoint: endpoint, loginWith: { email: true, phone: true } } },
  })
  return {
    pool,
    endpoint,
    messagesUrl: `${endpoint}/__sandbox/messages`,
    /** A raw Cognito call, for what the client cannot be made to send (a Session held past its time). */
    async raw(operation: string, body: unknown): Promise<{ status: number, json: Record<string, unknown> }> {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
        body: JSON.stringify(body),
      })
      return { status: response.status, json: (await response.json()) as Record<string, unknown> }
    },
    async stop() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await pool.close()
    },
  }
}

const base: UserPoolSettings = {
  region: 'us-east-1',
  accountId: '000000000000',
  userPoolId: 'us-east-1_Mfa4242',
  clientId: 'mfaclient00000000000000000',
  passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
  usernameAttributes: ['email'],
  caseSensitive: false,
  autoVerifiedAttributes: ['email'],
  requiredAttributes: ['email'],
  // USER_PASSWORD_AUTH lets the raw calls below reach a challenge without SRP.
  explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  preventUserExistenceErrors: true,
  tokenValidity: { accessSeconds: 3600, idSeconds: 3600, refreshSeconds: 86_400 },
  verificationEmail: { subject: 'Your verification code', message: 'Your verification code is {####}' },
  triggers: {},
  groups: [],
  mfa: { configuration: 'OPTIONAL', methods: ['SOFTWARE_TOKEN_MFA', 'SMS_MFA', 'EMAIL_OTP'] },
  accountRecovery: ['verified_email'],
  authSessionSeconds: 180,
}

let dir: string
let iam: SandboxIam

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mfa-test-'))
  const { region, accountId, userPoolId, clientId } = base
  iam = await createIam({ dir: join(dir, 'iam'), adminCredentialsFile: join(dir, 'admin-credentials'), ids: { region, accountId, userPoolId, clientId, apiId: 'mfaapi', identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000043', bucketSuffix: 'mfatest00001' } })
})

afterAll(async () => {
  await iam.close()
  await rm(dir, { recursive: true, force: true })
})

afterEach(async () => {
  vi.useRealTimers()
  await signOut()
})

describe('optional MFA, set up by the signed-in user', () => {
  let local: Awaited<ReturnType<typeof startPool>>

  beforeAll(async () => {
    local = await startPool(base, iam, join(dir, 'optional'))
  })
  afterAll(() => local.stop())

  async function register(email: string, attributes: Record<string, string> = {}): Promise<void> {
    await signUp({ username: email, password: PASSWORD, options: { userAttributes: attributes } })
    await confirmSignUp({ username: email, confirmationCode: (await newestMessage(local.messagesUrl, email, 'sign-up')).code })
  }

  it('turns TOTP on with a verified authenticator, asks for its code at sign-in, refuses wrong and reused codes, and turns it off', async () => {
    const email = 'ada-totp@example.com'
    await register(email)
    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: true })

    const setup = await setUpTOTP()
    const secret = setup.sharedSecret
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(setup.getSetupUri('Todos', email).href).toBe(`otpauth://totp/Todos:${email}?secret=${secret}&issuer=Todos`)
    // Not before the authenticator is proven, and not with a code it did not make.
    await expect(updateMFAPreference({ totp: 'PREFERRED' })).rejects.toMatchObject({
      name: 'InvalidParameterException', message: 'User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA',
    })
    const first = totp(secret)
    await expect(verifyTOTPSetup({ code: wrong(first) })).rejects.toMatchObject({
      name: 'EnableSoftwareTokenMFAException', message: 'Code mismatch and fail enable Software Token MFA',
    })
    await verifyTOTPSetup({ code: first })
    await updateMFAPreference({ totp: 'PREFERRED' })
    expect(await fetchMFAPreference()).toEqual({ preferred: 'TOTP', enabled: ['TOTP'] })
    await signOut()

    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_TOTP_CODE' } })
    // The code that proved the authenticator is spent for its 30 seconds.
    await expect(confirmSignIn({ challengeResponse: first })).rejects.toMatchObject({ name: 'ExpiredCodeException', message: 'Your software token has already been used once.' })
    const next = totp(secret, Date.now() + 30_000)
    await expect(confirmSignIn({ challengeResponse: wrong(next) })).rejects.toMatchObject({ name: 'CodeMismatchException', message: 'Invalid code received for user' })
    // The same Session takes a right code after wrong ones; the authenticator's next code (a step of skew is allowed).
    expect(await confirmSignIn({ challengeResponse: next })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: 'DONE' } })

    await updateMFAPreference({ totp: 'DISABLED' })
    expect(await fetchMFAPreference()).toEqual({ preferred: undefined, enabled: undefined })
    await signOut()
    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: true })
  })

  it('texts a sign-in code to the phone number once SMS is turned on, which proves the number', async () => {
    const email = 'bob-sms@example.com'
    const phone = '+15555550199'
    await register(email, { phone_number: phone })
    await signIn({ username: email, password: PASSWORD })
    expect(await fetchUserAttributes()).toMatchObject({ phone_number: phone, phone_number_verified: 'false' })
    await updateMFAPreference({ sms: 'PREFERRED' })
    await signOut()

    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({
      isSignedIn: false,
      nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE', codeDeliveryDetails: { deliveryMedium: 'SMS', destination: '+*******0199' } },
    })
    const sent = await newestMessage(local.messagesUrl, phone)
    expect(sent).toMatchObject({ kind: 'mfa-sms', medium: 'SMS', to: phone, body: `Your authentication code is ${sent.code}. ` })
    await expect(confirmSignIn({ challengeResponse: wrong(sent.code) })).rejects.toMatchObject({ name: 'CodeMismatchException', message: 'Invalid code or auth state for the user.' })
    expect(await confirmSignIn({ challengeResponse: sent.code })).toMatchObject({ isSignedIn: true })
    expect(await fetchUserAttributes()).toMatchObject({ phone_number_verified: 'true' })
    expect(await fetchMFAPreference()).toEqual({ preferred: 'SMS', enabled: ['SMS'] })
  })

  it('lets a user with two factors and no preference choose one (SELECT_MFA_TYPE)', async () => {
    const email = 'cy-choice@example.com'
    await register(email, { phone_number: '+15555550188' })
    await signIn({ username: email, password: PASSWORD })
    const { sharedSecret } = await setUpTOTP()
    await verifyTOTPSetup({ code: totp(sharedSecret) })
    await updateMFAPreference({ totp: 'ENABLED', sms: 'ENABLED' })
    await signOut()

    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({
      nextStep: { signInStep: 'CONTINUE_SIGN_IN_WITH_MFA_SELECTION', allowedMFATypes: ['TOTP', 'SMS'] },
    })
    expect(await confirmSignIn({ challengeResponse: 'SMS' })).toMatchObject({ nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE' } })
    expect(await confirmSignIn({ challengeResponse: (await newestMessage(local.messagesUrl, '+15555550188', 'mfa-sms')).code })).toMatchObject({ isSignedIn: true })
  })

  it('e-mails a sign-in code once e-mail MFA is turned on', async () => {
    const email = 'dee-email@example.com'
    await register(email)
    await signIn({ username: email, password: PASSWORD })
    await updateMFAPreference({ email: 'PREFERRED' })
    await signOut()

    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({
      nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: 'd***@e***' } },
    })
    const sent = await newestMessage(local.messagesUrl, email, 'mfa-email')
    expect(sent.medium).toBe('EMAIL')
    expect(await confirmSignIn({ challengeResponse: sent.code })).toMatchObject({ isSignedIn: true })
  })

  it('refuses a code past its three minutes (ExpiredCodeException), and any answer once its Session has expired', async () => {
    // A client whose sessions last 15 minutes (AuthSessionValidity), so the code ends before its Session.
    local.pool.updateSettings({ ...base, authSessionSeconds: 15 * 60 })
    try {
      const email = 'eve-expiry@example.com'
      await register(email)
      await signIn({ username: email, password: PASSWORD })
      await updateMFAPreference({ email: 'PREFERRED' })
      await signOut()

      const started = await local.raw('InitiateAuth', { ClientId: base.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD } })
      expect(started.json).toMatchObject({ ChallengeName: 'EMAIL_OTP', ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL' } })
      const code = (await newestMessage(local.messagesUrl, email, 'mfa-email')).code
      const answer = () => local.raw('RespondToAuthChallenge', {
        ClientId: base.clientId, ChallengeName: 'EMAIL_OTP', Session: started.json.Session, ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: code },
      })
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + 4 * 60_000)
      expect(await answer()).toMatchObject({ status: 400, json: { __type: 'ExpiredCodeException', message: 'Invalid code provided, please request a code again.' } })
      vi.setSystemTime(Date.now() + 12 * 60_000)
      expect(await answer()).toMatchObject({ status: 400, json: { __type: 'NotAuthorizedException', message: 'Invalid session for the user, session is expired.' } })
    }
    finally {
      local.pool.updateSettings(base)
    }
  })

  it('ends a Session after five wrong codes, and refuses a Session once it signed in', async () => {
    const email = 'fay-limits@example.com'
    await register(email)
    await signIn({ username: email, password: PASSWORD })
    await updateMFAPreference({ email: 'PREFERRED' })
    await signOut()

    const start = () => local.raw('InitiateAuth', { ClientId: base.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD } })
    const answer = (session: unknown, code: string) => local.raw('RespondToAuthChallenge', {
      ClientId: base.clientId, ChallengeName: 'EMAIL_OTP', Session: session, ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: code },
    })
    const guessed = (await start()).json.Session
    const code = (await newestMessage(local.messagesUrl, email, 'mfa-email')).code
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await answer(guessed, wrong(code))).json).toMatchObject({ __type: 'CodeMismatchException' })
    }
    expect((await answer(guessed, code)).json).toMatchObject({ __type: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' })
    expect((await answer(guessed, code)).json).toMatchObject({ __type: 'NotAuthorizedException', message: 'Invalid session for the user, session is expired.' })

    const session = (await start()).json.Session
    const fresh = (await newestMessage(local.messagesUrl, email, 'mfa-email')).code
    expect((await answer(session, fresh)).json).toMatchObject({ AuthenticationResult: { TokenType: 'Bearer' } })
    expect((await answer(session, fresh)).json).toMatchObject({ __type: 'NotAuthorizedException' })
  })
})

describe('required MFA with phone-number sign-in and e-mail codes set up at sign-in', () => {
  let local: Awaited<ReturnType<typeof startPool>>
  const settings: UserPoolSettings = {
    ...base,
    usernameAttributes: ['phone_number'],
    autoVerifiedAttributes: ['phone_number'],
    requiredAttributes: ['phone_number'],
    mfa: { configuration: 'ON', methods: ['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP'] },
    accountRecovery: ['verified_phone_number'],
    sms: { verificationMessage: 'Your code is {####}', authenticationMessage: 'Sign in with {####}' },
  }

  beforeAll(async () => {
    local = await startPool(settings, iam, join(dir, 'required'))
  })
  afterAll(() => local.stop())

  it('signs up with a phone number, texts the code, and has the user give an address for e-mail codes at first sign-in', async () => {
    const phone = '+15555550142'
    await expect(signUp({ username: 'gil@example.com', password: PASSWORD })).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Username should be a phone number.' })
    const signedUp = await signUp({ username: phone, password: PASSWORD })
    expect(signedUp.nextStep).toMatchObject({ signUpStep: 'CONFIRM_SIGN_UP', codeDeliveryDetails: { deliveryMedium: 'SMS', destination: '+*******0142', attributeName: 'phone_number' } })
    const sent = await newestMessage(local.messagesUrl, phone, 'sign-up')
    expect(sent).toMatchObject({ medium: 'SMS', body: `Your code is ${sent.code}` })
    await confirmSignUp({ username: phone, confirmationCode: sent.code })
    await expect(signUp({ username: phone, password: PASSWORD })).rejects.toMatchObject({ name: 'UsernameExistsException', message: 'An account with the given phone_number already exists.' })

    // No authenticator and no address: the user chooses what to set up.
    expect(await signIn({ username: phone, password: PASSWORD })).toMatchObject({
      nextStep: { signInStep: 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION', allowedMFATypes: ['TOTP', 'EMAIL'] },
    })
    expect(await confirmSignIn({ challengeResponse: 'EMAIL' })).toMatchObject({ nextStep: { signInStep: 'CONTINUE_SIGN_IN_WITH_EMAIL_SETUP' } })
    expect(await confirmSignIn({ challengeResponse: 'gil@example.com' })).toMatchObject({
      nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', codeDeliveryDetails: { destination: 'g***@e***' } },
    })
    expect(await confirmSignIn({ challengeResponse: (await newestMessage(local.messagesUrl, 'gil@example.com', 'mfa-email')).code })).toMatchObject({ isSignedIn: true })
    expect(await fetchUserAttributes()).toMatchObject({ phone_number: phone, phone_number_verified: 'true', email: 'gil@example.com', email_verified: 'true' })
    expect(await fetchMFAPreference()).toEqual({ preferred: 'EMAIL', enabled: ['EMAIL'] })
    await signOut()

    expect(await signIn({ username: phone, password: PASSWORD })).toMatchObject({ nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE' } })
    expect(await confirmSignIn({ challengeResponse: (await newestMessage(local.messagesUrl, 'gil@example.com', 'mfa-email')).code })).toMatchObject({ isSignedIn: true })
  })
})

describe('a backend whose defineAuth requires MFA, with e-mail or phone-number sign-in', () => {
  let project: ScratchProject
  let sandbox: Sandbox
  let stop: () => Promise<void>

  beforeAll(async () => {
    project = await scratchProject('mfa')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir }))
    Amplify.configure(amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs))
  })
  afterAll(async () => {
    await stop?.()
    await project?.remove()
  })

  it('reads the multifactor mode and factors from the synthesized pool', () => {
    expect(sandbox.userPool.settings).toMatchObject({
      usernameAttributes: ['email', 'phone_number'],
      mfa: { configuration: 'ON', methods: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'] },
      accountRecovery: ['verified_email'],
      authSessionSeconds: 180,
    })
    expect(sandbox.outputs.auth).toMatchObject({ mfa_configuration: 'REQUIRED', mfa_methods: ['SMS', 'TOTP'] })
  })

  it('has an e-mail user set up an authenticator at their first sign-in (MFA_SETUP), then asks for its codes', async () => {
    const email = `hal-${Date.now()}@example.com`
    await signUp({ username: email, password: PASSWORD })
    await confirmSignUp({ username: email, confirmationCode: (await newestMessage(sandbox.messagesUrl, email, 'sign-up')).code })

    const first = await signIn({ username: email, password: PASSWORD })
    expect(first).toMatchObject({ isSignedIn: false, nextStep: { signInStep: 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP' } })
    const { sharedSecret } = (first.nextStep as { totpSetupDetails: { sharedSecret: string } }).totpSetupDetails
    await expect(confirmSignIn({ challengeResponse: wrong(totp(sharedSecret)) })).rejects.toMatchObject({ name: 'EnableSoftwareTokenMFAException' })
    expect(await confirmSignIn({ challengeResponse: totp(sharedSecret) })).toMatchObject({ isSignedIn: true })
    expect(await fetchMFAPreference()).toEqual({ preferred: 'TOTP', enabled: ['TOTP'] })
    await signOut()

    expect(await signIn({ username: email, password: PASSWORD })).toMatchObject({ nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_TOTP_CODE' } })
    expect(await confirmSignIn({ challengeResponse: totp(sharedSecret, Date.now() + 30_000) })).toMatchObject({ isSignedIn: true })
  })

  it('signs a phone number up and in, with the sign-up code and the second factor by text message', async () => {
    const phone = `+1555${String(Date.now()).slice(-7)}`
    const { nextStep } = await signUp({ username: phone, password: PASSWORD })
    expect(nextStep).toMatchObject({ signUpStep: 'CONFIRM_SIGN_UP', codeDeliveryDetails: { deliveryMedium: 'SMS' } })
    await confirmSignUp({ username: phone, confirmationCode: (await newestMessage(sandbox.messagesUrl, phone, 'sign-up')).code })

    expect(await signIn({ username: phone, password: PASSWORD })).toMatchObject({ nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE' } })
    const sent = await newestMessage(sandbox.messagesUrl, phone, 'mfa-sms')
    expect(await confirmSignIn({ challengeResponse: sent.code })).toMatchObject({ isSignedIn: true })
    expect(await fetchUserAttributes()).toMatchObject({ phone_number: phone, phone_number_verified: 'true' })
    expect(sandbox.userPool.users().find(user => user.attributes.phone_number === phone)).toMatchObject({ status: 'CONFIRMED' })
  })
})
