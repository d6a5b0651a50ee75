/**
 * Contracts between the offline sandbox's parts: the assembly reader (assembly/), the local user
 * pool (cognito/), the local AppSync API (appsync/) and the orchestrator (index.ts). The sandbox's
 * IAM (iam/) has its own in iam/types.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JWTPayload } from 'jose'
import type { CloudAssembly } from '../assembly'
import type { InvokeResult } from '../functions/runtime'
import type { Iam } from '../iam/types'
import type { BoundPort } from './port'

/** A group of the definition (`defineAuth({ groups })` gives each a precedence in the order given and a role). */
export interface UserPoolGroup {
  name: string
  /** Lower wins; Cognito allows none (such a group ranks after every group that has one). */
  precedence?: number
  roleArn?: string
  description?: string
}

/** Everything the local user pool takes from the synthesized `AWS::Cognito::UserPool(Client)`. */
export interface UserPoolSettings {
  region: string
  /** The account in the pool's ARN, which IAM policies name. */
  accountId: string
  /** `<region>_<id>`, generated once per sandbox and kept under `.amplify/`. */
  userPoolId: string
  /** 26 lowercase alphanumerics, as Cognito's, generated once per sandbox. */
  clientId: string
  passwordPolicy: {
    minimumLength: number
    requireLowercase: boolean
    requireUppercase: boolean
    requireNumbers: boolean
    requireSymbols: boolean
  }
  /** `UsernameAttributes`, e.g. `['email']`: the user signs in with these, the username is the sub. */
  usernameAttributes: string[]
  /** `UsernameConfiguration.CaseSensitive` (false for Gen 2). */
  caseSensitive: boolean
  autoVerifiedAttributes: string[]
  /** Attributes the pool requires at sign-up (`Schema[].Required`). */
  requiredAttributes: string[]
  /** The app client's `ExplicitAuthFlows`, e.g. `ALLOW_USER_SRP_AUTH`. */
  explicitAuthFlows: string[]
  /** The app client's `PreventUserExistenceErrors === 'ENABLED'`. */
  preventUserExistenceErrors: boolean
  /** Token lifetimes in seconds, from the client's validity settings or Cognito's defaults. */
  tokenValidity: { accessSeconds: number, idSeconds: number, refreshSeconds: number }
  /** Verification e-mail; `{####}` stands for the code. */
  verificationEmail: { subject: string, message: string }
  /** The pool's groups (`AWS::Cognito::UserPoolGroup`). */
  groups: UserPoolGroup[]
  /** The Lambda triggers the sandbox runs (`LambdaConfig`), by Cognito's name: function ARNs. */
  triggers: UserPoolTriggers
  /** `MfaConfiguration` and `EnabledMfas`; absent: MFA off. */
  mfa?: UserPoolMfa
  /** Text messages; `{####}` stands for the code. Absent: Cognito's default wording. */
  sms?: { verificationMessage: string, authenticationMessage: string }
  /**
   * `AccountRecoverySetting`'s mechanisms by priority (`verified_email`, `verified_phone_number`,
   * `admin_only`); absent: e-mail, as the sandbox did before it read them.
   */
  accountRecovery?: string[]
  /** The app client's `AuthSessionValidity` in seconds: how long a challenge's Session lasts (Cognito's default 3 minutes). */
  authSessionSeconds?: number
}

/** A second factor, by Cognito's name for it. */
export type MfaMethod = 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA' | 'EMAIL_OTP'

export interface UserPoolMfa {
  /** `ON` (defineAuth's REQUIRED), `OPTIONAL` or `OFF`. */
  configuration: 'ON' | 'OPTIONAL' | 'OFF'
  /** `EnabledMfas`: the factors users may set up. */
  methods: MfaMethod[]
}

export interface UserPoolTriggers {
  PreSignUp?: string
  PostConfirmation?: string
  PreAuthentication?: string
  PostAuthentication?: string
  CustomMessage?: string
  /** `PreTokenGenerationConfig` (with its event version) or the older `PreTokenGeneration` (version 1). */
  PreTokenGeneration?: { arn: string, version: 1 | 2 | 3 }
}

