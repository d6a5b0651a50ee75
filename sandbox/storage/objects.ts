/**
 * The rules of S3 objects that need no I/O: byte ranges (`Range: bytes=…`, one range, as S3 serves),
 * ETags (the MD5 of the bytes, or for a multipart upload the MD5 of the parts' MD5s with the part
 * count), the metadata headers an object keeps and returns, and key limits. Pure.
 */
import { createHash } from 'node:crypto'

/** S3's longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024
/** S3's largest single PUT (and largest part). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3
/** Every part of a multipart upload but the last must be at least this big. */
export const MIN_PART_BYTES = 5 * 1024 ** 2
export const MAX_PART_NUMBER = 10_000

export type RangeResult
  = | { kind: 'whole' }
    | { kind: 'partial', start: number, end: number }
    | { kind: 'unsatisfiable' }

/**
 * A `Range` header against an object of `size` bytes, as S3 reads it: one `bytes=` range (first-last,
 * first-, or -suffix). A header S3 would ignore (another unit, several ranges, nonsense) means the
 * whole object; a range starting past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'whole' }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' }
  const [, first, last] = match as unknown as [string, string, string]
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return { kind: 'unsatisfiable' }
    return size === 0 ? { kind: 'whole' } : { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return { kind: 'whole' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end }
}

/** `"<md5 hex>"`: a single PUT's ETag. */
export function etagOf(md5: Buffer): string {
  return `"${md5.toString('hex')}"`
}

/** `"<md5 of the parts' md5s>-<count>"`: a completed multipart upload's ETag. */
export function multipartEtag(partEtags: readonly string[]): string {
  const hash = createHash('md5')
  for (const etag of partEtags) hash.update(Buffer.from(unquote(etag), 'hex'))
  return `"${hash.digest('hex')}-${partEtags.length}"`
}

/** An ETag without its quotes (clients send both forms). */
export function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '')
}

/** `If-Match` / `If-None-Match` lists (`*`, or ETags with or without quotes) against an object's ETag. */
export function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some(candidate => candidate.trim() === '*' || unquote(candidate) === unquote(etag))
}

/** The headers an object keeps as it was uploaded, and returns on GET and HEAD (besides Content-Type). */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const
export type StoredHeader = typeof STORED_HEADERS[number]

/** What S3 keeps of an upload's headers: Content-Type, the stored headers, and `x-amz-meta-*` (names lower-cased). */
export interface ObjectAttributes {
  contentType: string
  headers: Partial<Record<StoredHeader, string>>
  /** `x-amz-meta-<name>` values by `<name>`. */
  metadata: Record<string, string>
}

/** S3's Content-Type for an upload that names none. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream'

export function attributesFromHeaders(headers: Record<string, string | string[] | undefined>): ObjectAttributes {
  const text = (name: string) => {
    const value = headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }
  const stored: ObjectAttributes['headers'] = {}
  for (const name of STORED_HEADERS) {
    let value = text(name)
    // The transfer framing of a streaming upload is not the object's encoding.
    if (name === 'content-encoding' && value) value = value.split(',').map(part => part.trim()).filter(part => part && part !== 'aws-chunked').join(', ')
    if (value) stored[name] = value
  }
  const metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value
  }
  return { contentType: text('content-type') || DEFAULT_CONTENT_TYPE, headers: stored, metadata }
}

/** `response-content-type` & co. on a GET or HEAD override what the object returns. */
export const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
}

/** HTTP's date format (RFC 7231), which S3 uses for Last-Modified. */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString()
}

/** Whether `key` is one S3 accepts: non-empty, at most 1024 UTF-8 bytes. */
export function keyLength(key: string): number {
  return Buffer.byteLength(key, 'utf8')
}
