/**
 * Object operations: PutObject, GetObject (ranges and conditions), HeadObject, DeleteObject and
 * CopyObject, each authorized on the object's ARN before it touches anything.
 */
import { validateHeaderValue } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { objectArn } from '../access'
import * as errors from '../errors'
import {
  attributesFromHeaders, etagMatches, etagOf, httpDate, keyLength, MAX_KEY_BYTES, MAX_PUT_BYTES, parseRange,
  RESPONSE_OVERRIDES, type ObjectAttributes,
} from '../objects'
import type { S3Request, ServedBucket } from '../request'
import { receiveBody, type StoredObject } from '../store'
import { declaredSize, receiveObjectBody } from './body'

/** The object's key, which every object operation has; refused when S3 would refuse it. */
export function objectKey(request: S3Request): string {
  const key = request.key!
  if (keyLength(key) > MAX_KEY_BYTES) throw errors.keyTooLong(keyLength(key), MAX_KEY_BYTES)
  return key
}

export async function putObject(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  request.authorize('s3:PutObject', objectArn(store.name, key))
  refuseAcl(request)
  const size = declaredSize(request, MAX_PUT_BYTES)
  const noOverwrite = request.header('if-none-match')?.trim() === '*'
  // Said before the body is read, and checked again when it lands.
  if (noOverwrite && store.get(key)) throw errors.alreadyExists()
  const { temp, body } = await receiveObjectBody(request, size)
  const stored = await store.commit(key, temp.path, {
    ...attributesFromHeaders(request.req.headers),
    size: body.size,
    etag: etagOf(body.md5),
    lastModified: new Date().toISOString(),
  }, (current) => {
    if (noOverwrite && current) throw errors.alreadyExists()
  })
  request.sendEmpty(200, { etag: stored.etag })
  request.notify('ObjectCreated:Put', key, stored)
}

