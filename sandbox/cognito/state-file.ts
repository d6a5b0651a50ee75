/**
 * The pool's state on disk: `<dir>/userpool.json`, written atomically (temp file, fsync, rename)
 * before a request is acknowledged. Writes are serialized and coalesced: requests that change
 * state while a write is running share the next one. The in-memory model is `state.ts`.
 */
import { mkdir } from 'node:fs/promises'
import { readJsonIfExists, writeAtomically } from '../core/fs'
import { join } from 'node:path'
import type { MfaMethod, SandboxMessage } from '../core/types'

export type CodeKind = 'signUp' | 'forgotPassword' | 'verifyEmail' | 'verifyPhone'

export interface StoredCode {
  code: string
  /** Where it went (absent in files from before text messages: the e-mail address). */
  to?: string
  /** Epoch ms. */
  expiresAt: number
  failedAttempts: number
}

export interface StoredUser {
  /** Also the Cognito username (as in pools whose users sign in with their e-mail). */
  sub: string
  /** FORCE_CHANGE_PASSWORD: made by AdminCreateUser (or given a temporary password); the first sign-in must set a new one. */
  status: 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD'
  /** Set by AdminDisableUser: the user cannot sign in or refresh until AdminEnableUser. */
  disabled?: boolean
  /** Every attribute but `sub`, with `email_verified` as 'true' / 'false'. */
  attributes: Record<string, string>
  /** New e-mail awaiting VerifyUserAttribute; the old one stays in force until then. */
  pendingEmail?: string
  /** New phone number awaiting VerifyUserAttribute, likewise. */
  pendingPhone?: string
  /** Second factors; absent for a user who never set one up. */
  mfa?: StoredMfa
  /** SRP salt and verifier (hex): the password itself is never stored. */
  salt: string
  verifier: string
  codes: Partial<Record<CodeKind, StoredCode>>
  /** Epoch ms of recent code deliveries, for LimitExceededException. */
  codeSends: number[]
  /** Names of the groups the user is in (absent in files from before groups). */
  groups?: string[]
  createdAt: string
  updatedAt: string
}

/** A user's second factors, as SetUserMFAPreference and the TOTP set-up leave them. */
export interface StoredMfa {
  /** The verified authenticator's secret (base32): kept here only, never printed or listed. */
  totpSecret?: string
  /** The secret AssociateSoftwareToken handed out, until VerifySoftwareToken proves the app has it. */
  pendingTotpSecret?: string
  totpDeviceName?: string
  /** The 30-second step of the last TOTP code accepted: a code is good once (Cognito refuses it again). */
  lastTotpStep?: number
  /** The factors the user turned on. */
  enabled: MfaMethod[]
  preferred?: MfaMethod
}

/** When the pool first served a group of the definition, and when its definition last changed. */
export interface StoredGroup {
  name: string
  precedence?: number
  roleArn?: string
  description?: string
  createdAt: string
  updatedAt: string
}

/** One sign-in: its refresh token (hashed) and the `origin_jti` of every token it yields. */
export interface StoredSession {
  originJti: string
  sub: string
  clientId: string
  /** base64url SHA-256 of the refresh token. */
  refreshHash: string
  /** Epoch seconds. */
  authTime: number
  /** Epoch ms at which the refresh token expires. */
  expiresAt: number
  revoked: boolean
}

/** The whole of `userpool.json`. */
export interface StoredPool {
  version: 1
  userPoolId: string
  users: StoredUser[]
  sessions: StoredSession[]
  messages: SandboxMessage[]
  /** Absent in files from before groups. */
  groups?: StoredGroup[]
}

export class StateFile {
  readonly path: string
  private pending: Promise<void> | undefined
  private writing: Promise<void> = Promise.resolve()

  constructor(readonly dir: string, private readonly snapshot: () => StoredPool) {
    this.path = join(dir, 'userpool.json')
  }

  async load(): Promise<StoredPool | undefined> {
    await mkdir(this.dir, { recursive: true })
    return readJsonIfExists<StoredPool>(this.path)
  }

  /** Resolves once a snapshot taken after this call is on disk. */
  save(): Promise<void> {
    this.pending ??= this.writing.catch(() => {}).then(() => {
      // Taking the snapshot clears `pending`, so later changes schedule the next write.
      this.pending = undefined
      const write = writeAtomically(this.path, JSON.stringify(this.snapshot()))
      this.writing = write
      return write
    })
    return this.pending
  }

  /** Waits for every write scheduled so far. */
  async flush(): Promise<void> {
    await this.pending?.catch(() => {})
    await this.writing.catch(() => {})
  }
}
