/**
 * The local user pool as its operations see it: settings, keys, state, and the checks several
 * operation families share (the app client, enabled flows, the caller of an AccessToken operation,
 * the signer of an IAM-authorized one). The operations themselves are in `operations/`.
 */
import { errors as joseErrors, type JWTPayload } from 'jose'
import type { Iam, Principal, SignedRequest } from '../iam/types'
import type { SandboxMessage, TokenUse, TriggerInvoker, UserPoolSettings } from '../core/types'
import {
  accessTokenExpired, accessTokenRevoked, accessTokenScope, clientNotFound, flowNotEnabled, invalidAccessToken,
  requestNotSigned, signatureRefused, userNotFound, type CognitoError,
} from './errors'
import { groupClaims, type GroupClaims } from './groups'
import { requireString, type Body } from './params'
import { SecretBlocks } from './secret-block'
import { PoolState } from './state'
import type { StoredUser } from './state-file'
import { verifyJwt, type PoolKeys } from './tokens'

/** The service name IAM-signed Cognito requests carry in their credential scope. */
const SIGNING_SERVICE = 'cognito-idp'

export class LocalPool {
  readonly state: PoolState
  /** Seals the challenge state handed to the client: SRP's SECRET_BLOCK and every later challenge's Session. */
  readonly secretBlocks: SecretBlocks
  /** The public signing keys, as `/.well-known/jwks.json` serves them. */
  readonly jwks: { keys: Array<Record<string, unknown>> }
  /** Runs the pool's Lambda triggers (./triggers.ts); set once the sandbox's functions are up. */
  triggerInvoker?: TriggerInvoker

  constructor(
    public settings: UserPoolSettings,
    readonly keys: PoolKeys,
    dir: string,
    /** Checks the signature and policy of every IAM-authorized (admin) request. */
    readonly iam: Iam,
    /** Told of every message the pool "sends". */
    readonly onMessage?: (message: SandboxMessage) => void,
  ) {
    this.jwks = { keys: [keys.jwk] }
    this.secretBlocks = new SecretBlocks(keys.secret)
    this.state = new PoolState(dir, () => this.settings)
  }

  get issuer(): string {
    return `https://cognito-idp.${this.settings.region}.amazonaws.com/${this.settings.userPoolId}`
  }

  /** The part of the pool id after `_`: SRP mixes it into every verifier. */
  get poolName(): string {
    return this.settings.userPoolId.split('_')[1] ?? ''
  }

  async load(): Promise<void> {
    await this.state.load()
    // The definition may have changed while the sandbox was stopped.
    this.state.syncGroups(this.settings.groups)
  }

  /** New settings from a new synth; groups the definition dropped go, with their memberships. */
  applySettings(settings: UserPoolSettings): void {
    this.settings = settings
    this.state.syncGroups(settings.groups)
    // Not awaited (a reload is not a request): `close` waits for it, and a failed write is retried by the next change.
    this.state.save().catch(() => {})
  }

  close(): Promise<void> {
    return this.state.close()
  }

  /** The request's `ClientId`, which must be this pool's app client. */
  requireClient(body: Body): string {
    const clientId = requireString(body, 'ClientId', 128)
    if (clientId !== this.settings.clientId) throw clientNotFound(clientId)
    return clientId
  }

  requireFlow(allow: string, flow: string): void {
    if (!this.settings.explicitAuthFlows.includes(allow)) throw flowNotEnabled(flow)
  }

  /** What an unknown user gets: `hidden` with PreventUserExistenceErrors, else UserNotFoundException. */
  unknownUser(hidden: () => CognitoError): CognitoError {
    return this.settings.preventUserExistenceErrors ? hidden() : userNotFound()
  }

  /** The caller of an AccessToken operation, with Cognito's wording for each way it can fail. */
  async authenticate(body: Body): Promise<{ user: StoredUser, claims: JWTPayload }> {
    const token = requireString(body, 'AccessToken', 16384)
    let claims: JWTPayload
    try {
      claims = await verifyJwt(this.keys, token, this.issuer, this.settings.clientId, 'access')
    }
    catch (error) {
      throw error instanceof joseErrors.JWTExpired ? accessTokenExpired() : invalidAccessToken()
    }
    const session = this.state.session(claims.origin_jti as string)
    if (!session || session.revoked) throw accessTokenRevoked()
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes('aws.cognito.signin.user.admin')) throw accessTokenScope()
    const user = this.state.userBySub(claims.sub as string)
    if (!user) throw userNotFound()
    return { user, claims }
  }

  /**
   * Who signed an IAM-authorized request, with AWS's answer for an unsigned or badly signed one.
   * It runs before the body is read, as AWS checks the signature first.
   */
  async signer(request: SignedRequest): Promise<Principal> {
    const verified = await this.iam.verify(request, SIGNING_SERVICE)
    if (verified.ok) return verified.principal
    throw verified.code === 'MissingAuthenticationTokenException' ? requestNotSigned() : signatureRefused(verified.code, verified.message)
  }

  /** What the user's memberships put in the tokens issued now. */
  groupClaims(user: StoredUser): GroupClaims | undefined {
    return groupClaims(this.settings.groups, user.groups ?? [])
  }

  /** `UserPool.verifyToken`: a valid token of this pool and client whose session is not revoked. */
  async verifyToken(token: string, use?: TokenUse, { checkRevocation = true } = {}): Promise<JWTPayload> {
    const payload = await verifyJwt(this.keys, token, this.issuer, this.settings.clientId, use)
    if (!checkRevocation) return payload
    const session = this.state.session(payload.origin_jti as string)
    if (!session || session.revoked || session.sub !== payload.sub) throw new Error('Token has been revoked')
    return payload
  }
}
