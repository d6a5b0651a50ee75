/**
 * Bucket operations: ListObjectsV2 (authorized with its `s3:prefix`, as Gen 2's policies grant
 * listing per path), DeleteObjects (each key authorized on its own, refusals reported per key, as
 * S3 does), HeadBucket and GetBucketLocation.
 */
import { bucketArn, listConditionKeys, objectArn } from '../access'
import * as errors from '../errors'
import { BadContinuationToken, listPage, MAX_KEYS } from '../listing'
import { keyLength, MAX_KEY_BYTES } from '../objects'
import { send } from '../../core/http'
import { XML, type S3Request } from '../request'
import { childrenNamed, childText, parseXml, renderXml, XmlSyntaxError, type XmlElement } from '../xml'
import { readSmallBody } from './body'

/** A Delete document names at most 1000 keys. */
const MAX_DELETE_KEYS = 1000
const MAX_DELETE_BODY = 2 * 1024 * 1024
const OWNER = { ID: 'offline-sandbox', DisplayName: 'offline-sandbox' }

export async function listObjectsV2(request: S3Request): Promise<void> {
  const { query } = request
  const { store } = request.bucket
  request.authorize('s3:ListBucket', bucketArn(store.name), listConditionKeys(query))

  const maxText = query.get('max-keys')
  const maxKeys = maxText === null ? MAX_KEYS : Number(maxText)
  if (maxText !== null && (!/^\d{1,10}$/.test(maxText) || maxKeys > 2 ** 31 - 1)) throw errors.badMaxKeys(maxText)
  const encodingType = query.get('encoding-type')
  if (encodingType !== null && encodingType !== 'url') throw errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType)
  const prefix = query.get('prefix') ?? ''
  const delimiter = query.get('delimiter') || undefined
  const startAfter = query.get('start-after') ?? undefined
  const continuationToken = query.get('continuation-token') ?? undefined

  let page
  try {
    page = listPage(store.keys(), { prefix, delimiter, maxKeys, startAfter, continuationToken })
  }
  catch (error) {
    if (error instanceof BadContinuationToken) throw errors.badContinuationToken()
    throw error
  }
  // With encoding-type=url, keys and prefixes are URL-encoded as S3 does it (spaces as `+`, slashes kept).
  const encode = encodingType === 'url' ? (text: string) => encodeURIComponent(text).replace(/%20/g, '+').replace(/%2F/g, '/') : (text: string) => text
  const fetchOwner = query.get('fetch-owner') === 'true'
  const contents: XmlElement[] = page.keys.map((key) => {
    const object = store.get(key)!
    return { Key: encode(key), LastModified: object.lastModified, ETag: object.etag, Size: object.size, ...(fetchOwner ? { Owner: OWNER } : {}), StorageClass: 'STANDARD' }
  })
  request.sendXml(200, 'ListBucketResult', {
    Name: store.name,
    Prefix: encode(prefix),
    ...(delimiter !== undefined ? { Delimiter: encode(delimiter) } : {}),
    MaxKeys: maxKeys,
    KeyCount: page.keys.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ...(encodingType ? { EncodingType: encodingType } : {}),
    ...(continuationToken !== undefined ? { ContinuationToken: continuationToken } : {}),
    ...(page.nextContinuationToken ? { NextContinuationToken: page.nextContinuationToken } : {}),
    ...(startAfter !== undefined ? { StartAfter: encode(startAfter) } : {}),
    Contents: contents,
    CommonPrefixes: page.commonPrefixes.map(commonPrefix => ({ Prefix: encode(commonPrefix) })),
  })
}

export async function deleteObjects(request: S3Request): Promise<void> {
  const { store } = request.bucket
  // Keys are authorized one by one below, but a caller who may delete nothing here gets no parser.
  if (!request.mayActOnSomeObject('s3:DeleteObject')) {
    const error = errors.accessDenied()
    error.reason = `no policy of role ${request.principal.role.name} allows s3:DeleteObject on any object of ${request.bucket.settings.name}`
    throw error
  }
  const body = await readSmallBody(request, MAX_DELETE_BODY)
  let quiet: boolean
  let keys: string[]
  try {
    const root = parseXml(body.toString('utf8'))
    if (root.name !== 'Delete') throw errors.malformedXml()
    quiet = childText(root, 'Quiet')?.trim().toLowerCase() === 'true'
    keys = childrenNamed(root, 'Object').map((object) => {
      const key = childText(object, 'Key')
      if (key === undefined || key === '') throw errors.malformedXml()
      return key
    })
  }
  catch (error) {
    if (error instanceof XmlSyntaxError) throw errors.malformedXml()
    throw error
  }
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) throw errors.malformedXml()

  const deleted: XmlElement[] = []
  const failed: XmlElement[] = []
  for (const key of keys) {
    if (keyLength(key) > MAX_KEY_BYTES) {
      failed.push({ Key: key, Code: 'KeyTooLongError', Message: 'Your key is too long' })
      continue
    }
    if (!request.isAllowed('s3:DeleteObject', objectArn(store.name, key))) {
      failed.push({ Key: key, Code: 'AccessDenied', Message: 'Access Denied' })
      continue
    }
    if (await store.delete(key)) request.notify('ObjectRemoved:Delete', key)
    if (!quiet) deleted.push({ Key: key })
  }
  request.sendXml(200, 'DeleteResult', { Deleted: deleted, Error: failed })
}

export async function headBucket(request: S3Request): Promise<void> {
  request.authorize('s3:ListBucket', bucketArn(request.bucket.store.name))
  request.sendEmpty(200, { 'x-amz-bucket-region': request.service.region, 'x-amz-access-point-alias': 'false' })
}

export async function getBucketLocation(request: S3Request): Promise<void> {
  request.authorize('s3:GetBucketLocation', bucketArn(request.bucket.store.name))
  // us-east-1 is the empty constraint, as S3 says it.
  send(request.res, 200, renderXml('LocationConstraint', request.service.region === 'us-east-1' ? '' : request.service.region), { contentType: XML })
}
