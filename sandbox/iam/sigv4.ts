/**
 * SigV4 verification: a request signed with credentials the sandbox knows (Authorization header or a
 * presigned query string) is checked the way AWS checks it, and the signature is recomputed with
 * `@smithy/signature-v4`, the AWS SDK's own signer, over exactly what the client says it signed. No
 * HMAC chain or canonical form is written here: a difference between this and the SDK would be a
 * signature the sandbox accepts and AWS does not, or the other way round.
 *
 * Pure apart from the clock: the caller says which keys exist.
 */
import { createHash, createHmac, timingSafeEqual, type BinaryLike, type Hash, type Hmac } from 'node:crypto'
import { ALGORITHM_IDENTIFIER, getCanonicalHeaders, SignatureV4, UNSIGNED_PAYLOAD } from '@smithy/signature-v4'
import * as errors from './errors'
import { isKnownPayloadMode } from './payload'
import type { SignedRequest, VerifyFailure } from './types'

/** What the sandbox holds for an access key it issued or owns. */
export interface SigningSecret {
  accessKeyId: string
  secretAccessKey: string
  /** Present for temporary credentials: the request must carry exactly this token. */
  sessionToken?: string
  /** Epoch milliseconds; absent for credentials that do not expire (the admin's). */
  expiresAt?: number
}

export interface VerifyOptions {
  /** The signing name the credential scope must carry: `appsync`, `cognito-idp`, `s3`... */
  service: string
  region: string
  lookup: (accessKeyId: string) => SigningSecret | undefined
  /** The sandbox's clock; tests pass their own. */
  now?: Date
}

/** What a verified signature leaves for checking a body that arrives after it (S3 streams bodies). */
export interface SeedSignature {
  /** The request's signature (lowercase hex): an `aws-chunked` body's first chunk signature chains from it. */
  signature: string
  /** `YYYYMMDDTHHMMSSZ`, as signed. */
  longDate: string
  /** `<date>/<region>/<service>/aws4_request`. */
  scope: string
  /** The payload line the signature covers: `x-amz-content-sha256` as sent (S3), or the body's hash. */
  payloadHash: string
  /** Signs a string with the request's signing key (chunk and trailer signatures). */
  sign: (stringToSign: string) => Promise<string>
}

export type SignatureCheck = { ok: true, secret: SigningSecret, seed: SeedSignature } | VerifyFailure

/** AWS accepts a request dated up to 15 minutes either side of its clock. */
const MAX_SKEW_MS = 15 * 60_000
/** X-Amz-Expires can be at most a week. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** SHA-256 and HMAC-SHA256 on node:crypto, in the shape the signer takes for its `sha256`. */
class Sha256 {
  private readonly hash: Hash | Hmac
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data))
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): BinaryLike {
  if (typeof data === 'string') return data
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return new Uint8Array(data)
}

type Canonicalizable = Parameters<SignatureV4['presign']>[0]

/** The SDK's signer, with its canonical request and string-to-sign opened up for recomputing. */
class Recomputer extends SignatureV4 {
  constructor(secret: SigningSecret, region: string, service: string) {
    super({
      service,
      region,
      credentials: { accessKeyId: secret.accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: secret.sessionToken },
      sha256: Sha256,
      // S3 signs the path as sent; every other service encodes it once more.
      uriEscapePath: service !== 's3',
    })
  }

  async signature(request: Canonicalizable, signedHeaders: string[], payloadHash: string, signingDate: Date, longDate: string, scope: string): Promise<{ signature: string, signedHeaderList: string }> {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(signedHeaders))
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash)
    const stringToSign = await this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM_IDENTIFIER)
    const signature = await this.sign(stringToSign, { signingDate })
    return { signature, signedHeaderList: this.getCanonicalHeaderList(canonicalHeaders) }
  }
}

/** The parts of a signature, from the Authorization header or the query. */
interface Presented {
  presigned: boolean
  credential: string
  signedHeaders: string
  signature: string
  /** The request date in SigV4's basic format, and as a Date. */
  longDate: string
  date: Date
  /** Presigned only: seconds the signature is good for. */
  expiresSeconds?: number
  sessionToken?: string
}

/**
 * Checks `request` as AWS would for `service`: shape, date, scope, key, token, expiry and, last, the
 * signature itself. Resolves to the key's secret, or to the error AWS would answer with.
 */
