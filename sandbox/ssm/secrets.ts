/**
 * Offline values of the backend's `secret('NAME')`s: `<dataDir>/secrets.json`, readable by the owner
 * only, written by `npm run sandbox:secret` and read afresh by the running sandbox when it changes
 * (so a secret set while the sandbox runs is seen by the next cold start of a function). Values are
 * never logged.
 */
import { readFileSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeAtomically } from '../core/fs'

const SECRETS_FILE = 'secrets.json'

/** Amplify's rule for secret names: what `secret()` and SSM parameter names accept. */
const NAME = /^[\w.-]{1,128}$/

export interface SecretStore {
  get(name: string): string | undefined
  names(): string[]
  set(name: string, value: string): Promise<void>
  remove(name: string): Promise<boolean>
}

export class SecretNameError extends Error {
  override name = 'SecretNameError'
}

export function openSecrets(dataDir: string): SecretStore {
  const path = join(dataDir, SECRETS_FILE)
  let cached: { mtimeMs: number, size: number, values: Record<string, string> } | undefined

  const read = (): Record<string, string> => {
    let stats
    try {
      stats = statSync(path)
    }
    catch {
      return {}
    }
    if (cached && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) return cached.values
    let values: Record<string, string>
    try {
      values = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>
    }
    catch (error) {
      throw new Error(`${path} is not valid JSON (${(error as Error).message}): fix or delete it, then set the secrets again`, { cause: error })
    }
    cached = { mtimeMs: stats.mtimeMs, size: stats.size, values }
    return values
  }

  return {
    get: name => Object.hasOwn(read(), name) ? read()[name] : undefined,
    names: () => Object.keys(read()).sort(),
    async set(name, value) {
      if (!NAME.test(name)) throw new SecretNameError(`"${name.slice(0, 64)}" is not a secret name: letters, digits, _ . - (up to 128)`)
      // A secret may be set before the sandbox ever ran.
      await mkdir(dataDir, { recursive: true })
      await writeAtomically(path, JSON.stringify({ ...read(), [name]: value }, null, 2))
    },
    async remove(name) {
      const values = read()
      if (!Object.hasOwn(values, name)) return false
      await writeAtomically(path, JSON.stringify(Object.fromEntries(Object.entries(values).filter(([key]) => key !== name)), null, 2))
      return true
    },
  }
}
