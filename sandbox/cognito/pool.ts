/**
 * The user pool's behaviour: one method per Cognito operation, on an in-memory model that
 * `StateFile` persists. Operations throw `CognitoError`; `call` persists any change before returning.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, randomInt, randomUUID } from 'node:crypto'
import { errors as joseErrors, type JWTPayload } from 'jose'
import type { SandboxMessage, TokenUse, UserPoolSettings } from '../types'
import {
  attemptLimit, attributeList, codeMismatch, CognitoError, incorrectCredentials, invalidParameter,
  requireString, stringMap, type Body,
} from './errors'
import * as srp from './srp'
import { StateFile, type CodeKind, type PoolState, type StoredSession, type StoredUser } from './store'
import { issueTokens, verifyJwt, type PoolKeys } from './tokens'
import { checkPassword, checkWritableAttributes, isEmail, maskEmail } from './validation'

const HOUR = 3_600_000
const CODE_LIFETIME: Record<CodeKind, number> = { signUp: 24 * HOUR, forgotPassword: HOUR, verifyEmail: 24 * HOUR }
const MESSAGE_KIND: Record<CodeKind, SandboxMessage['kind']> = { signUp: 'sign-up', forgotPassword: 'forgot-password', verifyEmail: 'verify-attribute' }
/** Codes one user may be sent per hour before LimitExceededException. */
const MAX_CODES_PER_HOUR = 10
/** Wrong guesses a code survives; the next attempt voids it (6-digit codes are otherwise guessable). */
const MAX_CODE_FAILURES = 5
/** How long an SRP challenge stays answerable, and how far TIMESTAMP may be from our clock. */
const CHALLENGE_LIFETIME = 5 * 60_000
const CLOCK_TOLERANCE = 5 * 60_000
/** Revoked or expired sessions are kept this long after their refresh token expires, so tokens
 * issued from them (at most a day, Cognito's maximum) still read as revoked rather than unknown. */
const SESSION_GRACE = 24 * HOUR
const MAX_MESSAGES = 1000

interface SecretBlock {
  /** One-time id, so a captured answer cannot be replayed. */
  id: string
  clientId: string
  userId: string
  fake: boolean
  A: string
  B: string
  b: string
  expiresAt: number
}

export class LocalPool {
  private users = new Map<string, StoredUser>()
  /** Normalized e-mail → sub, for the sign-in alias. */
  private emails = new Map<string, string>()
  private sessions = new Map<string, StoredSession>()
  /** Refresh-token hash → origin_jti. */
  private refreshIndex = new Map<string, string>()
  private messages: SandboxMessage[] = []
  /** Answered SRP challenges (in memory: they expire within minutes). */
  private usedChallenges = new Map<string, number>()
  private readonly blockKey: Buffer
  private readonly file: StateFile
  /** Bumped by every change; `call` persists when it moved. */
  private version = 0
  /** The public signing keys, as `/.well-known/jwks.json` serves them. */
  readonly jwks: { keys: Array<Record<string, unknown>> }

  constructor(
    public settings: UserPoolSettings,
    readonly keys: PoolKeys,
    dir: string,
    private readonly onMessage?: (message: SandboxMessage) => void,
  ) {
    this.jwks = { keys: [keys.jwk] }
    this.blockKey = Buffer.from(hkdfSync('sha256', keys.secret, Buffer.alloc(0), 'srp-secret-block', 32))
    this.file = new StateFile(dir, () => this.snapshot())
  }

  get issuer(): string {
    return `https://cognito-idp.${this.settings.region}.amazonaws.com/${this.settings.userPoolId}`
  }

  private get poolName(): string {
    return this.settings.userPoolId.split('_')[1] ?? ''
  }

  async load(): Promise<void> {
    const state = await this.file.load()
    if (!state) return
    for (const user of state.users) this.addUser(user)
    for (const session of state.sessions) {
      this.sessions.set(session.originJti, session)
      this.refreshIndex.set(session.refreshHash, session.originJti)
    }
    this.messages = state.messages
  }

  private snapshot(): PoolState {
    this.purge()
    return {
      version: 1,
      userPoolId: this.settings.userPoolId,
      users: [...this.users.values()],
      sessions: [...this.sessions.values()],
      messages: this.messages,
    }
  }

  close(): Promise<void> {
    return this.file.flush()
  }

