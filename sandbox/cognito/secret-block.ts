/**
 * Sealed challenge state: SRP's SECRET_BLOCK, and the `Session` of every later challenge
 * (NEW_PASSWORD_REQUIRED, the second factors, their set-up), which the client carries from one
 * call to the next. AES-256-GCM sealed with this sandbox's secret (so the server keeps nothing per
 * challenge, and the client can read nothing, a text message's code included), and single use
 * (so a captured answer cannot be replayed).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { MfaMethod } from '../core/types'

interface Sealed {
  /** One-time id, so a captured answer cannot be replayed. */
  id: string
  clientId: string
  userId: string
  /** Epoch ms. */
  expiresAt: number
}

/** SRP's SECRET_BLOCK, between InitiateAuth and the PASSWORD_VERIFIER answer. */
export interface SrpBlock extends Sealed {
  challenge?: undefined
  /** Issued for an unknown user (existence errors prevented): no answer can succeed. */
  fake: boolean
  /** The SRP values, hex. */
  A: string
  B: string
  b: string
}

/** The Session of a challenge that follows the password. */
export interface ChallengeSession extends Sealed {
  challenge: 'NEW_PASSWORD_REQUIRED' | 'SELECT_MFA_TYPE' | 'MFA_SETUP' | MfaMethod
  /** When the password was proven (epoch seconds): the tokens' `auth_time`. */
  authTime: number
  /** SMS_MFA, EMAIL_OTP: the code sent. */
  code?: string
  /** When that code stops being accepted (epoch ms), if before the session ends. */
  codeExpiresAt?: number
  /** Where it went: an EMAIL_OTP during set-up sends to the address the user gave, which becomes theirs once proven. */
  to?: string
  /** SELECT_MFA_TYPE: what the user may choose; MFA_SETUP: what they may set up. */
  methods?: MfaMethod[]
  /** MFA_SETUP: VerifySoftwareToken proved the authenticator, so the answer signs in. */
  totpVerified?: boolean
}

export type SecretBlock = SrpBlock | ChallengeSession

const IV_BYTES = 12
const TAG_BYTES = 16

export class SecretBlocks {
  private readonly key: Buffer
  /** Answered blocks (id → expiry): kept in memory only, as they expire within minutes. */
  private readonly used = new Map<string, number>()
  /** Wrong answers per session (id → count and expiry), in memory for the same reason. */
  private readonly failures = new Map<string, { count: number, expiresAt: number }>()

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'srp-secret-block', 32))
  }

  seal(block: SecretBlock): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const sealed = Buffer.concat([cipher.update(JSON.stringify(block), 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')
  }

  /** The block, or undefined for anything this sandbox did not seal (tampered, truncated, foreign). */
  open(value: string): SecretBlock | undefined {
    try {
      const raw = Buffer.from(value, 'base64')
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES))
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
      return JSON.parse(plain.toString('utf8')) as SecretBlock
    }
    catch {
      return undefined
    }
  }

  /** Marks the block answered; false if it was answered before (a replay). */
  claim(block: SecretBlock): boolean {
    const now = Date.now()
    for (const [id, expiresAt] of this.used) if (expiresAt < now) this.used.delete(id)
    if (this.used.has(block.id)) return false
    this.used.set(block.id, block.expiresAt)
    return true
  }

  /** Whether the block was answered already. */
  answered(block: SecretBlock): boolean {
    const expiresAt = this.used.get(block.id)
    return expiresAt !== undefined && expiresAt >= Date.now()
  }

  /** Counts a wrong answer to the session; answers how many it has had. */
  fail(block: SecretBlock): number {
    const now = Date.now()
    for (const [id, entry] of this.failures) if (entry.expiresAt < now) this.failures.delete(id)
    const entry = this.failures.get(block.id) ?? { count: 0, expiresAt: block.expiresAt }
    entry.count++
    this.failures.set(block.id, entry)
    return entry.count
  }

  /** Wrong answers the session has had so far. */
  failuresOf(block: SecretBlock): number {
    return this.failures.get(block.id)?.count ?? 0
  }
}