/** What a trigger's function answered: its result, or its error as Lambda reports it. */
export type TriggerResult
  = | { ok: true, payload: unknown }
    | { ok: false, error: { errorType: string, errorMessage: string } }

/** Runs a trigger's function (by ARN) with a Cognito event. */
export type TriggerInvoker = (functionArn: string, event: Record<string, unknown>) => Promise<TriggerResult>

/** A message the pool would have e-mailed or texted: printed by the sandbox and listed for tests. */
export interface SandboxMessage {
  /**
   * `invitation`: AdminCreateUser's, whose code is the temporary password; `mfa-sms` and
   * `mfa-email`: a second factor's code at sign-in (SMS_MFA, EMAIL_OTP).
   */
  kind: 'sign-up' | 'forgot-password' | 'verify-attribute' | 'invitation' | 'mfa-sms' | 'mfa-email'
  /** The address or phone number the message went to (as the user typed it). */
  to: string
  /** How it went: absent (files from before text messages) means e-mail. */
  medium?: 'EMAIL' | 'SMS'
  /** The user's sub. */
  sub: string
  code: string
  subject: string
  body: string
  /** ISO time. */
  sentAt: string
}

export type TokenUse = 'id' | 'access'

/** A user as the console shows them (no password verifier, no codes). */
export interface PoolUser {
  username: string
  status: 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD'
  enabled: boolean
  /** Every attribute but `sub`. */
  attributes: Record<string, string>
  groups: string[]
  createdAt: string
}

/** The local user pool as the rest of the sandbox sees it. */
export interface UserPool {
  readonly settings: UserPoolSettings
  /** The public signing keys (what `/<userPoolId>/.well-known/jwks.json` serves). */
  readonly jwks: { keys: Array<Record<string, unknown>> }
  /**
   * Handles one HTTP request to the Cognito endpoint: `POST /` with `X-Amz-Target`, CORS preflights,
   * `GET /.well-known/jwks.json` (and `/<userPoolId>/.well-known/jwks.json`), and
   * `GET /__sandbox/messages[?to=<email>]` (JSON array of SandboxMessage, newest last; a page,
   * newest first, for a request whose Accept prefers text/html).
   */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** The messages it "sent", oldest first: all, or those to `to`. */
  messages(to?: string): SandboxMessage[]
  /** Every user, newest first, as the console lists them. */
  users(): PoolUser[]
  /** The groups of the definition, by precedence. */
  groupNames(): string[]
  /**
   * Puts a user (username or e-mail) in a group or takes them out, as AdminAddUserToGroup and
   * AdminRemoveUserFromGroup do: their tokens carry the change from their next refresh.
   */
  setGroupMembership(username: string, group: string, member: boolean): Promise<void>
  /**
   * Confirms, disables, enables or deletes a user through the admin API's operation
   * (AdminConfirmSignUp...), with its effects: a disabled user's sessions end and cannot refresh.
   */
  manageUser(username: string, action: 'confirm' | 'disable' | 'enable' | 'delete'): Promise<void>
  /**
   * A confirmed user who signs in with `password`, as an administrator makes one (AdminCreateUser
   * without an invitation, then AdminSetUserPassword permanent); the e-mail counts as verified.
   */
  createUser(email: string, password: string): Promise<void>
  /** A new password, permanent (AdminSetUserPassword): the user signs in with it; their sessions stay. */
  setPassword(username: string, password: string): Promise<void>
  /** Sets attributes as AdminUpdateUserAttributes does (`email_verified` too); '' removes none, it sets ''. */
  updateAttributes(username: string, attributes: Record<string, string>): Promise<void>
  /**
   * Verifies a token: RS256 signature by this pool's key, `iss`, `exp`, `token_use` (when given),
   * audience/client id and, unless `checkRevocation` is false, that its session was not revoked.
   * Resolves to the claims, rejects otherwise.
   */
  verifyToken(token: string, use?: TokenUse, options?: { checkRevocation?: boolean }): Promise<JWTPayload>
  /** Applies new synthesized settings (ids and keys stay). */
  updateSettings(settings: UserPoolSettings): void
  /** Who runs the pool's Lambda triggers; without one, a pool with triggers refuses what they guard. */
  setTriggerInvoker(invoke: TriggerInvoker): void
  /** Resolves once everything acknowledged is on disk. */
  close(): Promise<void>
}

