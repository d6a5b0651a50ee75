/**
 * Tokens a caller could bring to the app: genuine ones minted with the sandbox pool's own signing
 * key (`<dataDir>/userpool/keys.json`, see sandbox/cognito/tokens.ts), forged ones signed with
 * someone else's key, and tampered ones whose payload no longer matches the signature.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'

export interface PoolKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
}

export async function loadPoolKey(dataDir: string): Promise<PoolKey> {
  const file = JSON.parse(await readFile(join(dataDir, 'userpool', 'keys.json'), 'utf8')) as { kid: string, privateKeyPem: string }
  const privateKey = createPrivateKey(file.privateKeyPem)
  return { kid: file.kid, privateKey, publicKey: createPublicKey(privateKey) }
}

/** An RSA key that is not the pool's: what an attacker signs with. */
export function attackerKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
}

/** `token`'s claims with `changes` applied, signed by `key` under the same `kid` as the original. */
export function resign(token: string, key: KeyObject, changes: JWTPayload = {}): Promise<string> {
  const { kid } = decodeProtectedHeader(token)
  return new SignJWT({ ...decodeJwt(token), ...changes }).setProtectedHeader({ alg: 'RS256', kid }).sign(key)
}

/** `token` with `changes` in its payload and its original header and signature. */
export function tamper(token: string, changes: JWTPayload): string {
  const [header, , signature] = token.split('.')
  const payload = Buffer.from(JSON.stringify({ ...decodeJwt(token), ...changes })).toString('base64url')
  return `${header}.${payload}.${signature}`
}

/** `iat`/`exp` an hour in the past: genuine but expired when signed with the pool key. */
export function expiredTimes(): JWTPayload {
  const now = Math.floor(Date.now() / 1000)
  return { iat: now - 2 * 3600, exp: now - 3600, auth_time: now - 2 * 3600 }
}

/** Signature (pool key), issuer and expiry, as the app's server must check them. */
export async function verifyWithPoolKey(token: string, key: PoolKey, issuer: string): Promise<JWTPayload> {
  return (await jwtVerify(token, key.publicKey, { issuer, algorithms: ['RS256'] })).payload
}
