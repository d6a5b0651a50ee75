/**
 * Operations on the service itself: ListBuckets (`GET /`), for callers allowed s3:ListAllMyBuckets
 * (the admin credentials; the AWS CLI's `aws s3 ls`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { send } from '../../core/http'
import type { Principal } from '../../iam'
import * as errors from '../errors'
import { XML, type StorageService } from '../request'
import { renderXml } from '../xml'

export async function listBuckets(service: StorageService, principal: Principal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true
  const context = { 'aws:SecureTransport': String(secure) }
  if (service.iam.authorize(principal, 's3:ListAllMyBuckets', '*', { context }) !== 'allow') {
    const error = errors.notAuthorized(principal.userArn, 's3:ListAllMyBuckets', '*', false)
    error.reason = service.iam.explain(principal, 's3:ListAllMyBuckets', '*', { context })
    throw error
  }
  const created = new Date(0).toISOString()
  send(res, 200, renderXml('ListAllMyBucketsResult', {
    Owner: { ID: 'offline-sandbox', DisplayName: 'offline-sandbox' },
    Buckets: { Bucket: service.buckets().map(bucket => ({ Name: bucket.settings.name, CreationDate: created, BucketRegion: service.region })) },
  }), { contentType: XML })
}