  listMessages(to?: string): SandboxMessage[] {
    if (to === undefined) return this.messages
    const wanted = to.toLowerCase()
    return this.messages.filter(m => m.to.toLowerCase() === wanted)
  }

  /** Runs one operation; whatever it changed is on disk before this resolves or rejects. */
  async call(operation: string, body: Body): Promise<Body> {
    // Own properties only: `constructor` or `toString` must not reach Object.prototype.
    const handler = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined
    if (!handler) throw new CognitoError('UnknownOperationException', `Unknown operation ${operation}`)
    const before = this.version
    try {
      return await handler(body)
    }
    finally {
      if (this.version !== before) await this.file.save()
    }
  }

  private readonly operations: Record<string, (body: Body) => Promise<Body>> = {
    SignUp: b => this.signUp(b),
    ConfirmSignUp: b => this.confirmSignUp(b),
    ResendConfirmationCode: b => this.resendConfirmationCode(b),
    InitiateAuth: b => this.initiateAuth(b),
    RespondToAuthChallenge: b => this.respondToAuthChallenge(b),
    GetTokensFromRefreshToken: b => this.getTokensFromRefreshToken(b),
    RevokeToken: b => this.revokeToken(b),
    GlobalSignOut: b => this.globalSignOut(b),
    GetUser: b => this.getUser(b),
    UpdateUserAttributes: b => this.updateUserAttributes(b),
    VerifyUserAttribute: b => this.verifyUserAttribute(b),
    GetUserAttributeVerificationCode: b => this.getUserAttributeVerificationCode(b),
    ChangePassword: b => this.changePassword(b),
    ForgotPassword: b => this.forgotPassword(b),
    ConfirmForgotPassword: b => this.confirmForgotPassword(b),
    DeleteUser: b => this.deleteUser(b),
  }

  // --- Sign-up ------------------------------------------------------------------------------

  private async signUp(body: Body): Promise<Body> {
    this.requireClient(body)
    const username = requireString(body, 'Username', 128)
    const password = requireString(body, 'Password', 4096)
    const attributes = checkWritableAttributes(attributeList(body, 'UserAttributes', false))
    // Gen 2 pools sign in with e-mail (or phone, which would need SMS); only e-mail is modelled.
    if (!this.signsInWithEmail) throw invalidParameter('The offline sandbox supports only pools whose users sign in with their email.')
    if (!isEmail(username)) throw invalidParameter('Username should be an email.')
    if (attributes.email !== undefined && this.normalize(attributes.email) !== this.normalize(username)) {
      throw invalidParameter('Email attribute does not match the username.')
    }
    attributes.email = username
    for (const name of this.settings.requiredAttributes) {
      if (!attributes[name]) throw invalidParameter(`Attributes did not conform to the schema: ${name}: The attribute is required`)
    }
    checkPassword(password, this.settings.passwordPolicy)
    if (this.findUser(username)) {
      throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.')
    }

    const sub = randomUUID()
    const now = new Date().toISOString()
    const user: StoredUser = {
      sub,
      status: 'UNCONFIRMED',
      attributes: { ...attributes, email_verified: 'false' },
      ...srp.createVerifier(this.poolName, sub, password),
      codes: {},
      codeSends: [],
      createdAt: now,
      updatedAt: now,
    }
    this.addUser(user)
    this.changed()
    const delivery = this.settings.autoVerifiedAttributes.includes('email')
      ? this.sendCode(user, 'signUp', username)
      : undefined
    return { UserConfirmed: false, UserSub: sub, ...(delivery ? { CodeDeliveryDetails: delivery } : {}) }
  }

  private async confirmSignUp(body: Body): Promise<Body> {
    this.requireClient(body)
    const username = requireString(body, 'Username', 128)
    const code = requireString(body, 'ConfirmationCode', 2048)
    const user = this.findUser(username)
    if (!user) throw this.hideUser(codeMismatch())
    if (user.status === 'CONFIRMED') throw new CognitoError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED')
    this.consumeCode(user, 'signUp', code)
    user.status = 'CONFIRMED'
    if (user.attributes.email) user.attributes.email_verified = 'true'
    this.touchUser(user)
    return {}
  }

  private async resendConfirmationCode(body: Body): Promise<Body> {
    const { user, hidden } = this.codeRecipient(body)
    if (!user) return hidden
    if (user.status === 'CONFIRMED') throw invalidParameter('User is already confirmed.')
    return { CodeDeliveryDetails: this.sendCode(user, 'signUp', user.attributes.email ?? '') }
  }

