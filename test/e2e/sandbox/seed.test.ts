/**
 * The offline `@aws-amplify/seed` (sandbox/seed/), as a seed script written for `npx ampx sandbox
 * seed` calls it: users made with a password and signed in, MFA set up as the package sets it up
 * (TOTP with the script's own challenge, a text-message code read from the sandbox's mailbox), the
 * package's errors, and secrets. The script runs as `npm run sandbox:seed` runs it (runSeed), on a
 * backend that requires MFA.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { runSeed } from '../../../sandbox/commands/seed'
import { openSecrets } from '../../../sandbox/ssm/secrets'
import { projectRoot, scratchProject, type ScratchProject } from '../../support/project'
import { startTestSandbox } from '../../support/started-sandbox'

/** A seed script as a developer writes one, reporting what each call did to `RESULT_FILE`. */
const SCRIPT = `
import { readFile, writeFile } from 'node:fs/promises'
import { addToUserGroup, createAndSignUpUser, getSecret, setSecret, signInUser } from '@aws-amplify/seed'
import { Amplify } from 'aws-amplify'
import { fetchAuthSession, signOut } from 'aws-amplify/auth'
const { totp } = await import(process.env.TOTP_MODULE)

Amplify.configure(JSON.parse(await readFile(process.env.AMPLIFY_OUTPUTS, 'utf8')))
const result = {}
const outcome = promise => promise.then(value => ({ ok: value ?? true }), error => ({ error: error.name, message: error.message }))
const password = 'Seeded-pass-1'
let secret

result.totpUser = await outcome(createAndSignUpUser({
  username: process.env.TOTP_USER, password, signInAfterCreation: true, signInFlow: 'MFA',
  totpSignUpChallenge: async details => {
    secret = details.sharedSecret
    return { challengeResponse: totp(secret) }
  },
}))
result.totpSession = Boolean((await fetchAuthSession()).tokens?.idToken)
await signOut()
result.totpSignIn = await outcome(signInUser({ username: process.env.TOTP_USER, password, signInFlow: 'MFA', signInChallenge: async () => ({ challengeResponse: totp(secret, Date.now() + 30_000) }) }))
result.smsUser = await outcome(createAndSignUpUser({ username: process.env.SMS_USER, password, signInAfterCreation: false, signInFlow: 'MFA' }))
result.smsSignIn = await outcome(signInUser({ username: process.env.SMS_USER, password, signInFlow: 'MFA' }))
result.again = await outcome(createAndSignUpUser({ username: process.env.TOTP_USER, password, signInAfterCreation: false, signInFlow: 'Password' }))
result.noGroup = await outcome(addToUserGroup({ username: process.env.TOTP_USER }, 'Admin'))
result.setSecret = await outcome(setSecret('SEEDED_SECRET', 'from the seed'))
result.getSecret = await outcome(getSecret('SEEDED_SECRET'))
await writeFile(process.env.RESULT_FILE, JSON.stringify(result))
`

describe('the offline @aws-amplify/seed', () => {
  let project: ScratchProject
  let sandbox: Sandbox
  let stop: () => Promise<void>

  beforeAll(async () => {
    project = await scratchProject('mfa')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir }))
  })
  afterAll(async () => {
    await stop?.()
    await project?.remove()
  })

  it('makes users, sets up and answers MFA as the package does, and says what it refuses in the package\'s words', async () => {
    const script = join(project.dir, 'seed-test.ts')
    const resultFile = join(project.dir, 'seed-result.json')
    await writeFile(script, SCRIPT)
    const totpUser = `tess-${Date.now()}@example.com`
    const smsUser = `+1555${String(Date.now()).slice(-7)}`
    Object.assign(process.env, { TOTP_USER: totpUser, SMS_USER: smsUser, RESULT_FILE: resultFile, TOTP_MODULE: join(projectRoot, 'test', 'support', 'totp.ts') })
    const code = await runSeed(script, { outputsPath: sandbox.outputsPath, credentialsPath: sandbox.adminCredentialsPath, dataDir: sandbox.dataDir }, project.dir)
    expect(code).toBe(0)
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as Record<string, { ok?: unknown, error?: string } | boolean>

    expect(result.totpUser).toEqual({ ok: { signInFlow: 'MFA', username: totpUser } })
    expect(result.totpSession).toBe(true)
    expect(result.totpSignIn).toEqual({ ok: true })
    // The phone user's codes came by text message: the offline seed read them from the mailbox.
    expect(result.smsUser).toEqual({ ok: { signInFlow: 'MFA', username: smsUser } })
    expect(result.smsSignIn).toEqual({ ok: true })
    expect(sandbox.userPool.messages(smsUser).filter(message => message.kind === 'mfa-sms').length).toBeGreaterThanOrEqual(2)
    expect(sandbox.userPool.users().find(user => user.attributes.email === totpUser)).toMatchObject({ status: 'CONFIRMED' })

    expect(result.again).toMatchObject({ error: 'UsernameExistsError' })
    // This backend defines no groups.
    expect(result.noGroup).toMatchObject({ error: 'NoGroupsError' })
    expect(result.setSecret).toEqual({ ok: 'SEEDED_SECRET' })
    expect(result.getSecret).toEqual({ ok: 'from the seed' })
    expect(openSecrets(sandbox.dataDir).get('SEEDED_SECRET')).toBe('from the seed')
  })
})
