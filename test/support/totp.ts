import { createHmac } from 'node:crypto'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * The code an authenticator app shows for a base32 secret at `at`: RFC 6238 (HMAC-SHA1, 6 digits,
 * 30-second steps), computed here on node:crypto, independently of the library the sandbox uses.
 */
export function totp(secret: string, at = Date.now()): string {
  let bits = ''
  for (const char of secret.replace(/=+$/, '').toUpperCase()) bits += BASE32.indexOf(char).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map(byte => Number.parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const offset = hmac[hmac.length - 1]! & 0x0F
  return String((hmac.readUInt32BE(offset) & 0x7FFFFFFF) % 1_000_000).padStart(6, '0')
}