  // --- Sign-in ------------------------------------------------------------------------------

  private async initiateAuth(body: Body): Promise<Body> {
    this.requireClient(body)
    const flow = requireString(body, 'AuthFlow', 64)
    const params = stringMap(body, 'AuthParameters')
    switch (flow) {
      case 'USER_SRP_AUTH':
        this.requireFlow('ALLOW_USER_SRP_AUTH', flow)
        return this.startSrp(body.ClientId as string, params)
      case 'USER_PASSWORD_AUTH':
        this.requireFlow('ALLOW_USER_PASSWORD_AUTH', flow)
        return this.passwordAuth(body.ClientId as string, params)
      case 'REFRESH_TOKEN_AUTH':
      case 'REFRESH_TOKEN':
        this.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH')
        if (!params.REFRESH_TOKEN) throw invalidParameter('Missing required parameter REFRESH_TOKEN')
        return this.refresh(body.ClientId as string, params.REFRESH_TOKEN)
      case 'CUSTOM_AUTH':
        this.requireFlow('ALLOW_CUSTOM_AUTH', flow)
        // The sandbox runs no Lambda triggers; a pool without a DefineAuthChallenge trigger says this.
        throw invalidParameter('Custom auth lambda trigger is not configured for the user pool.')
      case 'USER_AUTH':
        this.requireFlow('ALLOW_USER_AUTH', flow)
        throw invalidParameter('USER_AUTH flow is not supported by the offline sandbox.')
      case 'ADMIN_NO_SRP_AUTH':
      case 'ADMIN_USER_PASSWORD_AUTH':
        throw invalidParameter('Initiate Auth method not supported.')
      default:
        throw invalidParameter(`1 validation error detected: Value '${flow.slice(0, 64)}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH, USER_AUTH]`)
    }
  }

  private startSrp(clientId: string, params: Record<string, string>): Body {
    if (!params.USERNAME) throw invalidParameter('Missing required parameter USERNAME')
    if (!params.SRP_A) throw invalidParameter('Missing required parameter SRP_A')
    const A = srp.parseClientA(params.SRP_A)
    if (A === undefined) throw invalidParameter('Invalid SRP_A value.')
    const user = this.findUser(params.USERNAME)
    let userId: string, salt: string, B: bigint, b = 0n
    if (user) {
      ({ b, B } = srp.createServerEphemeral(user.verifier))
      userId = user.sub
      salt = user.salt
    }
    else if (this.settings.preventUserExistenceErrors) {
      // Stable per name, so asking twice cannot tell a real user from an invented one.
      const seed = createHmac('sha256', this.keys.secret).update(`fake:${this.normalize(params.USERNAME)}`).digest()
      userId = uuidFromBytes(seed)
      salt = seed.subarray(16).toString('hex')
      B = srp.createFakeServerB()
    }
    else {
      throw new CognitoError('UserNotFoundException', 'User does not exist.')
    }
    const secretBlock = this.sealBlock({
      id: randomUUID(),
      clientId,
      userId,
      fake: !user,
      A: A.toString(16),
      B: B.toString(16),
      b: b.toString(16),
      expiresAt: Date.now() + CHALLENGE_LIFETIME,
    })
    return {
      ChallengeName: 'PASSWORD_VERIFIER',
      ChallengeParameters: {
        SALT: salt,
        SECRET_BLOCK: secretBlock,
        SRP_B: B.toString(16),
        USERNAME: userId,
        USER_ID_FOR_SRP: userId,
      },
    }
  }