export interface CreateUserPoolOptions {
  /** Folder for this pool's state (users, refresh tokens, signing key); created if missing. */
  dir: string
  settings: UserPoolSettings
  /** Called for every message the pool "sends". */
  onMessage?: (message: SandboxMessage) => void
  /** Verifies signed (admin) requests and evaluates their callers' policies. */
  iam: Iam
}

/** The local AppSync API as the orchestrator sees it. */
export interface DataApi {
  /** `http://127.0.0.1:<port>/graphql`: what goes into `amplify_outputs.json` `data.url`. */
  readonly url: string
  /** The API key the data API accepts (`data.api_key` in the outputs), when it has API-key auth. */
  readonly apiKey?: string
  /** Serves a (new) cloud assembly: new schema, resolvers and tables; stored items stay. */
  reload(assembly: CloudAssembly): Promise<void>
  /** Who runs the functions behind AWS_LAMBDA data sources (`a.handler.function`); until set, they fail. */
  setFunctionInvoker(invoke: FunctionInvoker): void
  close(): Promise<void>
}

/** Runs a function (by ARN, name or friendly name) with an event; Lambda's errors are results, not throws. */
export type FunctionInvoker = (reference: string, event: unknown) => Promise<InvokeResult>

export interface StartDataApiOptions {
  /** The synthesized backend; the API's ids and region are the ones it was loaded with. */
  assembly: CloudAssembly
  /** Folder for this API's state (the local DynamoDB's files); created if missing. */
  dir: string
  /** Its port, bound by the orchestrator. */
  port: BoundPort
  /** PEM key and certificate for the TLS side of the port (realtime needs `wss://`). */
  tls: { key: string, cert: string }
  /** The user pool's verifier: every user-pool token is checked with it. */
  verifyToken: UserPool['verifyToken']
  /** Verifies SigV4-signed (AWS_IAM) requests and evaluates their callers' policies. */
  iam: Iam
  /** Progress lines (tables created or migrated); silent when absent. */
  log?: (line: string) => void
}

/** Used by the outputs writer and the `Amplify.configure` helper. */
export interface OfflineSandboxOutputs {
  /** The local Cognito endpoint: becomes `Auth.Cognito.userPoolEndpoint`. */
  userPoolEndpoint: string
  /** The local Cognito Identity endpoint (the same port): becomes `Auth.Cognito.identityPoolEndpoint`. */
  identityPoolEndpoint: string
  /** Where sent messages (confirmation codes) can be read. */
  messagesUrl: string
  /** The PEM certificate the realtime and Storage endpoints present (trust it for `wss://` and `https://`). */
  certificatePath: string
  /**
   * Where the local S3 listens, `127.0.0.1:<port>`: a host and port without a scheme, as
   * aws-amplify's per-call `options.customEndpoint` takes it (it always adds `https://`).
   */
  storageEndpoint: string
  /**
   * Where the local API Gateway listens, `http://127.0.0.1:<port>`: each REST API's stage is at
   * `<restEndpoint>/<rest api id>/<stage>/`, which `custom.API.<name>.endpoint` already says.
   */
  restEndpoint?: string
  /**
   * The sandbox console, `http://127.0.0.1:<port>`, without its secret (which only the terminal
   * shows): the app's "enter the code" step links to its `/mail`.
   */
  consoleUrl?: string
}