/** GetObject, or HeadObject with `head`: the object's bytes (a range of them) and what it keeps of its upload. */
export async function getObject(request: S3Request, head = false): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  request.authorize('s3:GetObject', objectArn(store.name, key))
  const overrides = responseOverrides(request.query)
  const opened = await store.open(key)
  if (!opened) throw request.missing(key)
  const { object, handle } = opened
  try {
    const notModified = conditions(request, object)
    if (notModified) {
      request.sendEmpty(304, { 'etag': object.etag, 'last-modified': httpDate(object.lastModified) })
      return
    }
    const range = parseRange(request.header('range'), object.size)
    if (range.kind === 'unsatisfiable') throw errors.invalidRange(request.header('range') ?? '', object.size)
    const headers = { ...objectHeaders(object), ...overrides }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, object.size - 1]
    headers['content-length'] = String(Math.max(0, end - start + 1))
    if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${object.size}`
    request.res.writeHead(range.kind === 'partial' ? 206 : 200, headers)
    if (head || object.size === 0) {
      request.res.end()
      return
    }
    await pipeline(handle.createReadStream({ start, end, highWaterMark: 1024 * 1024, autoClose: false }), request.res)
  }
  finally {
    await handle.close()
  }
}

export async function deleteObject(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  request.authorize('s3:DeleteObject', objectArn(store.name, key))
  const existed = await store.delete(key)
  request.sendEmpty(204)
  if (existed) request.notify('ObjectRemoved:Delete', key)
}

/** CopyObject: `x-amz-copy-source` (`[/]<bucket>/<key>`, URL-encoded) into this key, its metadata copied or replaced. */
export async function copyObject(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  const source = copySource(request)
  request.authorize('s3:GetObject', objectArn(source.bucket.settings.name, source.key), {}, source.bucket)
  request.authorize('s3:PutObject', objectArn(store.name, key))
  refuseAcl(request)
  const directive = (request.header('x-amz-metadata-directive') ?? 'COPY').toUpperCase()
  if (directive !== 'COPY' && directive !== 'REPLACE') throw errors.badMetadataDirective(directive)
  if (source.bucket === request.bucket && source.key === key && directive === 'COPY') throw errors.copyToItself()

  const opened = await source.bucket.store.open(source.key)
  if (!opened) throw request.missing(source.key, source.bucket)
  const { object, handle } = opened
  let attributes: ObjectAttributes
  const temp = await request.service.store.tempFile()
  try {
    sourceConditions(request, object)
    attributes = directive === 'REPLACE' ? attributesFromHeaders(request.req.headers) : { contentType: object.contentType, headers: object.headers, metadata: object.metadata }
    const body = await receiveBody(handle.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false }), [], temp, { limit: object.size, onTooLarge: () => errors.internalError() })
    const stored = await store.commit(key, temp.path, { ...attributes, size: body.size, etag: etagOf(body.md5), lastModified: new Date().toISOString() })
    request.sendXml(200, 'CopyObjectResult', { LastModified: stored.lastModified, ETag: stored.etag })
    request.notify('ObjectCreated:Copy', key, stored)
  }
  catch (error) {
    await request.service.store.discard(temp)
    throw error
  }
  finally {
    await handle.close()
  }
}

function copySource(request: S3Request): { bucket: ServedBucket, key: string } {
  const header = request.header('x-amz-copy-source') ?? ''
  const [path = ''] = header.split('?')
  const trimmed = path.replace(/^\//, '')
  const slash = trimmed.indexOf('/')
  if (slash <= 0 || slash === trimmed.length - 1) throw errors.badCopySource(header)
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    }
    catch {
      throw errors.badCopySource(header)
    }
  }
  const bucketName = decode(trimmed.slice(0, slash))
  const bucket = request.service.bucket(bucketName)
  if (!bucket) throw errors.noSuchBucket(bucketName)
  return { bucket, key: decode(trimmed.slice(slash + 1)) }
}

/** Evaluates GET/HEAD conditions; true for "not modified" (304), throws PreconditionFailed (412). */
function conditions(request: S3Request, object: StoredObject): boolean {
  const ifMatch = request.header('if-match')
  const ifNoneMatch = request.header('if-none-match')
  const modified = Date.parse(object.lastModified)
  const since = (name: string) => {
    const value = request.header(name)
    const time = value === undefined ? Number.NaN : Date.parse(value)
    return Number.isNaN(time) ? undefined : time
  }
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) throw errors.preconditionFailed('If-Match')
  const unmodifiedSince = since('if-unmodified-since')
  if (ifMatch === undefined && unmodifiedSince !== undefined && Math.floor(modified / 1000) * 1000 > unmodifiedSince) throw errors.preconditionFailed('If-Unmodified-Since')
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, object.etag)
  const modifiedSince = since('if-modified-since')
  return modifiedSince !== undefined && Math.floor(modified / 1000) * 1000 <= modifiedSince
}

function sourceConditions(request: S3Request, object: StoredObject): void {
  const ifMatch = request.header('x-amz-copy-source-if-match')
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) throw errors.preconditionFailed('x-amz-copy-source-If-Match')
  const ifNoneMatch = request.header('x-amz-copy-source-if-none-match')
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, object.etag)) throw errors.preconditionFailed('x-amz-copy-source-If-None-Match')
  const unmodified = request.header('x-amz-copy-source-if-unmodified-since')
  if (unmodified !== undefined && !Number.isNaN(Date.parse(unmodified)) && Math.floor(Date.parse(object.lastModified) / 1000) * 1000 > Date.parse(unmodified)) {
    throw errors.preconditionFailed('x-amz-copy-source-If-Unmodified-Since')
  }
}

/**
 * S3 refuses an object ACL on a bucket with ACLs disabled (BucketOwnerEnforced), except the one
 * that says what such a bucket does anyway. Where ACLs are enabled the sandbox ignores them.
 */
export function refuseAcl(request: S3Request): void {
  if (request.bucket.settings.aclsEnabled) return
  const acl = request.header('x-amz-acl')
  const grants = Object.keys(request.req.headers).some(name => name.startsWith('x-amz-grant-'))
  if (grants || (acl !== undefined && acl.trim() !== 'bucket-owner-full-control')) throw errors.aclNotSupported()
}

/**
 * A GET's or HEAD's `response-*` overrides as headers, each refused (InvalidArgument) when it is no
 * header value: a CR or LF would split the answer, and Node refuses to write one anyway.
 */
function responseOverrides(query: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = query.get(param)
    if (value === null) continue
    try {
      validateHeaderValue(header, value)
    }
    catch {
      throw errors.badResponseOverride(param, value)
    }
    headers[header] = value
  }
  return headers
}

/** The headers of a GET or HEAD answer: what the object keeps of its upload. */
function objectHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': object.contentType,
    'etag': object.etag,
    'last-modified': httpDate(object.lastModified),
    'accept-ranges': 'bytes',
    ...object.headers,
  }
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value
  if (object.partsCount) headers['x-amz-mp-parts-count'] = String(object.partsCount)
  return headers
}