  private async respondToAuthChallenge(body: Body): Promise<Body> {
    this.requireClient(body)
    const challenge = requireString(body, 'ChallengeName', 64)
    const responses = stringMap(body, 'ChallengeResponses')
    if (challenge !== 'PASSWORD_VERIFIER') throw invalidParameter(`Challenge ${challenge.slice(0, 64)} is not supported by the offline sandbox.`)
    for (const key of ['USERNAME', 'PASSWORD_CLAIM_SECRET_BLOCK', 'TIMESTAMP', 'PASSWORD_CLAIM_SIGNATURE']) {
      if (!responses[key]) throw invalidParameter(`Missing required parameter ${key}`)
    }
    const block = this.openBlock(responses.PASSWORD_CLAIM_SECRET_BLOCK)
    if (!block || block.clientId !== body.ClientId) throw incorrectCredentials()
    const timestamp = srp.parseSrpTimestamp(responses.TIMESTAMP)
    if (timestamp === undefined) throw invalidParameter('TIMESTAMP format is invalid.')
    if (Math.abs(timestamp - Date.now()) > CLOCK_TOLERANCE) throw new CognitoError('NotAuthorizedException', 'TIMESTAMP is too far from the server\'s clock.')
    if (block.expiresAt < Date.now()) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.')
    this.pruneChallenges()
    if (this.usedChallenges.has(block.id)) throw incorrectCredentials()
    this.usedChallenges.set(block.id, block.expiresAt)

    const user = block.fake ? undefined : this.users.get(block.userId)
    const named = this.findUser(responses.USERNAME)
    if (!user || named !== user) throw incorrectCredentials()
    const expected = srp.expectedSignature({
      poolName: this.poolName,
      userId: user.sub,
      verifierHex: user.verifier,
      A: BigInt(`0x${block.A}`),
      B: BigInt(`0x${block.B}`),
      b: BigInt(`0x${block.b}`),
      secretBlock: Buffer.from(responses.PASSWORD_CLAIM_SECRET_BLOCK, 'base64'),
      timestamp: responses.TIMESTAMP,
    })
    const given = Buffer.from(responses.PASSWORD_CLAIM_SIGNATURE, 'base64')
    if (!given.equals(expected)) throw incorrectCredentials()
    return this.signIn(user, block.clientId)
  }

  private async passwordAuth(clientId: string, params: Record<string, string>): Promise<Body> {
    if (!params.USERNAME) throw invalidParameter('Missing required parameter USERNAME')
    if (!params.PASSWORD) throw invalidParameter('Missing required parameter PASSWORD')
    const user = this.findUser(params.USERNAME)
    if (!user) {
      // Same work as a real check, so timing does not reveal unknown users either.
      srp.computeVerifier(this.poolName, 'unknown', params.PASSWORD, '00')
      throw this.hideUser(incorrectCredentials(), new CognitoError('UserNotFoundException', 'User does not exist.'))
    }
    if (!srp.passwordMatches(this.poolName, user.sub, params.PASSWORD, user.salt, user.verifier)) throw incorrectCredentials()
    return this.signIn(user, clientId)
  }

  /** After a correct password: only now may the caller learn the user is unconfirmed. */
  private async signIn(user: StoredUser, clientId: string): Promise<Body> {
    if (user.status !== 'CONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.')
    const refreshToken = randomBytes(96).toString('base64url')
    const session: StoredSession = {
      originJti: randomUUID(),
      sub: user.sub,
      clientId,
      refreshHash: hashToken(refreshToken),
      authTime: Math.floor(Date.now() / 1000),
      expiresAt: Date.now() + this.settings.tokenValidity.refreshSeconds * 1000,
      revoked: false,
    }
    this.sessions.set(session.originJti, session)
    this.refreshIndex.set(session.refreshHash, session.originJti)
    this.changed()
    const tokens = await this.tokensFor(user, session)
    return {
      ChallengeParameters: {},
      AuthenticationResult: { ...tokens, RefreshToken: refreshToken },
    }
  }

  private async tokensFor(user: StoredUser, session: StoredSession): Promise<Body> {
    const { accessSeconds, idSeconds } = this.settings.tokenValidity
    const tokens = await issueTokens(this.keys, {
      issuer: this.issuer,
      clientId: session.clientId,
      sub: user.sub,
      originJti: session.originJti,
      authTime: session.authTime,
      attributes: user.attributes,
      accessSeconds,
      idSeconds,
    })
    return { AccessToken: tokens.AccessToken, ExpiresIn: accessSeconds, TokenType: 'Bearer', IdToken: tokens.IdToken }
  }

  // --- Refresh and sign-out -----------------------------------------------------------------

  private async getTokensFromRefreshToken(body: Body): Promise<Body> {
    this.requireClient(body)
    const token = requireString(body, 'RefreshToken', 8192)
    this.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH')
    return this.refresh(body.ClientId as string, token)
  }

