/**
 * The body of a SigV4-signed request read after its signature was checked, as S3 reads uploads: the
 * signature covers `x-amz-content-sha256`, and that header says how the body itself is covered.
 *
 * - a hex SHA-256: the body must hash to it (`XAmzContentSHA256Mismatch` otherwise);
 * - `UNSIGNED-PAYLOAD` (aws-amplify's Blob uploads, presigned URLs): nothing to check;
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (`aws-chunked` framing, each chunk signed, chaining from
 *   the request's signature), with `-TRAILER` a signed trailer after the last chunk;
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (the AWS SDK's default for uploads): `aws-chunked` framing,
 *   unsigned chunks, a checksum trailer.
 *
 * The decoder streams: the object's bytes go on as they arrive and nothing is held but the line
 * being parsed; a failure ends the stream with a `PayloadRejected` carrying S3's error, and the
 * reader then discards what it wrote. Checksums carried in a trailer are the storage's to check
 * (they are not signatures): the decoder hands them over in `trailers`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHash, timingSafeEqual, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import * as errors from './errors'
import type { SeedSignature } from './sigv4'
import type { VerifyFailure } from './types'

export const UNSIGNED = 'UNSIGNED-PAYLOAD'
const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
/** A chunk header (`<hex size>;chunk-signature=<64 hex>`) or trailer line is never longer. */
const MAX_LINE = 4096

/** The body did not match what was signed (or its framing is broken): `failure` is S3's answer. */
export class PayloadRejected extends Error {
  override name = 'PayloadRejected'
  constructor(readonly failure: VerifyFailure) {
    super(failure.message)
  }
}

/** Turns the body as sent into the object's bytes, checking it against the signature on the way. */
export interface PayloadDecoder extends Transform {
  /** Trailing headers (`x-amz-checksum-crc32` ...) of an `aws-chunked` body; filled once it ended. */
  readonly trailers: Readonly<Record<string, string>>
}

/** What `payloadDecoder` needs from the request and its verified signature. */
export interface PayloadOptions {
  seed: SeedSignature
  /** `x-amz-decoded-content-length` of an `aws-chunked` body: the object's size. */
  decodedLength?: number
}

/** Whether `declared` (`x-amz-content-sha256`) is a mode this module reads. */
export function isKnownPayloadMode(declared: string): boolean {
  return /^[0-9a-f]{64}$/i.test(declared) || [UNSIGNED, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER].includes(declared)
}

/** True when the body is `aws-chunked` framed (its size is then `x-amz-decoded-content-length`). */
export function isChunked(declared: string): boolean {
  return declared.startsWith('STREAMING-')
}

export function payloadDecoder(options: PayloadOptions): PayloadDecoder {
  const declared = options.seed.payloadHash
  if (isChunked(declared)) return new ChunkedDecoder(options)
  if (/^[0-9a-f]{64}$/i.test(declared)) return new HashCheck(declared.toLowerCase())
  return new PassThroughDecoder()
}

class PassThroughDecoder extends Transform implements PayloadDecoder {
  readonly trailers = {}
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, chunk)
  }
}

/** The body must hash to the declared SHA-256; the bytes pass on as they come. */
class HashCheck extends Transform implements PayloadDecoder {
  readonly trailers = {}
  private readonly hash = createHash('sha256')
  constructor(private readonly expected: string) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk)
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    done(sameText(this.hash.digest('hex'), this.expected) ? null : new PayloadRejected(errors.contentShaMismatch('s3')))
  }
}

type State = 'header' | 'data' | 'data-end' | 'final-crlf' | 'trailer' | 'done'

/** `aws-chunked`: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` ... `0...\r\n` then `\r\n` or trailers. */
class ChunkedDecoder extends Transform implements PayloadDecoder {
  readonly trailers: Record<string, string> = {}
  private readonly signed: boolean
  private readonly withTrailer: boolean
  private state: State = 'header'
  /** Bytes of the line being read (a chunk header, a CRLF, a trailer line). */
  private line: Buffer = Buffer.alloc(0)
  private remaining = 0
  private chunkSignature = ''
  private chunkHash: Hash | undefined
  private previousSignature: string
  private decoded = 0