export async function verifySignature(request: SignedRequest, options: VerifyOptions): Promise<SignatureCheck> {
  const { service, region } = options
  const now = options.now ?? new Date()
  const headers = lowerCaseHeaders(request.headers)
  const query = parseQuery(request.query)

  const presented = present(headers, query, service)
  if (!presented.ok) return presented
  const { presigned, credential, signature, longDate, date } = presented.value

  const scopeParts = credential.split('/')
  if (scopeParts.length !== 5 || scopeParts.some(part => part === '')) return errors.badCredential(service, presigned, credential)
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scopeParts as [string, string, string, string, string]
  if (scopeDate !== longDate.slice(0, 8)) return errors.scopeDateMismatch(service, presigned, scopeDate, longDate)
  if (scopeRegion !== region) return errors.wrongRegion(service, presigned, scopeRegion, region)
  if (scopeService !== service) return errors.wrongService(service, presigned, scopeService)
  if (terminator !== 'aws4_request') return errors.wrongTerminator(service, presigned, terminator)

  const signedHeaders = presented.value.signedHeaders.split(';')
  if (!signedHeaders.includes('host')) return errors.hostNotSigned(service, presigned)

  if (presigned) {
    const expires = presented.value.expiresSeconds!
    if (date.getTime() - now.getTime() > MAX_SKEW_MS) return errors.presignedNotYetValid(service)
    if (date.getTime() + expires * 1000 < now.getTime()) return errors.presignedExpired(service)
  }
  else if (Math.abs(now.getTime() - date.getTime()) > MAX_SKEW_MS) {
    return errors.skewed(service, longDate, now, date < now)
  }

  const secret = options.lookup(accessKeyId)
  if (!secret) return errors.unknownAccessKey(service)
  const token = presented.value.sessionToken
  if (secret.sessionToken === undefined ? token !== undefined : token === undefined || !sameText(token, secret.sessionToken)) {
    return errors.invalidSessionToken(service)
  }
  if (secret.expiresAt !== undefined && secret.expiresAt <= now.getTime()) return errors.expiredToken(service)

  const payloadHash = payloadHashOf(request, headers, service, presigned)
  if (!payloadHash.ok) return payloadHash

  const signedOnly: Record<string, string> = {}
  for (const name of signedHeaders) {
    if (headers[name] !== undefined) signedOnly[name] = headers[name]
  }
  const recomputer = new Recomputer(secret, scopeRegion, scopeService)
  const scope = scopeParts.slice(1).join('/')
  const expected = await recomputer.signature(
    { method: request.method.toUpperCase(), protocol: 'http:', hostname: headers.host ?? '', path: request.path || '/', query: query.map, headers: signedOnly },
    signedHeaders,
    payloadHash.value,
    date,
    longDate,
    scope,
  )
  // A header the client says it signed but did not send cannot be part of any signature made here.
  if (expected.signedHeaderList !== signedHeaders.join(';')) return errors.signatureMismatch(service)
  if (!sameText(expected.signature, signature.toLowerCase())) return errors.signatureMismatch(service)
  return {
    ok: true,
    secret,
    seed: {
      signature: expected.signature,
      longDate,
      scope,
      payloadHash: payloadHash.value,
      sign: stringToSign => recomputer.sign(stringToSign, { signingDate: date }),
    },
  }
}

type Result<T> = { ok: true, value: T } | VerifyFailure

function present(headers: Record<string, string>, query: ParsedQuery, service: string): Result<Presented> {
  const authorization = headers.authorization
  const algorithm = query.first('X-Amz-Algorithm')
  if (authorization !== undefined && algorithm !== undefined) return errors.twoAuthMechanisms(service)
  if (authorization !== undefined) return fromHeader(authorization, headers, service)
  if (algorithm !== undefined) return fromQuery(algorithm, query, headers, service)
  return errors.missingAuthentication(service)
}

function fromHeader(authorization: string, headers: Record<string, string>, service: string): Result<Presented> {
  const space = authorization.indexOf(' ')
  const algorithm = space < 0 ? authorization : authorization.slice(0, space)
  if (algorithm !== ALGORITHM_IDENTIFIER) return errors.unsupportedAlgorithm(service, false, algorithm)
  const fields: Record<string, string> = {}
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter(name => !fields[name])
  if (missing.length) return errors.missingParameters(service, false, missing, authorization)

  const amzDate = headers['x-amz-date']
  let date: Date | undefined
  let longDate: string
  if (amzDate !== undefined) {
    date = parseBasicDate(amzDate)
    if (!date) return errors.badDate(service, false, amzDate)
    longDate = amzDate
  }
  else if (headers.date !== undefined) {
    // An RFC 7231 date; the string to sign still carries it in basic format.
    const parsed = new Date(headers.date)
    if (Number.isNaN(parsed.getTime())) return errors.badDate(service, false, headers.date)
    date = parsed
    longDate = errors.basicDate(parsed)
  }
  else {
    return errors.missingDate(service, authorization)
  }
  if (service === 's3' && headers['x-amz-content-sha256'] === undefined) return errors.contentShaMissing()
  return {
    ok: true,
    value: {
      presigned: false,
      credential: fields.Credential!,
      signedHeaders: fields.SignedHeaders!,
      signature: fields.Signature!,
      longDate,
      date,
      sessionToken: headers['x-amz-security-token'],
    },
  }
}

