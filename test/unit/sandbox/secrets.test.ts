import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { secretNameOf } from '../../../sandbox/ssm'
import { openSecrets, SecretNameError } from '../../../sandbox/ssm/secrets'

describe('offline secrets', () => {
  let dir: string
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'secrets-')), 'not-made-yet')
  })
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }))

  it('keeps values in a file only its owner reads, and sees a change made by another process', async () => {
    const secrets = openSecrets(dir)
    expect(secrets.get('API_KEY')).toBeUndefined()
    await secrets.set('API_KEY', 's3cr3t')
    expect(secrets.get('API_KEY')).toBe('s3cr3t')
    expect((await stat(join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600)
    // What npm run sandbox:secret does while a sandbox runs: the sandbox reads the file afresh.
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ API_KEY: 'rotated', OTHER: 'x' }))
    expect(secrets.get('API_KEY')).toBe('rotated')
    expect(secrets.names()).toEqual(['API_KEY', 'OTHER'])
    expect(await secrets.remove('OTHER')).toBe(true)
    expect(await secrets.remove('OTHER')).toBe(false)
    expect(JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8'))).toEqual({ API_KEY: 'rotated' })
    // Inherited names are not secrets.
    expect(secrets.get('toString')).toBeUndefined()
  })

  it('refuses a name SSM would not take, and a damaged file with what to do', async () => {
    const secrets = openSecrets(dir)
    await expect(secrets.set('no spaces', 'x')).rejects.toThrow(SecretNameError)
    await secrets.set('OK', 'x')
    await writeFile(join(dir, 'secrets.json'), '{ broken')
    expect(() => secrets.get('OK')).toThrow(/not valid JSON .* fix or delete it/)
  })

  it('tells secret paths from the resource references Gen 2 also keeps in SSM', () => {
    expect(secretNameOf('/amplify/local/sandbox-sandbox-c739d43495/MY_SECRET')).toBe('MY_SECRET')
    expect(secretNameOf('/amplify/shared/local/MY_SECRET')).toBe('MY_SECRET')
    expect(secretNameOf('/amplify/resource_reference/local/sandbox-sandbox-c739d43495/AMPLIFY_AUTH_USERPOOL_ID')).toBeUndefined()
    expect(secretNameOf('/elsewhere/MY_SECRET')).toBeUndefined()
  })
})
