/**
 * One S3 request as the operations see it: its bucket and key, who signed it, how its body is
 * covered by the signature, and the service's authorization (the caller's role policies with the
 * bucket's policy, as S3 decides within an account), plus S3's way of answering.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { headerValue, send } from '../core/http'
import type { Iam, Principal, SignedPayload } from '../iam'
import { statementsAbout } from '../iam/policy'
import { bucketArn, mayActOnSomeObject } from './access'
import * as errors from './errors'
import type { S3EventName } from './notifications'
import type { BucketSettings } from './settings'
import type { BucketStore, Initiator, ObjectStore } from './store'
import { renderXml, type XmlElement } from './xml'

/** A bucket of the definition and its objects. */
export interface ServedBucket {
  settings: BucketSettings
  store: BucketStore
}

/** What every request of the service shares. */
export interface StorageService {
  store: ObjectStore
  iam: Iam
  region: string
  bucket(name: string): ServedBucket | undefined
  buckets(): ServedBucket[]
  /** Tells the bucket's notification targets (storage triggers) that an object was created or removed. */
  notify(event: S3EventName, bucket: ServedBucket, key: string, principal: Principal, object?: { size: number, etag: string }): void
}

export const XML = 'application/xml'

/** S3's request ids: 16 hex digits, and a longer `x-amz-id-2`. */
export function newRequestIds(): { requestId: string, hostId: string } {
  return { requestId: randomBytes(8).toString('hex').toUpperCase(), hostId: randomBytes(36).toString('base64') }
}

export class S3Request {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly service: StorageService,
    readonly bucket: ServedBucket,
    readonly key: string | undefined,
    readonly query: URLSearchParams,
    readonly principal: Principal,
    readonly payload: SignedPayload,
  ) {}

  /** Whether the request came over TLS (`aws:SecureTransport`, which Gen 2's bucket policy requires). */
  get secure(): boolean {
    return (this.req.socket as { encrypted?: boolean }).encrypted === true
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name]
    return value === undefined ? undefined : headerValue(value)
  }

  /** Throws AccessDenied unless the caller may do `action` on `resource` of `bucket` (this one by default). */
  authorize(action: string, resource: string, context: Record<string, string> = {}, bucket: ServedBucket = this.bucket): void {
    const decision = this.decide(action, resource, context, bucket)
    if (decision === 'allow') return
    const error = errors.notAuthorized(this.principal.userArn, action, resource, decision === 'explicit-deny')
    error.reason = this.explain(action, resource, context, bucket)
    throw error
  }

  /** Why IAM refuses the caller `action` on `resource`, in words (only refusals are explained: it is slower). */
  explain(action: string, resource: string, context: Record<string, string> = {}, bucket: ServedBucket = this.bucket): string {
    return this.service.iam.explain(this.principal, action, resource, {
      context: { 'aws:SecureTransport': String(this.secure), ...context },
      resourcePolicies: bucket.settings.policies,
      resourcePolicy: `the bucket policy of ${bucket.settings.name}`,
    })
  }

  isAllowed(action: string, resource: string, context: Record<string, string> = {}, bucket: ServedBucket = this.bucket): boolean {
    return this.decide(action, resource, context, bucket) === 'allow'
  }

  /**
   * Whether the caller could be allowed `action` on some object of the bucket (see
   * `mayActOnSomeObject`): false refuses a request before its body is read.
   */
  mayActOnSomeObject(action: string): boolean {
    if (this.principal.admin) return true
    const { role, userArn } = this.principal
    const own = this.service.iam.roles.get(role.arn)?.policies ?? []
    // The bucket policy's statements about this caller, named as `iam.authorize` names it.
    const account = role.arn.split(':')[4] ?? ''
    const about = statementsAbout(this.bucket.settings.policies, [role.arn, userArn, `arn:aws:iam::${account}:root`, account])
    return mayActOnSomeObject([...own, ...about], action, this.bucket.settings.name)
  }

  /**
   * The error for a key that is not there: NoSuchKey to a caller who may list the bucket, AccessDenied
   * to anyone else, so that existence is no secret given away (S3's rule; Gen 2's roles may list
   * only with a prefix, so their callers get AccessDenied).
   */
  missing(key: string, bucket: ServedBucket = this.bucket): errors.S3Error {
    if (this.isAllowed('s3:ListBucket', bucketArn(bucket.settings.name), {}, bucket)) return errors.noSuchKey(key)
    const error = errors.accessDenied()
    error.reason = `${key} does not exist, and S3 says so only to a caller who may list the bucket: ${this.explain('s3:ListBucket', bucketArn(bucket.settings.name), {}, bucket)}`
    return error
  }

  /** Tells this bucket's storage triggers about `key` (a creation with its object, or a removal). */
  notify(event: S3EventName, key: string, object?: { size: number, etag: string }): void {
    this.service.notify(event, this.bucket, key, this.principal, object)
  }

  /** Who this caller is as a multipart upload's initiator. */
  initiator(): Initiator {
    return { userArn: this.principal.userArn, ...(this.principal.identity ? { identityId: this.principal.identity.identityId } : {}) }
  }

  isInitiator(initiator: Initiator): boolean {
    return initiator.userArn === this.principal.userArn && initiator.identityId === this.principal.identity?.identityId
  }

  sendXml(status: number, root: string, content: XmlElement, headers: Record<string, string> = {}): void {
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value)
    send(this.res, status, renderXml(root, content), { contentType: XML })
  }

  /** An answer without a body (Content-Length 0). */
  sendEmpty(status: number, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, { ...headers, 'content-length': 0 }).end()
  }

  private decide(action: string, resource: string, context: Record<string, string>, bucket: ServedBucket) {
    return this.service.iam.authorize(this.principal, action, resource, {
      context: { 'aws:SecureTransport': String(this.secure), ...context },
      resourcePolicies: bucket.settings.policies,
    })
  }
}