function fromQuery(algorithm: string, query: ParsedQuery, headers: Record<string, string>, service: string): Result<Presented> {
  if (algorithm !== ALGORITHM_IDENTIFIER) return errors.unsupportedAlgorithm(service, true, algorithm)
  const names = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires']
  const missing = names.filter(name => !query.first(name))
  if (missing.length) return errors.missingParameters(service, true, missing, '')
  const longDate = query.first('X-Amz-Date')!
  const date = parseBasicDate(longDate)
  if (!date) return errors.badDate(service, true, longDate)
  const expires = query.first('X-Amz-Expires')!
  if (!/^\d{1,7}$/.test(expires)) return errors.badExpires(service, 'X-Amz-Expires should be a number')
  const expiresSeconds = Number(expires)
  if (expiresSeconds > MAX_PRESIGNED_SECONDS) return errors.badExpires(service, `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_SECONDS}`)
  return {
    ok: true,
    value: {
      presigned: true,
      credential: query.first('X-Amz-Credential')!,
      signedHeaders: query.first('X-Amz-SignedHeaders')!,
      signature: query.first('X-Amz-Signature')!,
      longDate,
      date,
      expiresSeconds,
      sessionToken: query.first('X-Amz-Security-Token') ?? headers['x-amz-security-token'],
    },
  }
}

/**
 * The payload line of the canonical request. S3 signs what `x-amz-content-sha256` says (a hash it
 * checks against the body when it has one, or `UNSIGNED-PAYLOAD` / `STREAMING-…`), and presigned S3
 * URLs are always unsigned-payload; every other service signs the hash of the body it received.
 */
function payloadHashOf(request: SignedRequest, headers: Record<string, string>, service: string, presigned: boolean): Result<string> {
  if (service === 's3') {
    if (presigned) return { ok: true, value: UNSIGNED_PAYLOAD }
    const declared = headers['x-amz-content-sha256']!
    if (!isKnownPayloadMode(declared)) {
      return declared.startsWith('STREAMING-') ? errors.unsupportedPayloadMode(declared) : errors.badContentSha()
    }
    if (/^[0-9a-f]{64}$/i.test(declared) && request.body !== undefined && !sameText(declared.toLowerCase(), sha256Hex(request.body))) {
      return errors.contentShaMismatch(service)
    }
    return { ok: true, value: declared }
  }
  return { ok: true, value: request.body === undefined || request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body) }
}

function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex')
}

/** Constant-time comparison of two strings (lengths are not secret). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** `YYYYMMDDTHHMMSSZ`, or undefined. */
function parseBasicDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 ? date : undefined
}

/** Header names lower-cased; a repeated header's values joined with commas, as SigV4 canonicalizes them. */
function lowerCaseHeaders(headers: SignedRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const key = name.toLowerCase()
    const joined = Array.isArray(value) ? value.join(',') : value
    out[key] = out[key] === undefined ? joined : `${out[key]},${joined}`
  }
  return out
}

interface ParsedQuery {
  /** Decoded names to decoded values, as the signer takes them (repeated names as lists). */
  map: Record<string, string | string[]>
  first(name: string): string | undefined
}

/**
 * Splits the raw query as AWS reads it: names and values percent-decoded, `+` a space (aws-amplify
 * builds presigned URLs with URLSearchParams, which writes spaces so; a literal `+` is sent as `%2B`).
 */
function parseQuery(raw: string): ParsedQuery {
  const map: Record<string, string | string[]> = Object.create(null)
  for (const pair of raw ? raw.split('&') : []) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    const name = decode(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1))
    const existing = map[name]
    map[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value]
  }
  return {
    map,
    first(name) {
      const value = map[name]
      return Array.isArray(value) ? value[0] : value
    },
  }
}

/** Percent-decoding that keeps a malformed escape as sent (the signature then simply does not match). */
function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(spaced)
  }
  catch {
    return spaced
  }
}
