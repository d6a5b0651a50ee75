/**
 * Contracts of the sandbox's IAM: credentials it issued (identity pool) or holds (admin), SigV4
 * verification of requests signed with them, and IAM policy evaluation from the synthesized roles.
 * Every local service that takes signed requests (Cognito admin operations, AppSync with AWS_IAM,
 * S3, and later API Gateway and Lambda) verifies and authorizes through `Iam`.
 */
import type { PayloadDecoder } from './payload'

/** What IAM decided: an explicit Deny, an Allow, or nothing allowing it (the implicit deny). */
export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny'

/** An IAM policy document, as in the synthesized templates (after intrinsics are evaluated). */
export interface PolicyDocument {
  Version?: string
  Statement: PolicyStatement | PolicyStatement[]
}

export interface PolicyStatement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action?: string | string[]
  NotAction?: string | string[]
  Resource?: string | string[]
  NotResource?: string | string[]
  /** e.g. `{ StringLike: { 's3:prefix': ['public/*'] } }` */
  Condition?: Record<string, Record<string, string | string[] | boolean>>
  /** Resource-based policies (a bucket's) name whom a statement is about: `'*'` or `{ AWS: [arns] }`. */
  Principal?: '*' | Record<string, string | string[]>
  NotPrincipal?: '*' | Record<string, string | string[]>
}

/** A role of the backend, by the ARN and name it has in the sandbox (names come from the assembly). */
export interface Role {
  arn: string
  name: string
  /** Inline policies plus every `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` attached to it. */
  policies: PolicyDocument[]
  /** `AROA…`: `aws:userid` is `<roleId>:<session name>` for whoever acts as the role. */
  roleId?: string
  /** Who may assume it (`AssumeRolePolicyDocument`): the identity pool checks it before handing it out. */
  trustPolicy?: PolicyDocument
}

/** Who an identity-pool identity is, as AppSync's `$ctx.identity` and IAM policy variables see it. */
export interface IdentityPoolIdentity {
  identityPoolId: string
  /** `<region>:<uuid>` */
  identityId: string
  authType: 'authenticated' | 'unauthenticated'
  /**
   * AppSync's `cognitoIdentityAuthProvider` for an authenticated identity, e.g.
   * `"cognito-idp.us-east-1.amazonaws.com/us-east-1_x","cognito-idp.us-east-1.amazonaws.com/us-east-1_x:CognitoSignIn:<sub>"`.
   */
  authProvider?: string
}

/** Who signed a request: the holder of credentials the sandbox issued or owns. */
export interface Principal {
  accessKeyId: string
  /** The assumed role; for the admin credentials, a role whose policy allows everything. */
  role: Role
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`: AppSync's `$ctx.identity.userArn`. */
  userArn: string
  /** Set for credentials from the identity pool (guests and signed-in users). */
  identity?: IdentityPoolIdentity
  /** The sandbox's own admin credentials (a developer, a script, or later a function's role). */
  admin: boolean
}

/** What a service hands over to have a request's signature checked. */
export interface SignedRequest {
  method: string
  /** Path as received, percent-encoding untouched, without the query. */
  path: string
  /** Query as received (without `?`), percent-encoding untouched; '' when none. */
  query: string
  headers: Record<string, string | string[] | undefined>
  /**
   * The exact body bytes. S3 may leave it out when it streams the body: the signature then covers
   * the `x-amz-content-sha256` header as sent (`UNSIGNED-PAYLOAD`, `STREAMING-…` or a hash S3
   * checks itself); given, a hash there must match it.
   */
  body?: Buffer | string
}

export type VerifyFailure = {
  ok: false
  /** The AWS error code the service returns, e.g. `InvalidSignatureException`, `ExpiredTokenException`, `UnrecognizedClientException`, `IncompleteSignatureException`, `MissingAuthenticationTokenException`. */
  code: string
  message: string
  /** The HTTP status the service answers with (403 for most, 400 for a malformed signature). */
  status: number
}

export type VerifyResult = { ok: true, principal: Principal, payload: SignedPayload } | VerifyFailure

/**
 * How the body of a verified request is covered by its signature, for a service that reads the
 * body after verifying (S3 streams uploads): `decode()` gives a stream that takes the body as sent
 * and passes on the bytes that were signed, failing with `PayloadRejected` (and S3's error) when
 * they do not match.
 */
export interface SignedPayload {
  /** `x-amz-content-sha256` as signed (`UNSIGNED-PAYLOAD`, a hex SHA-256, `STREAMING-…`), or the body's hash. */
  readonly declared: string
  /** `aws-chunked` framing: the object's size is then `x-amz-decoded-content-length`, not Content-Length. */
  readonly chunked: boolean
  decode(): PayloadDecoder
}

export interface Iam {
  /**
   * Checks a SigV4-signed request (Authorization header, or a presigned query string): the access
   * key was issued by the sandbox and has not expired, the session token matches, the date is
   * within AWS's skew, the credential scope names `service` and the sandbox's region, and the
   * signature recomputed over the request matches.
   */
  verify(request: SignedRequest, service: string): Promise<VerifyResult>
  /** IAM evaluation of the principal's role policies: an explicit Deny wins, else any Allow. */
  isAllowed(principal: Principal, action: string, resource: string, context?: Record<string, string | string[]>): boolean
  /**
   * The decision for a request within the account, as AWS makes it: the principal's role policies
   * together with the resource's own policies (a bucket policy), of which only the statements whose
   * `Principal` names the caller count. An explicit Deny in either wins; else an Allow in either.
   */
  authorize(principal: Principal, action: string, resource: string, options?: { context?: Record<string, string | string[]>, resourcePolicies?: readonly PolicyDocument[] }): Decision
  /**
   * Why `authorize` refused, in words for a person (the console's request log): which role's
   * policies allow nothing of the kind, and where they allow the action instead, or which explicit
   * Deny matched. `resourcePolicy` names the resource's policies (`the bucket policy of files`).
   */
  explain(principal: Principal, action: string, resource: string, options?: { context?: Record<string, string | string[]>, resourcePolicies?: readonly PolicyDocument[], resourcePolicy?: string }): string
  /** The roles of the current backend definition, by ARN. */
  readonly roles: ReadonlyMap<string, Role>
  /** Who the sandbox's admin credentials sign as: what the console acts as. */
  readonly adminPrincipal: Principal
}
