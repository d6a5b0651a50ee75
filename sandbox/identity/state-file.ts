/**
 * The identity pool's state on disk: `<dir>/identities.json`, every identity it has handed out and
 * the logins linked to it, written atomically before a request is acknowledged. A guest's id stays
 * valid across restarts (the browser keeps it), and a user's is found again by their login. A
 * guest's identity merged into a user's is kept, disabled, as Cognito keeps it.
 */
import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { coalescedWriter, readJsonIfExists, type CoalescedWriter } from '../core/fs'

export interface StoredIdentity {
  /** `<region>:<uuid>`. */
  identityId: string
  /** Linked logins, each `<providerName>:<sub>`; none for a guest. */
  logins: string[]
  /** Set once the identity was merged into a user's: Cognito keeps it, disabled, and refuses it from then on. */
  disabled?: true
  createdAt: string
  updatedAt: string
}

const FILE_VERSION = 1

export class IdentityFile {
  private readonly identities = new Map<string, StoredIdentity>()
  private readonly byLogin = new Map<string, StoredIdentity>()
  private readonly writer: CoalescedWriter

  private constructor(file: string) {
    this.writer = coalescedWriter(file, () => JSON.stringify({ version: FILE_VERSION, identities: [...this.identities.values()] }))
  }

  static async open(dir: string): Promise<IdentityFile> {
    await mkdir(dir, { recursive: true })
    const file = join(dir, 'identities.json')
    const store = new IdentityFile(file)
    let saved: { version?: number, identities?: unknown } | undefined
    try {
      saved = await readJsonIfExists(file)
    }
    catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}): fix it, or wipe the sandbox with --reset`, { cause: error })
    }
    for (const identity of Array.isArray(saved?.identities) ? saved.identities as StoredIdentity[] : []) {
      if (typeof identity?.identityId === 'string' && Array.isArray(identity.logins)) store.index(identity)
    }
    return store
  }

  get(identityId: string): StoredIdentity | undefined {
    return this.identities.get(identityId)
  }

  byLoginKey(login: string): StoredIdentity | undefined {
    return this.byLogin.get(login)
  }

  /** A new identity in `region`, linked to `login` when given (a guest's otherwise); on disk when it resolves. */
  async create(region: string, login?: string): Promise<StoredIdentity> {
    const now = new Date().toISOString()
    const identity: StoredIdentity = { identityId: `${region}:${randomUUID()}`, logins: login ? [login] : [], createdAt: now, updatedAt: now }
    this.index(identity)
    await this.writer.save()
    return identity
  }

  /** Links `login` to a guest's identity, which becomes that user's (Cognito's first sign-in after browsing as a guest). */
  async link(identity: StoredIdentity, login: string): Promise<void> {
    identity.logins.push(login)
    identity.updatedAt = new Date().toISOString()
    this.byLogin.set(login, identity)
    await this.writer.save()
  }

  /** Disables a guest identity merged into a user's existing one; it stays, so its id is refused rather than unknown. */
  async disable(identity: StoredIdentity): Promise<void> {
    identity.disabled = true
    identity.updatedAt = new Date().toISOString()
    for (const login of identity.logins) this.byLogin.delete(login)
    await this.writer.save()
  }

  close(): Promise<void> {
    return this.writer.flush()
  }

  private index(identity: StoredIdentity): void {
    this.identities.set(identity.identityId, identity)
    if (identity.disabled) return
    for (const login of identity.logins) this.byLogin.set(login, identity)
  }
}
