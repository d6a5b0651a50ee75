/**
 * Reading request bodies the way S3 does: the declared size checked before a byte is read (Content-Length,
 * or `x-amz-decoded-content-length` for `aws-chunked`), the body streamed through the signature's
 * payload decoder to a temp file with its MD5 (and a declared checksum) computed on the way, then
 * Content-MD5 and the checksum compared. Small XML bodies (CompleteMultipartUpload, Delete) are read
 * into memory through the same decoder.
 */
import { createHash } from 'node:crypto'
import { PayloadRejected } from '../../iam'
import { UNSIGNED as UNSIGNED_PAYLOAD } from '../../iam/payload'
import { declaredLength, RequestAbortedError } from '../../core/http'
import { checksumDigest, declaredChecksum } from '../checksums'
import * as errors from '../errors'
import type { S3Request } from '../request'
import { receiveBody, type ReceivedBody, type TempFile } from '../store'

/** The object's size as the request declares it, refused before reading when it is missing or too big. */
export function declaredSize(request: S3Request, max: number): number {
  const decoded = request.payload.chunked ? Number(request.header('x-amz-decoded-content-length')) : declaredLength(request.req)
  if (decoded === undefined || !Number.isSafeInteger(decoded) || decoded < 0) throw errors.missingContentLength()
  if (decoded > max) throw errors.entityTooLarge(decoded, max)
  return decoded
}

/** A Content-MD5 header, checked for shape: the 16 bytes it names, or undefined when absent. */
function contentMd5(request: S3Request): Buffer | undefined {
  const header = request.header('content-md5')
  if (header === undefined) return undefined
  const bytes = Buffer.from(header, 'base64')
  if (bytes.length !== 16 || bytes.toString('base64') !== header.trim()) throw errors.invalidDigest()
  return bytes
}

/**
 * Receives the body into a temp file: exactly `size` bytes that match the signature, Content-MD5 and
 * any declared checksum. The temp file is discarded on any failure; the caller commits or discards it.
 */
export async function receiveObjectBody(request: S3Request, size: number): Promise<{ temp: TempFile, body: ReceivedBody }> {
  const md5 = contentMd5(request)
  const checksum = declaredChecksum(request.req.headers)
  const digest = checksum ? checksumDigest(checksum.algorithm) : undefined
  const decoder = request.payload.decode()
  const { store } = request.service
  // No temp file for a client that is already gone.
  if (request.req.destroyed && !request.req.readableEnded) throw new RequestAbortedError()
  const temp = await store.tempFile()
  try {
    // An unsigned body has nothing to check on the way: one stream less per chunk.
    const body = await receiveBody(request.req, request.payload.declared === UNSIGNED_PAYLOAD ? [] : [decoder], temp, {
      limit: size,
      onTooLarge: () => errors.incompleteBody(),
      digests: digest ? [digest] : [],
    }).catch((error: unknown) => {
      throw error instanceof PayloadRejected ? errors.signatureRefused(error.failure) : error
    })
    if (body.size !== size) throw errors.incompleteBody()
    if (md5 && !md5.equals(body.md5)) throw errors.badDigest()
    if (checksum && digest) {
      const expected = checksum.value ?? decoder.trailers[`x-amz-checksum-${checksum.algorithm}`]
      if (expected !== undefined && expected !== body.digests[checksum.algorithm]) throw errors.checksumMismatch(checksum.algorithm)
    }
    return { temp, body }
  }
  catch (error) {
    await store.discard(temp)
    throw error
  }
}

/** A small body (an XML document), read whole through the payload decoder, at most `limit` bytes. */
export async function readSmallBody(request: S3Request, limit: number): Promise<Buffer> {
  const md5 = contentMd5(request)
  const decoder = request.payload.decode()
  const chunks: Buffer[] = []
  let size = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const { req } = request
      // Gone already, or going before the body's end: there is no one to answer.
      if (req.destroyed && !req.readableEnded) return reject(new RequestAbortedError())
      req.on('error', reject).on('close', () => {
        if (!req.readableEnded) reject(new RequestAbortedError())
      })
      decoder.on('error', reject)
      decoder.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limit) {
          reject(errors.entityTooLarge(size, limit))
          request.req.unpipe(decoder)
          request.req.resume()
        }
        else chunks.push(chunk)
      })
      decoder.on('end', resolve)
      request.req.pipe(decoder)
    })
  }
  catch (error) {
    throw error instanceof PayloadRejected ? errors.signatureRefused(error.failure) : error
  }
  const body = Buffer.concat(chunks, size)
  if (md5 && !md5.equals(createHash('md5').update(body).digest())) throw errors.badDigest()
  return body
}
