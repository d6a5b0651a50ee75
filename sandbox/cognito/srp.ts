/**
 * The server half of Cognito's SRP-6a variant, byte-compatible with amplify-js
 * (`@aws-amplify/auth/dist/esm/providers/cognito/utils/srp/`).
 *
 * Written here on `node:crypto` and native bigint because no maintained server-side SRP library
 * speaks Cognito's dialect: its hashes run over Java-style two's-complement hex padding, `x` mixes
 * in the pool name, and the session key comes out of HKDF("Caldera Derived Key") truncated to
 * 16 bytes. Generic SRP libraries (RFC 5054 / SRP-6a) pad to the group size and differ in all three.
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

/** RFC 3526 3072-bit MODP group, as amplify's `INIT_N`. */
const N = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD'
  + 'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED'
  + 'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F'
  + '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B'
  + 'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510'
  + '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7'
  + 'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C'
  + 'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
)
const g = 2n

/**
 * amplify's `getPaddedHex` for non-negative values: even length, plus a `00` byte when the top bit
 * is set (Java `BigInteger.toByteArray()`), so every hash below sees the same bytes the client hashed.
 */
function padHex(value: bigint): string {
  let hex = value.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** H over the bytes a hex string encodes, as amplify's `getHashFromHex`. */
function hashHex(hex: string): string {
  return sha256Hex(Buffer.from(hex, 'hex'))
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = ((base % modulus) + modulus) % modulus
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

const k = BigInt(`0x${hashHex(padHex(N) + padHex(g))}`)

/** x = H(pad(salt) | H(poolName | userId ":" password)). */
function computeX(poolName: string, userId: string, password: string, saltHex: string): bigint {
  const inner = sha256Hex(`${poolName}${userId}:${password}`)
  return BigInt(`0x${hashHex(padHex(BigInt(`0x${saltHex}`)) + inner)}`)
}

/** A fresh salt and the verifier v = g^x: all the pool keeps of a password. */
export function createVerifier(poolName: string, userId: string, password: string): { salt: string, verifier: string } {
  const salt = randomBytes(16).toString('hex')
  return { salt, verifier: computeVerifier(poolName, userId, password, salt) }
}

export function computeVerifier(poolName: string, userId: string, password: string, saltHex: string): string {
  return padHex(modPow(g, computeX(poolName, userId, password, saltHex), N))
}

/** For USER_PASSWORD_AUTH and ChangePassword: recomputes v from the candidate password. */
export function passwordMatches(poolName: string, userId: string, password: string, saltHex: string, verifierHex: string): boolean {
  const candidate = Buffer.from(computeVerifier(poolName, userId, password, saltHex), 'hex')
  const stored = Buffer.from(verifierHex, 'hex')
  return candidate.length === stored.length && timingSafeEqual(candidate, stored)
}

/** Parses the client's SRP_A (amplify sends unpadded hex) and rejects A ≡ 0 (mod N). */
export function parseClientA(hex: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,1024}$/.test(hex)) return undefined
  const A = BigInt(`0x${hex}`)
  return A % N === 0n ? undefined : A
}

/** Server ephemeral: secret b and public B = k·v + g^b (mod N). */
export function createServerEphemeral(verifierHex: string): { b: bigint, B: bigint } {
  const v = BigInt(`0x${verifierHex}`)
  for (;;) {
    const b = BigInt(`0x${randomBytes(32).toString('hex')}`)
    const B = (k * v + modPow(g, b, N)) % N
    if (B !== 0n) return { b, B }
  }
}

/** A B for an unknown user: indistinguishable from a real one without the (absent) verifier. */
export function createFakeServerB(): bigint {
  return modPow(g, BigInt(`0x${randomBytes(32).toString('hex')}`), N)
}

/**
 * The signature the client must have produced: HMAC-SHA256 keyed by the 16-byte HKDF of S over
 * poolName | userId | secretBlock bytes | timestamp, base64 (amplify's `getSignatureString`).
 */
export function expectedSignature(opts: {
  poolName: string
  userId: string
  verifierHex: string
  A: bigint
  B: bigint
  b: bigint
  secretBlock: Buffer
  timestamp: string
}): Buffer {
  const { A, B, b } = opts
  const u = BigInt(`0x${hashHex(padHex(A) + padHex(B))}`)
  const v = BigInt(`0x${opts.verifierHex}`)
  const S = modPow(A * modPow(v, u, N), b, N)
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(padHex(S), 'hex'), Buffer.from(padHex(u), 'hex'), 'Caldera Derived Key', 16))
  return createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(opts.poolName), Buffer.from(opts.userId), opts.secretBlock, Buffer.from(opts.timestamp)]))
    .digest()
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Parses amplify's `getNowString` format, `ddd MMM D HH:mm:ss UTC YYYY`; undefined if malformed. */
export function parseSrpTimestamp(value: string): number | undefined {
  const match = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) UTC (\d{4})$/.exec(value)
  if (!match) return undefined
  const [, weekday = '', month = '', day, hours, minutes, seconds, year] = match
  const monthIndex = MONTHS.indexOf(month)
  if (monthIndex < 0 || !WEEKDAYS.includes(weekday)) return undefined
  const time = Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds))
  return WEEKDAYS[new Date(time).getUTCDay()] === weekday ? time : undefined
}
