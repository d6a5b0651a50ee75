/**
 * Credentials the sandbox hands out and later recognises: temporary ones issued through the identity
 * pool (as STS would: `ASIA…` key, secret, session token, expiry), kept on disk so a browser holding
 * some keeps working across a restart, and the admin's long-term key pair, kept in an AWS shared
 * credentials file for the AWS SDK and CLI. Neither ever goes into `amplify_outputs.json`.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { coalescedWriter, readJsonIfExists, writeAtomically, type CoalescedWriter } from '../core/fs'
import type { SigningSecret } from './sigv4'
import type { IdentityPoolIdentity } from './types'

/** Temporary credentials as issued, with whom they were issued to. */
export interface IssuedCredentials extends SigningSecret {
  sessionToken: string
  /** Epoch milliseconds. */
  expiresAt: number
  issuedAt: number
  /** The role they act as (an ARN of the backend's roles). */
  roleArn: string
  /** The session name in the caller's `assumed-role/<role>/<session>` ARN. */
  sessionName: string
  identity?: IdentityPoolIdentity
}

export interface IssueInput {
  roleArn: string
  sessionName: string
  identity?: IdentityPoolIdentity
  /** Default: the store's TTL (an hour, as Cognito's GetCredentialsForIdentity). */
  ttlSeconds?: number
  /** An explicit expiry (epoch ms), e.g. one already past to try what a client then sees. */
  expiresAt?: number
}

export interface AdminCredentials {
  accessKeyId: string
  secretAccessKey: string
  /** The shared credentials file that holds them. */
  file: string
  profile: string
}

export const ADMIN_PROFILE = 'amplify-sandbox'
/** As long as Cognito's GetCredentialsForIdentity credentials last. */
const DEFAULT_TTL_SECONDS = 60 * 60
/** Expired credentials are still recognised for a while, to answer ExpiredToken rather than "invalid". */
const KEEP_EXPIRED_MS = 60 * 60_000
const FILE_VERSION = 1

/** AWS access keys use the base32 alphabet after their four-letter prefix. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function randomText(length: number, alphabet: string): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')
}

export class CredentialStore {
  private readonly issued = new Map<string, IssuedCredentials>()
  private readonly writer: CoalescedWriter

  private constructor(
    file: string,
    readonly admin: AdminCredentials,
    private readonly ttlSeconds: number,
  ) {
    this.writer = coalescedWriter(file, () => this.snapshot())
  }

  /**
   * Opens the store in `dir` (created if missing) and the admin credentials in `adminFile`, made
   * the first time. A damaged store file is replaced: it only holds what can be issued again.
   */
  static async open(dir: string, adminFile: string, options: { ttlSeconds?: number } = {}): Promise<CredentialStore> {
    await mkdir(dir, { recursive: true })
    const admin = await loadOrCreateAdmin(adminFile)
    const file = join(dir, 'credentials.json')
    const store = new CredentialStore(file, admin, options.ttlSeconds ?? DEFAULT_TTL_SECONDS)
    const saved = await readJsonIfExists<{ version?: number, credentials?: unknown[] }>(file).catch(() => undefined)
    const now = Date.now()
    for (const credentials of saved?.version === FILE_VERSION && Array.isArray(saved.credentials) ? saved.credentials : []) {
      if (isIssued(credentials) && credentials.expiresAt + KEEP_EXPIRED_MS > now) store.issued.set(credentials.accessKeyId, credentials)
    }
    return store
  }

  /** Issues new temporary credentials; resolves once they are on disk. */
  async issue(input: IssueInput): Promise<IssuedCredentials> {
    const now = Date.now()
    const credentials: IssuedCredentials = {
      accessKeyId: `ASIA${randomText(16, KEY_ALPHABET)}`,
      secretAccessKey: randomText(40, SECRET_ALPHABET),
      sessionToken: randomBytes(96).toString('base64'),
      issuedAt: now,
      expiresAt: input.expiresAt ?? now + (input.ttlSeconds ?? this.ttlSeconds) * 1000,
      roleArn: input.roleArn,
      sessionName: input.sessionName,
      ...(input.identity ? { identity: input.identity } : {}),
    }
    this.issued.set(credentials.accessKeyId, credentials)
    await this.writer.save()
    return credentials
  }

  /** Issued credentials by access key, expired ones included (for a while); undefined if never issued. */
  get(accessKeyId: string): IssuedCredentials | undefined {
    return this.issued.get(accessKeyId)
  }

  /** Resolves once everything issued so far is on disk. */
  close(): Promise<void> {
    return this.writer.flush()
  }

  /** What goes on disk: everything but what expired long ago (purged here, from memory too). */
  private snapshot(): string {
    const now = Date.now()
    for (const [key, credentials] of this.issued) {
      if (credentials.expiresAt + KEEP_EXPIRED_MS <= now) this.issued.delete(key)
    }
    return JSON.stringify({ version: FILE_VERSION, credentials: [...this.issued.values()] })
  }
}

function isIssued(value: unknown): value is IssuedCredentials {
  const c = value as IssuedCredentials | null
  return typeof c?.accessKeyId === 'string' && typeof c.secretAccessKey === 'string' && typeof c.sessionToken === 'string'
    && typeof c.expiresAt === 'number' && typeof c.roleArn === 'string' && typeof c.sessionName === 'string'
}

async function loadOrCreateAdmin(file: string): Promise<AdminCredentials> {
  const existing = await readFile(file, 'utf8').then(parseProfile, () => undefined)
  if (existing) return { ...existing, file, profile: ADMIN_PROFILE }
  const admin = { accessKeyId: `AKIA${randomText(16, KEY_ALPHABET)}`, secretAccessKey: randomText(40, SECRET_ALPHABET) }
  await mkdir(dirname(file), { recursive: true })
  await writeAtomically(file, [
    '# The offline sandbox\'s admin credentials: they sign requests to the local services only (the',
    '# user pool\'s Admin* operations, the data API with AWS_IAM) and are never written to',
    '# amplify_outputs.json. Made on first start; `--reset` makes new ones. Use them with',
    `#   AWS_SHARED_CREDENTIALS_FILE=${file} AWS_PROFILE=${ADMIN_PROFILE}`,
    `[${ADMIN_PROFILE}]`,
    `aws_access_key_id = ${admin.accessKeyId}`,
    `aws_secret_access_key = ${admin.secretAccessKey}`,
    '',
  ].join('\n'))
  return { ...admin, file, profile: ADMIN_PROFILE }
}

/** The admin profile's keys from a shared credentials file, or undefined if it lacks them. */
function parseProfile(text: string): { accessKeyId: string, secretAccessKey: string } | undefined {
  let section = ''
  const values: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[\s*(.+?)\s*\]$/.exec(line)
    if (header) {
      section = header[1]!
      continue
    }
    const eq = line.indexOf('=')
    if (section === ADMIN_PROFILE && eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  const accessKeyId = values.aws_access_key_id
  const secretAccessKey = values.aws_secret_access_key
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined
}