  /** New access and id tokens for the refresh token's session (same origin_jti); no rotation. */
  private async refresh(clientId: string, refreshToken: string): Promise<Body> {
    const originJti = this.refreshIndex.get(hashToken(refreshToken))
    const session = originJti ? this.sessions.get(originJti) : undefined
    if (!session || session.clientId !== clientId) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token')
    if (session.revoked) throw new CognitoError('NotAuthorizedException', 'Refresh Token has been revoked')
    if (session.expiresAt < Date.now()) throw new CognitoError('NotAuthorizedException', 'Refresh Token has expired')
    const user = this.users.get(session.sub)
    if (!user) throw new CognitoError('NotAuthorizedException', 'User does not exist.')
    return { ChallengeParameters: {}, AuthenticationResult: await this.tokensFor(user, session) }
  }

  private async revokeToken(body: Body): Promise<Body> {
    this.requireClient(body)
    const token = requireString(body, 'Token', 8192)
    const originJti = this.refreshIndex.get(hashToken(token))
    const session = originJti ? this.sessions.get(originJti) : undefined
    // Unknown tokens succeed silently, as Cognito's RevokeToken does.
    if (session && session.clientId === body.ClientId && !session.revoked) {
      session.revoked = true
      this.changed()
    }
    return {}
  }

  private async globalSignOut(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    this.revokeSessionsOf(user.sub)
    return {}
  }

  // --- The signed-in user -------------------------------------------------------------------

  private async getUser(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    return {
      Username: user.sub,
      UserAttributes: [
        { Name: 'sub', Value: user.sub },
        ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
      ],
    }
  }

  private async updateUserAttributes(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    const updates = checkWritableAttributes(attributeList(body, 'UserAttributes', true))
    let delivery: Body | undefined
    const { email, ...rest } = updates
    if (email !== undefined) {
      const owner = this.emails.get(this.normalize(email))
      if (owner && owner !== user.sub) throw aliasExists()
      if (owner === user.sub) {
        // Same address (maybe other case): nothing to verify.
        delete user.pendingEmail
      }
      else {
        // Keep the verified address in force until the new one is proven (Cognito's
        // "keep original attribute value active when an update is pending").
        delivery = this.sendCode(user, 'verifyEmail', email)
        user.pendingEmail = email
      }
    }
    for (const name of this.settings.requiredAttributes) {
      if (name in rest && !rest[name]) throw invalidParameter(`Attributes did not conform to the schema: ${name}: The attribute is required`)
    }
    Object.assign(user.attributes, rest)
    this.touchUser(user)
    return delivery ? { CodeDeliveryDetailsList: [delivery] } : {}
  }

  private async getUserAttributeVerificationCode(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    const name = requireString(body, 'AttributeName', 32)
    if (name !== 'email') throw invalidParameter(`No verification is set up for ${name} in the offline sandbox.`)
    const to = user.pendingEmail ?? user.attributes.email
    if (!to) throw invalidParameter('No email address registered for this user.')
    return { CodeDeliveryDetails: this.sendCode(user, 'verifyEmail', to) }
  }

  private async verifyUserAttribute(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    const name = requireString(body, 'AttributeName', 32)
    const code = requireString(body, 'Code', 2048)
    if (name !== 'email') throw invalidParameter(`No verification is set up for ${name} in the offline sandbox.`)
    const pending = user.pendingEmail
    if (pending !== undefined) {
      const owner = this.emails.get(this.normalize(pending))
      if (owner && owner !== user.sub) throw aliasExists()
    }
    this.consumeCode(user, 'verifyEmail', code)
    if (pending !== undefined) {
      if (user.attributes.email) this.emails.delete(this.normalize(user.attributes.email))
      user.attributes.email = pending
      this.emails.set(this.normalize(pending), user.sub)
      delete user.pendingEmail
    }
    user.attributes.email_verified = 'true'
    this.touchUser(user)
    return {}
  }

  private async changePassword(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    const previous = requireString(body, 'PreviousPassword', 4096)
    const proposed = requireString(body, 'ProposedPassword', 4096)
    checkPassword(proposed, this.settings.passwordPolicy)
    if (!srp.passwordMatches(this.poolName, user.sub, previous, user.salt, user.verifier)) throw incorrectCredentials()
    Object.assign(user, srp.createVerifier(this.poolName, user.sub, proposed))
    this.touchUser(user)
    return {}
  }

  private async deleteUser(body: Body): Promise<Body> {
    const { user } = await this.authenticate(body)
    this.revokeSessionsOf(user.sub)
    this.users.delete(user.sub)
    if (user.attributes.email) this.emails.delete(this.normalize(user.attributes.email))
    this.changed()
    return {}
  }