  constructor(private readonly options: PayloadOptions) {
    super()
    const declared = options.seed.payloadHash
    this.signed = declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER
    this.withTrailer = declared.endsWith('-TRAILER')
    this.previousSignature = options.seed.signature
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.consume(chunk).then(() => done(), (error: Error) => done(error))
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== 'done') return done(malformed('The body ended before its last chunk.'))
    const expected = this.options.decodedLength
    if (expected !== undefined && expected !== this.decoded) return done(new PayloadRejected(errors.incompleteBody(expected, this.decoded)))
    done()
  }

  private async consume(input: Buffer): Promise<void> {
    let at = 0
    while (at < input.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, input.length - at)
        const piece = input.subarray(at, at + take)
        this.chunkHash?.update(piece)
        this.decoded += take
        this.push(piece)
        this.remaining -= take
        at += take
        if (this.remaining === 0) this.state = 'data-end'
        continue
      }
      if (this.state === 'done') throw malformed('Bytes follow the last chunk.')
      const end = input.indexOf(0x0A, at)
      const upTo = end === -1 ? input.length : end + 1
      this.line = this.line.length ? Buffer.concat([this.line, input.subarray(at, upTo)]) : input.subarray(at, upTo)
      at = upTo
      if (this.line.length > MAX_LINE) throw malformed('A chunk header is too long.')
      if (end === -1) continue
      if (this.line.length < 2 || this.line[this.line.length - 2] !== 0x0D) throw malformed('A line of the chunked body does not end with CRLF.')
      const text = this.line.subarray(0, this.line.length - 2).toString('latin1')
      this.line = Buffer.alloc(0)
      await this.onLine(text)
    }
  }

  private async onLine(text: string): Promise<void> {
    switch (this.state) {
      case 'header': {
        const [sizeText = '', ...extensions] = text.split(';')
        if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed(`Invalid chunk size '${sizeText.slice(0, 32)}'.`)
        const size = Number.parseInt(sizeText, 16)
        const signature = extensions.map(e => /^chunk-signature=([0-9a-f]{64})$/i.exec(e.trim())?.[1]).find(Boolean)
        if (this.signed && !signature) throw malformed('A chunk of a signed streaming body has no chunk-signature.')
        this.chunkSignature = signature?.toLowerCase() ?? ''
        this.chunkHash = this.signed ? createHash('sha256') : undefined
        if (size > 0) {
          this.remaining = size
          this.state = 'data'
          return
        }
        await this.checkChunk()
        this.state = this.withTrailer ? 'trailer' : 'final-crlf'
        return
      }
      case 'data-end':
        if (text !== '') throw malformed('A chunk is longer than its declared size.')
        await this.checkChunk()
        this.state = 'header'
        return
      case 'final-crlf':
        if (text !== '') throw malformed('Bytes follow the last chunk.')
        this.state = 'done'
        return
      case 'trailer': {
        if (text === '') {
          await this.checkTrailer()
          this.state = 'done'
          return
        }
        const colon = text.indexOf(':')
        if (colon <= 0) throw malformed('A trailer line is not a header.')
        this.trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim()
        return
      }
    }
  }

  /** A signed chunk's signature chains from the previous one (the request's, for the first). */
  private async checkChunk(): Promise<void> {
    if (!this.signed) return
    const { seed } = this.options
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', seed.longDate, seed.scope, this.previousSignature, EMPTY_SHA256, this.chunkHash!.digest('hex')].join('\n')
    const expected = await seed.sign(stringToSign)
    if (!sameText(expected, this.chunkSignature)) throw new PayloadRejected(errors.signatureMismatch('s3'))
    this.previousSignature = expected
  }

  /** A signed trailer carries `x-amz-trailer-signature` over the other trailing headers. */
  private async checkTrailer(): Promise<void> {
    if (!this.signed) {
      delete this.trailers['x-amz-trailer-signature']
      return
    }
    const presented = this.trailers['x-amz-trailer-signature']
    delete this.trailers['x-amz-trailer-signature']
    if (!presented) throw malformed('The trailer of a signed streaming body has no x-amz-trailer-signature.')
    const canonical = Object.entries(this.trailers).map(([name, value]) => `${name}:${value}\n`).join('')
    const { seed } = this.options
    const stringToSign = ['AWS4-HMAC-SHA256-TRAILER', seed.longDate, seed.scope, this.previousSignature, createHash('sha256').update(canonical).digest('hex')].join('\n')
    if (!sameText(await seed.sign(stringToSign), presented.toLowerCase())) throw new PayloadRejected(errors.signatureMismatch('s3'))
  }
}

function malformed(why: string): PayloadRejected {
  return new PayloadRejected(errors.malformedChunkedBody(why))
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
