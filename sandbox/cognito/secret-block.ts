/**
 * SECRET_BLOCK: the SRP challenge state the client carries from InitiateAuth to
 * RespondToAuthChallenge, AES-256-GCM sealed with this sandbox's secret (so the server keeps
 * nothing per challenge), and single use (so a captured answer cannot be replayed).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

export interface SecretBlock {
  /** One-time id, so a captured answer cannot be replayed. */
  id: string
  clientId: string
  userId: string
  /** Issued for an unknown user (existence errors prevented): no answer can succeed. */
  fake: boolean
  /** The SRP values, hex. */
  A: string
  B: string
  b: string
  /** Epoch ms. */
  expiresAt: number
  /** Set on the Session of a NEW_PASSWORD_REQUIRED challenge (no SRP values); absent on SRP's SECRET_BLOCK. */
  challenge?: 'NEW_PASSWORD_REQUIRED'
}

const IV_BYTES = 12
const TAG_BYTES = 16

export class SecretBlocks {
  private readonly key: Buffer
  /** Answered blocks (id → expiry): kept in memory only, as they expire within minutes. */
  private readonly used = new Map<string, number>()

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
}