  // --- Forgotten password -------------------------------------------------------------------

  private async forgotPassword(body: Body): Promise<Body> {
    const { user, hidden } = this.codeRecipient(body)
    if (!user) return hidden
    const email = user.attributes.email
    if (!email || user.attributes.email_verified !== 'true') {
      throw invalidParameter('Cannot reset password for the user as there is no registered/verified email or phone_number')
    }
    return { CodeDeliveryDetails: this.sendCode(user, 'forgotPassword', email) }
  }

  private async confirmForgotPassword(body: Body): Promise<Body> {
    this.requireClient(body)
    const username = requireString(body, 'Username', 128)
    const code = requireString(body, 'ConfirmationCode', 2048)
    const password = requireString(body, 'Password', 4096)
    // Policy first, for everyone: checking it only for real users would reveal who exists.
    checkPassword(password, this.settings.passwordPolicy)
    const user = this.findUser(username)
    if (!user) throw this.hideUser(codeMismatch())
    this.consumeCode(user, 'forgotPassword', code)
    // Existing sessions stay valid, as in Cognito.
    Object.assign(user, srp.createVerifier(this.poolName, user.sub, password))
    this.touchUser(user)
    return {}
  }

  // --- Tokens -------------------------------------------------------------------------------

  /** `UserPool.verifyToken`: a valid token of this pool and client whose session is not revoked. */
  async verifyToken(token: string, use?: TokenUse, { checkRevocation = true } = {}): Promise<JWTPayload> {
    const payload = await verifyJwt(this.keys, token, this.issuer, this.settings.clientId, use)
    if (!checkRevocation) return payload
    const session = this.sessions.get(payload.origin_jti as string)
    if (!session || session.revoked || session.sub !== payload.sub) throw new Error('Token has been revoked')
    return payload
  }

