/**
 * The sandbox's one source of ids: what a deploy would have given the backend's resources, made once
 * per sandbox and kept in `<dataDir>/sandbox.json`. The assembly is evaluated with them, the outputs
 * advertise them and the services answer to them, so they cannot disagree.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { readJsonIfExists, writeAtomically } from './fs'

export interface SandboxIds {
  region: string
  /** 12 digits; `AWS::AccountId` in the assembly. */
  accountId: string
  /** `<region>_<9 alphanumerics>`, as Cognito's (so `aws-jwt-verify` accepts it). */
  userPoolId: string
  /** The user pool's web client: 26 lowercase alphanumerics, as Cognito's. */
  clientId: string
  /** The AppSync API: 26 lowercase alphanumerics, as AppSync's. DynamoDB table names derive from it. */
  apiId: string
  /** The identity pool: `<region>:<uuid>`, as Cognito's. */
  identityPoolId: string
  /** 12 lowercase alphanumerics: the part after the dot of every local bucket's name (`localBucketName`). */
  bucketSuffix: string
}

/** What `sandbox.json` holds: the ids and the format they were written in. */
type StoredIds = Partial<SandboxIds> & { version?: number }

const VERSION = 2
/**
 * The API id every sandbox used before `version` 2: its tables are named after it
 * (`Todo-local000…-NONE`), so a sandbox from then keeps it and with it its items.
 */
export const LEGACY_API_ID = 'local000000000000000000000'
/** No real account has it; local AWS stand-ins commonly use it. */
const LOCAL_ACCOUNT_ID = '000000000000'

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'

function randomId(length: number, alphabet: string): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')
}

/**
 * How each id is made the first time. A new service adds its line here: a sandbox made before
 * gets the new id on its next start, and keeps every id it had.
 */
const MAKE: { [K in keyof SandboxIds]: (made: Partial<SandboxIds>) => string } = {
  region: () => 'us-east-1',
  accountId: () => LOCAL_ACCOUNT_ID,
  userPoolId: made => `${made.region}_${randomId(9, `${LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ`)}`,
  clientId: () => randomId(26, LOWER),
  apiId: () => randomId(26, LOWER),
  identityPoolId: made => `${made.region}:${randomUUID()}`,
  // A letter first: the name's last label then never reads as part of an IP address.
  bucketSuffix: () => randomId(1, 'abcdefghijklmnopqrstuvwxyz') + randomId(11, LOWER),
}

/** S3's longest bucket name. */
const MAX_BUCKET_NAME = 63

/**
 * The name a bucket of the definition has in this sandbox: `<its name>.<bucketSuffix>`, e.g.
 * `files.k3x9m2p7q4zt`, from its `amplify:friendly-name` (or logical id). A deploy names buckets
 * `amplify-<app>-…-<hash>`; here the name carries a dot on purpose: aws-amplify's Storage client puts
 * the bucket in the host name (`<bucket>.<endpoint>`, which no local resolver answers) unless the
 * name has a dot, and then uses the path (`https://127.0.0.1:<port>/<bucket>/<key>`). It stays a
 * valid DNS name, as S3 and that client require: lowercase letters, digits, `-`, at most 63.
 */
export function localBucketName(ids: Pick<SandboxIds, 'bucketSuffix'>, name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_BUCKET_NAME - ids.bucketSuffix.length - 1).replace(/-+$/, '')
  return `${label || 'bucket'}.${ids.bucketSuffix}`
}

/**
 * The id a REST API (`AWS::ApiGateway::RestApi`) of the definition has in this sandbox: 10
 * lowercase alphanumerics, as API Gateway's, derived from the sandbox's own API id and where the
 * API is defined (`<stack name>/<logical id>`), so it stays the same from one start to the next
 * and differs between sandboxes and between the APIs of one backend.
 */
export function localRestApiId(ids: Pick<SandboxIds, 'apiId'>, definedAt: string): string {
  const digest = createHash('sha256').update(`${ids.apiId}/${definedAt}`).digest()
  return Array.from(digest.subarray(0, 10), byte => LOWER[byte % LOWER.length]).join('')
}

/** Brings a file written by an older sandbox up to the current format. */
function migrate(stored: StoredIds): StoredIds {
  // Version 1 (no version field) wrote a random apiId that nothing used: the tables, which hold the
  // developer's items, were named after LEGACY_API_ID. Keep those tables.
  if (stored.version === undefined) return { ...stored, apiId: LEGACY_API_ID, accountId: LOCAL_ACCOUNT_ID, version: VERSION }
  return stored
}

export async function loadOrCreateIds(dataDir: string): Promise<SandboxIds> {
  const file = join(dataDir, 'sandbox.json')
  let stored: StoredIds | undefined
  try {
    stored = await readJsonIfExists<StoredIds>(file)
  }
  catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}): fix it, or wipe the sandbox with --reset`, { cause: error })
  }
  const kept = stored ? migrate(stored) : { version: VERSION }
  // Unknown fields (from a newer sandbox) stay in the file.
  const ids: Record<string, unknown> = { ...kept }
  for (const [key, make] of Object.entries(MAKE) as Array<[keyof SandboxIds, (made: Partial<SandboxIds>) => string]>) {
    if (ids[key] === undefined) ids[key] = make(ids)
    else if (typeof ids[key] !== 'string') throw new Error(`${file}: ${key} is not a string: fix it, or wipe the sandbox with --reset`)
  }
  if (JSON.stringify(ids) !== JSON.stringify(stored)) await writeAtomically(file, `${JSON.stringify(ids, null, 2)}\n`, 0o644)
  return Object.fromEntries(Object.keys(MAKE).map(key => [key, ids[key]])) as unknown as SandboxIds
}
