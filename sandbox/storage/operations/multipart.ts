/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload
 * and ListParts (aws-amplify resumes an upload with it). Creating, adding parts and completing need
 * s3:PutObject on the object, and only the initiator may add parts or complete; listing parts and
 * aborting need s3:ListMultipartUploadParts / s3:AbortMultipartUpload, which the initiator has
 * without them (S3's rule, and what lets an Amplify user cancel and resume with `write` access).
 */
import { objectArn } from '../access'
import * as errors from '../errors'
import { attributesFromHeaders, etagOf, MAX_PART_NUMBER, MAX_PUT_BYTES, MIN_PART_BYTES, multipartEtag, unquote } from '../objects'
import type { S3Request } from '../request'
import { concatenate, type StoredUpload } from '../store'
import { childrenNamed, childText, parseXml, XmlSyntaxError } from '../xml'
import { declaredSize, readSmallBody, receiveObjectBody } from './body'
import { objectKey, refuseAcl } from './objects'

/** A CompleteMultipartUpload body lists at most 10,000 parts: about a megabyte. */
const MAX_COMPLETE_BODY = 2 * 1024 * 1024
const OWNER = { ID: 'offline-sandbox', DisplayName: 'offline-sandbox' }

export async function createMultipartUpload(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  request.authorize('s3:PutObject', objectArn(store.name, key))
  refuseAcl(request)
  const upload = await request.service.store.createUpload(store.name, key, attributesFromHeaders(request.req.headers), request.initiator())
  request.sendXml(200, 'InitiateMultipartUploadResult', { Bucket: store.name, Key: key, UploadId: upload.uploadId })
}

export async function uploadPart(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const partText = request.query.get('partNumber') ?? ''
  const partNumber = Number(partText)
  if (!/^\d{1,5}$/.test(partText) || partNumber < 1 || partNumber > MAX_PART_NUMBER) throw errors.badPartNumber(partText)
  // Authorized first: whether an upload exists is no business of a caller who may not write here.
  request.authorize('s3:PutObject', objectArn(request.bucket.store.name, key))
  const upload = uploadOf(request, key)
  if (!request.isInitiator(upload.initiator)) throw errors.accessDenied()
  const size = declaredSize(request, MAX_PUT_BYTES)
  const { temp, body } = await receiveObjectBody(request, size)
  const part = await request.service.store.commitPart(upload, temp.path, { partNumber, size: body.size, etag: etagOf(body.md5), lastModified: new Date().toISOString() })
  if (!part) throw errors.noSuchUpload(upload.uploadId)
  request.sendEmpty(200, { etag: part.etag })
}

export async function completeMultipartUpload(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const { store } = request.bucket
  // Authorized before the upload is looked up and long before the body is read (or parsed).
  request.authorize('s3:PutObject', objectArn(store.name, key))
  const upload = uploadOf(request, key)
  if (!request.isInitiator(upload.initiator)) throw errors.accessDenied()
  const listed = completedParts(await readSmallBody(request, MAX_COMPLETE_BODY))

  const parts = listed.map(({ partNumber, etag }, i) => {
    const part = upload.parts.get(partNumber)
    if (!part || unquote(part.etag) !== unquote(etag)) throw errors.invalidPart(upload.uploadId, partNumber, etag)
    if (i < listed.length - 1 && part.size < MIN_PART_BYTES) throw errors.entityTooSmall(partNumber, part.size, MIN_PART_BYTES)
    return part
  })
  const noOverwrite = request.header('if-none-match')?.trim() === '*'
  if (noOverwrite && store.get(key)) throw errors.alreadyExists()

  const { store: objects } = request.service
  if (!objects.claimUpload(upload)) throw errors.noSuchUpload(upload.uploadId)
  const temp = await objects.tempFile()
  let completed = false
  try {
    const size = await concatenate(parts.map(part => objects.partPath(upload, part)), temp)
    const stored = await store.commit(key, temp.path, {
      ...upload.attributes,
      size,
      etag: multipartEtag(parts.map(part => part.etag)),
      lastModified: new Date().toISOString(),
      partsCount: parts.length,
    }, (current) => {
      if (noOverwrite && current) throw errors.alreadyExists()
    })
    completed = true
    await objects.dropClaimedUpload(upload)
    const host = request.header('host') ?? 'localhost'
    request.sendXml(200, 'CompleteMultipartUploadResult', {
      Location: `https://${host}/${store.name}/${key.split('/').map(encodeURIComponent).join('/')}`,
      Bucket: store.name,
      Key: key,
      ETag: stored.etag,
    })
    request.notify('ObjectCreated:CompleteMultipartUpload', key, stored)
  }
  catch (error) {
    await objects.discard(temp)
    if (!completed) objects.restoreUpload(upload)
    throw error
  }
}

export async function abortMultipartUpload(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const upload = uploadOf(request, key)
  const resource = objectArn(request.bucket.store.name, key)
  if (!request.isInitiator(upload.initiator)) request.authorize('s3:AbortMultipartUpload', resource)
  await request.service.store.removeUpload(upload)
  request.sendEmpty(204)
}

export async function listParts(request: S3Request): Promise<void> {
  const key = objectKey(request)
  const upload = uploadOf(request, key)
  if (!request.isInitiator(upload.initiator)) request.authorize('s3:ListMultipartUploadParts', objectArn(request.bucket.store.name, key))
  const maxText = request.query.get('max-parts')
  const maxParts = maxText === null ? 1000 : Number(maxText)
  if (!Number.isInteger(maxParts) || maxParts < 0) throw errors.invalidArgument('Provided max-parts not an integer or within integer range', 'max-parts', maxText ?? '')
  const markerText = request.query.get('part-number-marker')
  const marker = markerText === null ? 0 : Number(markerText)
  if (!Number.isInteger(marker) || marker < 0) throw errors.invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', markerText ?? '')

  const all = [...upload.parts.values()].filter(part => part.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber)
  const page = all.slice(0, Math.min(maxParts, 1000))
  const truncated = all.length > page.length
  request.sendXml(200, 'ListPartsResult', {
    Bucket: request.bucket.store.name,
    Key: key,
    UploadId: upload.uploadId,
    Initiator: { ID: upload.initiator.userArn, DisplayName: upload.initiator.userArn },
    Owner: OWNER,
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map(part => ({ PartNumber: part.partNumber, LastModified: part.lastModified, ETag: part.etag, Size: part.size })),
  })
}

/** The upload the request names, for this bucket and key; NoSuchUpload otherwise. */
function uploadOf(request: S3Request, key: string): StoredUpload {
  const uploadId = request.query.get('uploadId') ?? ''
  const upload = request.service.store.upload(uploadId)
  if (!upload || upload.bucket !== request.bucket.store.name || upload.key !== key) throw errors.noSuchUpload(uploadId)
  return upload
}

/** The `<Part>`s of a CompleteMultipartUpload document, in ascending order of part number. */
function completedParts(body: Buffer): Array<{ partNumber: number, etag: string }> {
  let parts: Array<{ partNumber: number, etag: string }>
  try {
    const root = parseXml(body.toString('utf8'))
    if (root.name !== 'CompleteMultipartUpload') throw errors.malformedXml()
    parts = childrenNamed(root, 'Part').map((part) => {
      const number = childText(part, 'PartNumber')?.trim() ?? ''
      const etag = childText(part, 'ETag')
      if (!/^\d{1,5}$/.test(number) || etag === undefined) throw errors.malformedXml()
      return { partNumber: Number(number), etag: etag.trim() }
    })
  }
  catch (error) {
    if (error instanceof XmlSyntaxError) throw errors.malformedXml()
    throw error
  }
  if (parts.length === 0) throw errors.noParts()
  for (let i = 1; i < parts.length; i++) {
    if (parts[i]!.partNumber <= parts[i - 1]!.partNumber) throw errors.invalidPartOrder()
  }
  return parts
}
