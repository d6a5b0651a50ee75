/**
 * The pool's in-memory model: users with their sign-in alias index and group memberships, the groups the
 * definition has, sessions with their refresh-token index, and sent messages. Every change bumps a
 * version; `persisting` writes the model through `StateFile` whenever the work it wraps moved it.
 */
import { createHash } from 'node:crypto'
import type { SandboxMessage, UserPoolGroup, UserPoolSettings } from '../core/types'
import { byPrecedence } from './groups'
import { StateFile, type StoredGroup, type StoredPool, type StoredSession, type StoredUser } from './state-file'

/** Revoked or expired sessions are kept this long after their refresh token expires, so tokens
 * issued from them (at most a day, Cognito's maximum) still read as revoked rather than unknown. */
const SESSION_GRACE = 24 * 3_600_000
const MAX_MESSAGES = 1000
/** The attributes a user may sign in with besides their username. */
const ALIASES = ['email', 'phone_number'] as const
export type Alias = typeof ALIASES[number]

export class PoolState {
  private users = new Map<string, StoredUser>()
  /** `email` or `phone_number`, NUL, the normalized value → sub: the sign-in aliases. */
  private aliases = new Map<string, string>()
  private sessions = new Map<string, StoredSession>()
  /** Refresh-token hash → origin_jti. */
  private refreshIndex = new Map<string, string>()
  private messages: SandboxMessage[] = []
  /** The definition's groups by name, with the dates the admin API reports. */
  private groups = new Map<string, StoredGroup>()
  private readonly file: StateFile
  /** Bumped by every change. */
  private version = 0

  constructor(dir: string, private readonly settings: () => UserPoolSettings) {
    this.file = new StateFile(dir, () => this.snapshot())
  }

  async load(): Promise<void> {
    const stored = await this.file.load()
    if (!stored) return
    for (const user of stored.users) this.addUser(user)
    for (const session of stored.sessions) this.indexSession(session)
    this.messages = stored.messages
    for (const group of stored.groups ?? []) this.groups.set(group.name, group)
  }

  /** Schedules a write of the model; `close` waits for it. */
  save(): Promise<void> {
    return this.file.save()
  }

  /** Runs `work`; whatever it changed is on disk before the result (or the failure) is passed on. */
  async persisting<T>(work: () => Promise<T>): Promise<T> {
    const before = this.version
    try {
      return await work()
    }
    finally {
      if (this.version !== before) await this.file.save()
    }
  }

  /** Resolves once everything acknowledged is on disk. */
  close(): Promise<void> {
    return this.file.flush()
  }

  changed(): void {
    this.version++
  }

  // --- Users --------------------------------------------------------------------------------

  /** A username or e-mail as the pool compares them (Gen 2 pools: case-insensitively); phone numbers as given. */
  normalize(name: string): string {
    return this.settings().caseSensitive ? name : name.toLowerCase()
  }

  /**
   * By a sign-in alias the pool's users sign in with (`UsernameAttributes`: e-mail, phone number),
   * or by the username itself (the sub), as Cognito accepts both.
   */
  findUser(name: string): StoredUser | undefined {
    for (const attribute of this.settings().usernameAttributes) {
      if (!ALIASES.includes(attribute as Alias)) continue
      const sub = this.aliases.get(this.aliasKey(attribute as Alias, name))
      if (sub) return this.users.get(sub)
    }
    return this.users.get(name.toLowerCase())
  }

  userBySub(sub: string): StoredUser | undefined {
    return this.users.get(sub)
  }

  /** The sub of the user whose e-mail (alias) this is. */
  emailOwner(email: string): string | undefined {
    return this.aliasOwner('email', email)
  }

  /** The sub of the user whose `email` or `phone_number` this is. */
  aliasOwner(attribute: Alias, value: string): string | undefined {
    return this.aliases.get(this.aliasKey(attribute, value))
  }

  addUser(user: StoredUser): void {
    this.users.set(user.sub, user)
    for (const attribute of ALIASES) {
      const value = user.attributes[attribute]
      if (value) this.aliases.set(this.aliasKey(attribute, value), user.sub)
    }
    this.changed()
  }

  /** Makes `email` the user's address and sign-in alias, freeing the old one. */
  changeEmail(user: StoredUser, email: string): void {
    this.changeAlias(user, 'email', email)
  }

  /** Makes `value` the user's `email` or `phone_number` and sign-in alias, freeing the old one. */
  changeAlias(user: StoredUser, attribute: Alias, value: string): void {
    const old = user.attributes[attribute]
    if (old && this.aliases.get(this.aliasKey(attribute, old)) === user.sub) this.aliases.delete(this.aliasKey(attribute, old))
    user.attributes[attribute] = value
    this.aliases.set(this.aliasKey(attribute, value), user.sub)
    this.touch(user)
  }