  /** The caller of an AccessToken operation, with Cognito's wording for each way it can fail. */
  private async authenticate(body: Body): Promise<{ user: StoredUser, claims: JWTPayload }> {
    const token = requireString(body, 'AccessToken', 16384)
    let claims: JWTPayload
    try {
      claims = await verifyJwt(this.keys, token, this.issuer, this.settings.clientId, 'access')
    }
    catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new CognitoError('NotAuthorizedException', 'Access Token has expired')
      throw new CognitoError('NotAuthorizedException', 'Invalid Access Token')
    }
    const session = this.sessions.get(claims.origin_jti as string)
    if (!session || session.revoked) throw new CognitoError('NotAuthorizedException', 'Access Token has been revoked')
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes('aws.cognito.signin.user.admin')) {
      throw new CognitoError('NotAuthorizedException', 'Access Token does not have required scopes')
    }
    const user = this.users.get(claims.sub as string)
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.')
    return { user, claims }
  }

  private revokeSessionsOf(sub: string): void {
    for (const session of this.sessions.values()) {
      if (session.sub === sub && !session.revoked) session.revoked = true
    }
    this.changed()
  }

  // --- Codes and messages -------------------------------------------------------------------

  private sendCode(user: StoredUser, kind: CodeKind, to: string): Body {
    const now = Date.now()
    user.codeSends = user.codeSends.filter(at => at > now - HOUR)
    if (user.codeSends.length >= MAX_CODES_PER_HOUR) throw attemptLimit()
    user.codeSends.push(now)
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    // A new code replaces the previous one of its kind.
    user.codes[kind] = { code, expiresAt: now + CODE_LIFETIME[kind], failedAttempts: 0 }
    const { subject, message } = this.settings.verificationEmail
    const sent: SandboxMessage = {
      kind: MESSAGE_KIND[kind],
      to,
      sub: user.sub,
      code,
      subject,
      body: message.replaceAll('{####}', code),
      sentAt: new Date(now).toISOString(),
    }
    this.messages.push(sent)
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES)
    this.touchUser(user)
    try {
      this.onMessage?.(sent)
    }
    catch {
      // A failing listener must not fail the user's request; the message is still listed.
    }
    return { Destination: maskEmail(to), DeliveryMedium: 'EMAIL', AttributeName: 'email' }
  }

  /** Checks a code: single use, expiring, and voided after too many wrong guesses. */
  private consumeCode(user: StoredUser, kind: CodeKind, code: string): void {
    const stored = user.codes[kind]
    if (!stored) throw codeMismatch()
    if (stored.failedAttempts >= MAX_CODE_FAILURES) {
      user.codes = omit(user.codes, kind)
      this.touchUser(user)
      throw attemptLimit()
    }
    if (stored.code !== code) {
      stored.failedAttempts++
      this.touchUser(user)
      throw codeMismatch()
    }
    if (stored.expiresAt < Date.now()) throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.')
    user.codes = omit(user.codes, kind)
    this.touchUser(user)
  }

  /**
   * The user a code is to be sent to; for an unknown user, the answer that hides it (a delivery
   * that never happens) or, without existence hiding, UserNotFoundException.
   */
  private codeRecipient(body: Body): { user: StoredUser, hidden?: never } | { user?: never, hidden: Body } {
    this.requireClient(body)
    const username = requireString(body, 'Username', 128)
    const user = this.findUser(username)
    if (user) return { user }
    if (this.settings.preventUserExistenceErrors) return { hidden: { CodeDeliveryDetails: this.fakeDelivery(username) } }
    throw this.userNotFound()
  }

  private fakeDelivery(username: string): Body {
    return { Destination: maskEmail(isEmail(username) ? username : `${username}@example.com`), DeliveryMedium: 'EMAIL', AttributeName: 'email' }
  }

  // --- Helpers ------------------------------------------------------------------------------

  private get signsInWithEmail(): boolean {
    return this.settings.usernameAttributes.includes('email')
  }

  private normalize(name: string): string {
    return this.settings.caseSensitive ? name : name.toLowerCase()
  }

  /** By e-mail alias, or by the username itself (the sub), as Cognito accepts both. */
  private findUser(name: string): StoredUser | undefined {
    const sub = this.emails.get(this.normalize(name))
    return sub ? this.users.get(sub) : this.users.get(name.toLowerCase())
  }

  private addUser(user: StoredUser): void {
    this.users.set(user.sub, user)
    if (user.attributes.email) this.emails.set(this.normalize(user.attributes.email), user.sub)
  }

  private touchUser(user: StoredUser): void {
    user.updatedAt = new Date().toISOString()
    this.changed()
  }

  private changed(): void {
    this.version++
  }

  private requireClient(body: Body): void {
    const clientId = requireString(body, 'ClientId', 128)
    if (clientId !== this.settings.clientId) throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId.slice(0, 128)} does not exist.`)
  }

  private requireFlow(allow: string, flow: string): void {
    if (!this.settings.explicitAuthFlows.includes(allow)) throw invalidParameter(`${flow} flow not enabled for this client`)
  }

  /** With PreventUserExistenceErrors an unknown user gets `hidden`, otherwise `revealed`. */
  private hideUser(hidden: CognitoError, revealed: CognitoError = this.userNotFound()): CognitoError {
    return this.settings.preventUserExistenceErrors ? hidden : revealed
  }

  private userNotFound(): CognitoError {
    return new CognitoError('UserNotFoundException', 'Username/client id combination not found.')
  }

  private purge(): void {
    const cutoff = Date.now() - SESSION_GRACE
    for (const [originJti, session] of this.sessions) {
      if (session.expiresAt < cutoff) {
        this.sessions.delete(originJti)
        this.refreshIndex.delete(session.refreshHash)
      }
    }
  }

  private pruneChallenges(): void {
    const now = Date.now()
    for (const [id, expiresAt] of this.usedChallenges) if (expiresAt < now) this.usedChallenges.delete(id)
  }

  /** SECRET_BLOCK: the challenge state, AES-256-GCM sealed with this sandbox's secret. */
  private sealBlock(block: SecretBlock): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.blockKey, iv)
    const sealed = Buffer.concat([cipher.update(JSON.stringify(block), 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')
  }

  private openBlock(value: string): SecretBlock | undefined {
    try {
      const raw = Buffer.from(value, 'base64')
      const decipher = createDecipheriv('aes-256-gcm', this.blockKey, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()])
      return JSON.parse(plain.toString('utf8')) as SecretBlock
    }
    catch {
      return undefined
    }
  }
}

function aliasExists(): CognitoError {
  return new CognitoError('AliasExistsException', 'An account with the given email already exists.')
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** A v4-shaped UUID from random-looking bytes (for invented users' ids). */
function uuidFromBytes(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const hex = b.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function omit<T extends object, K extends keyof T>(object: T, key: K): Omit<T, K> {
  const { [key]: _omitted, ...rest } = object
  return rest
}
