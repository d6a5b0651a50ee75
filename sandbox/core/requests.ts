/**
 * The sandbox's request log: what every local service decided about each request it received (who
 * asked, for what, allowed or refused and why), for the console's Requests panel. Services record
 * at their decision point, where they know the caller and the reason, never from raw HTTP. In
 * memory only, the last `capacity` entries: recording is one array write, so no request waits on it.
 *
 * Never put a secret in an entry: no password, token, code, key or request body, only who and what.
 */
import type { JWTPayload } from 'jose'
import type { Principal } from '../iam/types'

/** Which local service decided: the `Services` name of its service. */
export type RequestService = 'auth' | 'identity' | 'data' | 'storage' | 'functions' | 'rest'

/** Who made a request, as far as the service that decided knows. */
export interface RequestCaller {
  kind: 'user' | 'guest' | 'apiKey' | 'iam' | 'anonymous'
  /** What to call them when nothing better is known: an e-mail, an identity id, a key's prefix, a role name. */
  label: string
  /** A user's sub: the console shows the user's e-mail by it. */
  sub?: string
  /** The identity pool identity the credentials were issued to. */
  identityId?: string
  /** The IAM role the request was signed as. */
  role?: string
}

export type RequestDecision = 'allowed' | 'refused' | 'failed'

export interface RequestRecord {
  /** Increases by one per entry: newest first is highest first. */
  seq: number
  at: Date
  service: RequestService
  who: RequestCaller
  /** One line: `Mutation.updateTodo on Todo`, `PutObject bucket/key`, `InitiateAuth`, `GET /v1/export`. */
  what: string
  decision: RequestDecision
  /** The HTTP status answered (101 for a realtime subscription that started). */
  status: number
  /** Why, in words: set for refusals (which rule or policy decided) and failures (the error). */
  reason?: string
}

export interface RequestFilter {
  service?: RequestService
  /** Refusals only. */
  refused?: boolean
  /** Text the caller's description must contain, case-insensitively. */
  who?: string
}

/** The entries kept by default: enough for a few minutes of an app's traffic. */
export const REQUESTS_KEPT = 1000

export class RequestLog {
  private readonly entries: RequestRecord[] = []
  private next = 0
  private seq = 0

  constructor(readonly capacity = REQUESTS_KEPT) {}

  record(entry: Omit<RequestRecord, 'seq' | 'at'>): void {
    const record = { seq: ++this.seq, at: new Date(), ...entry }
    // A ring: the oldest entry's slot takes the new one once the log is full.
    if (this.entries.length < this.capacity) this.entries.push(record)
    else this.entries[this.next] = record
    this.next = (this.next + 1) % this.capacity
  }

  /**
   * The entries that pass `filter`, newest first. `describe` is what `filter.who` is matched
   * against (the console passes one that adds the user's current e-mail).
   */
  list(filter: RequestFilter = {}, describe: (caller: RequestCaller) => string = describeCaller): RequestRecord[] {
    const who = filter.who?.trim().toLowerCase()
    const found: RequestRecord[] = []
    for (let i = 1; i <= this.entries.length; i++) {
      const record = this.entries[(this.next - i + this.entries.length) % this.entries.length]!
      if (filter.service && record.service !== filter.service) continue
      if (filter.refused && record.decision !== 'refused') continue
      if (who && !describe(record.who).toLowerCase().includes(who)) continue
      found.push(record)
    }
    return found
  }
}

/** Everything known about a caller, on one line: what a filter by user matches. */
export function describeCaller(caller: RequestCaller): string {
  return [KINDS[caller.kind], caller.label, caller.sub, caller.identityId, caller.role].filter((part, i, all) => part && all.indexOf(part) === i).join(' ')
}

const KINDS: Record<RequestCaller['kind'], string> = { user: 'user', guest: 'guest', apiKey: 'API key', iam: 'IAM', anonymous: 'anonymous' }

export const ANONYMOUS: RequestCaller = { kind: 'anonymous', label: 'no credentials' }

/** The signer of a verified SigV4 request: a user's or a guest's identity-pool credentials, or a role's. */
export function principalCaller(principal: Principal): RequestCaller {
  const role = principal.role.name
  const identity = principal.identity
  if (identity?.authType === 'authenticated') {
    // `…:CognitoSignIn:<sub>` names the user the identity belongs to.
    const sub = /:CognitoSignIn:([^",]+)/.exec(identity.authProvider ?? '')?.[1]
    return { kind: 'user', label: sub ?? identity.identityId, ...(sub ? { sub } : {}), identityId: identity.identityId, role }
  }
  if (identity) return { kind: 'guest', label: identity.identityId, identityId: identity.identityId, role }
  return { kind: 'iam', label: principal.admin ? 'the sandbox\'s admin credentials' : role, role }
}

/** A user pool user by their token's claims: the e-mail when the token carries it (id tokens do). */
export function claimsCaller(claims: JWTPayload): RequestCaller {
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined
  const email = typeof claims.email === 'string' ? claims.email : undefined
  const username = typeof claims['cognito:username'] === 'string' ? claims['cognito:username'] : typeof claims.username === 'string' ? claims.username : undefined
  return { kind: 'user', label: email ?? username ?? sub ?? 'a user', ...(sub ? { sub } : {}) }
}

/** An API key by its first characters only: enough to tell keys apart, too few to use one. */
export function apiKeyCaller(key: string): RequestCaller {
  return { kind: 'apiKey', label: `${key.slice(0, 8)}…` }
}

/** A reason that fits one line of the page: an error message can be long. */
export function shortReason(text: string, max = 600): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