  deleteUser(user: StoredUser): void {
    this.revokeSessionsOf(user.sub)
    this.users.delete(user.sub)
    for (const attribute of ALIASES) {
      const value = user.attributes[attribute]
      if (value && this.aliases.get(this.aliasKey(attribute, value)) === user.sub) this.aliases.delete(this.aliasKey(attribute, value))
    }
    this.changed()
  }

  touch(user: StoredUser): void {
    user.updatedAt = new Date().toISOString()
    this.changed()
  }

  /** Every user, ordered by sub: a stable order to page through. */
  listUsers(): StoredUser[] {
    return [...this.users.values()].sort((a, b) => (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0))
  }

  // --- Groups -------------------------------------------------------------------------------

  /**
   * Brings the groups in line with the definition, as a deploy does to Cognito: a new group is
   * created, a changed one modified, and a removed one deleted with every membership in it.
   */
  syncGroups(defined: readonly UserPoolGroup[]): void {
    const now = new Date().toISOString()
    const names = new Set(defined.map(group => group.name))
    for (const name of this.groups.keys()) {
      if (names.has(name)) continue
      this.groups.delete(name)
      this.changed()
    }
    for (const user of this.users.values()) {
      const kept = user.groups?.filter(name => names.has(name))
      if (kept?.length === user.groups?.length) continue
      user.groups = kept
      this.changed()
    }
    for (const { name, precedence, roleArn, description } of defined) {
      const stored = this.groups.get(name)
      if (stored && stored.precedence === precedence && stored.roleArn === roleArn && stored.description === description) continue
      this.groups.set(name, { name, precedence, roleArn, description, createdAt: stored?.createdAt ?? now, updatedAt: now })
      this.changed()
    }
  }

  group(name: string): StoredGroup | undefined {
    return this.groups.get(name)
  }

  /** Every group, highest precedence first. */
  listGroups(): StoredGroup[] {
    return [...this.groups.values()].sort(byPrecedence)
  }

  /** The user's groups, highest precedence first. */
  groupsOfUser(user: StoredUser): StoredGroup[] {
    return (user.groups ?? []).flatMap(name => this.groups.get(name) ?? []).sort(byPrecedence)
  }

  addToGroup(user: StoredUser, group: StoredGroup): void {
    if (user.groups?.includes(group.name)) return
    user.groups = [...(user.groups ?? []), group.name]
    this.changed()
  }

  removeFromGroup(user: StoredUser, group: StoredGroup): void {
    if (!user.groups?.includes(group.name)) return
    user.groups = user.groups.filter(name => name !== group.name)
    this.changed()
  }

  // --- Sessions -----------------------------------------------------------------------------

  /** Records a sign-in; only a hash of its refresh token is kept. */
  addSession(session: Omit<StoredSession, 'refreshHash'>, refreshToken: string): StoredSession {
    const stored = { ...session, refreshHash: hashToken(refreshToken) }
    this.indexSession(stored)
    this.changed()
    return stored
  }

  session(originJti: string): StoredSession | undefined {
    return this.sessions.get(originJti)
  }

  sessionOfRefreshToken(refreshToken: string): StoredSession | undefined {
    const originJti = this.refreshIndex.get(hashToken(refreshToken))
    return originJti ? this.sessions.get(originJti) : undefined
  }

  revoke(session: StoredSession): void {
    if (session.revoked) return
    session.revoked = true
    this.changed()
  }

  revokeSessionsOf(sub: string): void {
    for (const session of this.sessions.values()) {
      if (session.sub === sub) this.revoke(session)
    }
  }

  // --- Messages -----------------------------------------------------------------------------

  addMessage(message: SandboxMessage): void {
    this.messages.push(message)
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES)
    this.changed()
  }

  listMessages(to?: string): SandboxMessage[] {
    if (to === undefined) return this.messages
    const wanted = to.toLowerCase()
    return this.messages.filter(m => m.to.toLowerCase() === wanted)
  }

  // --- Internals ----------------------------------------------------------------------------

  /** E-mail compares as the pool compares names; a phone number (E.164) exactly. */
  private aliasKey(attribute: Alias, value: string): string {
    return `${attribute}\u0000${attribute === 'email' ? this.normalize(value) : value}`
  }

  private indexSession(session: StoredSession): void {
    this.sessions.set(session.originJti, session)
    this.refreshIndex.set(session.refreshHash, session.originJti)
  }

  private snapshot(): StoredPool {
    this.purge()
    return {
      version: 1,
      userPoolId: this.settings().userPoolId,
      users: [...this.users.values()],
      sessions: [...this.sessions.values()],
      messages: this.messages,
      groups: [...this.groups.values()],
    }
  }

  private purge(): void {
    const cutoff = Date.now() - SESSION_GRACE
    for (const [originJti, session] of this.sessions) {
      if (session.expiresAt < cutoff) {
        this.sessions.delete(originJti)
        this.refreshIndex.delete(session.refreshHash)
      }
    }
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
