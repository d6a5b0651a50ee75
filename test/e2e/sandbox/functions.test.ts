/**
 * Functions offline: a backend's `defineFunction`s run from the bundles synth made, as the user
 * pool's triggers, driven by the real aws-amplify client, with the real AWS SDK inside the handlers
 * (AdminAddUserToGroup from a postConfirmation trigger, as the Gen 2 docs show it; secrets and the
 * user pool's id read from SSM by the bundle's own start-up code).
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { openSecrets } from '../../../sandbox/ssm/secrets'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { projectRoot, scratchProject } from '../../support/project'
import { adminCredentials, s3Client } from '../../support/sandbox-s3'
import { manualClock } from '../../support/manual-clock'
import { latestCode, latestMessage, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Functions-pass-1'

describe('functions as user pool triggers', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let work: string
  let sandbox: Sandbox
  let stop: () => Promise<void>
  // Mid-minute: the schedule's next minute is never less than half a minute away.
  const clock = manualClock(new Date('2026-03-02T09:00:30Z'))
  const lines: string[] = []
  const clients: AmplifyTestClient[] = []

  const newClient = async () => {
    const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never })
    clients.push(client)
    return client
  }
  const failure = (call: Promise<unknown>) => call.then(() => undefined, (error: Error) => ({ name: error.name, message: error.message }))
  const signedUp = async (prefix: string) => {
    const client = await newClient()
    const email = `${prefix}-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    return { client, email }
  }

  const latestMessageOrNone = async (email: string) => ((await (await fetch(`${sandbox.messagesUrl}?to=${encodeURIComponent(email)}`)).json()) as unknown[]).at(-1)

  beforeAll(async () => {
    // A backend with every trigger the sandbox runs, each written as the Gen 2 docs write them.
    project = await scratchProject('functions')
    // Inside the project (its .amplify/ is ignored), so the sandbox:invoke command run from here resolves tsx.
    await mkdir(join(projectRoot, '.amplify', 'test'), { recursive: true })
    work = await mkdtemp(join(projectRoot, '.amplify', 'test', 'functions-'))
    await openSecrets(join(work, 'data')).set('MAIL_SIGNATURE', '— the sandbox team')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, dataDir: join(work, 'data'), outputsPath: join(work, 'amplify_outputs.json'), clock, log: line => lines.push(line) }))
  })
  afterAll(async () => {
    await Promise.all(clients.map(client => client.close()))
    await stop?.()
    await project?.remove()
    await rm(work, { recursive: true, force: true })
  })

  it('lists the triggers as served: no "not served" line for them or their functions', () => {
    expect(lines.filter(line => /trigger|pre-sign-up|post-confirmation|pre-token|pre-authentication|custom-message/.test(line) && line.startsWith('Not served'))).toEqual([])
    // The app's data model (copied with amplify/) brings its own function.
    expect(sandbox.functions.definitions().map(fn => fn.name).sort()).toEqual(['custom-message', 'echo', 'on-delete', 'on-upload', 'post-confirmation', 'pre-authentication', 'pre-sign-up', 'pre-token-generation', 'tick', 'todos-reader'])
    expect(lines.filter(line => line.startsWith('Not served') || line.startsWith('Schedule'))).toEqual([])
  })

  it('preSignUp refuses a sign-up with Cognito\'s error and message, and nothing is created', async () => {
    const client = await newClient()
    const email = `someone-${Date.now()}@elsewhere.test`
    expect(await failure(client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })))
      .toEqual({ name: 'UserLambdaValidationException', message: 'PreSignUp failed with error Invalid email domain.' })
    // Not even half-made: the same address can sign up once the rule allows it (here: never), and no code went out.
    expect(await latestMessageOrNone(email)).toBeUndefined()
    expect(lines.some(line => line.startsWith('[pre-sign-up] '))).toBe(true)
  })

  it('preSignUp can confirm and verify a user at once', async () => {
    const client = await newClient()
    const email = `auto-${Date.now()}@example.com`
    const result = await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    expect(result).toMatchObject({ isSignUpComplete: true })
    await client.signIn({ username: email, password: PASSWORD })
    // (preTokenGeneration suppresses the e-mail claim for everyone: see below.)
    expect(decodeJwt((await client.fetchAuthSession()).tokens!.idToken!)).toMatchObject({ email_verified: true })
    expect(await latestMessageOrNone(email)).toBeUndefined()
  })

  it('customMessage words the sign-up e-mail, with the secret read from SSM', async () => {
    const email = `worded-${Date.now()}@example.com`
    const client = await newClient()
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    const message = await latestMessage(sandbox.messagesUrl, email)
    expect(message).toMatchObject({ subject: 'Welcome aboard' })
    expect(message.body).toBe(`Your code is ${message.code}. — the sandbox team`)
  })

  it('postConfirmation puts each new user in a group with the AWS SDK, and preTokenGeneration changes the claims', async () => {
    const { client, email } = await signedUp('joiner')
    await client.signIn({ username: email, password: PASSWORD })
    const { tokens } = await client.fetchAuthSession()
    const id = decodeJwt(tokens!.idToken!)
    expect(id['cognito:groups']).toEqual(['EVERYONE'])
    expect(decodeJwt(tokens!.accessToken)['cognito:groups']).toEqual(['EVERYONE'])
    expect(id['custom:plan']).toBe('gold')
    expect(id.email).toBeUndefined()
    // Claims Cognito keeps to itself are not the trigger's to change.
    expect(id.sub).toBe((await client.fetchAuthSession()).userSub)
  })

  it('a postConfirmation that throws leaves the user unconfirmed, the code still good', async () => {
    const client = await newClient()
    const email = `refused-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    const code = await latestCode(sandbox.messagesUrl, email)
    expect(await failure(client.confirmSignUp({ username: email, confirmationCode: code })))
      .toEqual({ name: 'UserLambdaValidationException', message: 'PostConfirmation failed with error No room for you.' })
    // aws-amplify turns Cognito's UserNotConfirmedException into the sign-up's next step.
    expect(await client.signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_UP' } })
  })

  it('preAuthentication refuses a sign-in; a crash and an endless loop fail it, and the sandbox serves on', async () => {
    for (const [prefix, expected] of [
      ['locked', { name: 'UserLambdaValidationException', message: 'PreAuthentication failed with error This account is locked.' }],
      ['crash', { name: 'UnexpectedLambdaException', message: expect.stringMatching(/^PreAuthentication invocation failed due to error Runtime\./) }],
      ['loop', { name: 'UnexpectedLambdaException', message: 'PreAuthentication invocation failed due to error Sandbox.Timedout.' }],
    ] as const) {
      const { client, email } = await signedUp(prefix)
      expect(await failure(client.signIn({ username: email, password: PASSWORD })), prefix).toEqual(expected)
    }
    // Everyone else still signs in, through the same functions.
    const { client, email } = await signedUp('after')
    await client.signIn({ username: email, password: PASSWORD })
    expect((await client.fetchAuthSession()).tokens?.idToken).toBeDefined()
  }, 60_000)

  it('a function whose secret is not set fails with the secret\'s name', async () => {
    await openSecrets(join(work, 'data')).remove('MAIL_SIGNATURE')
    const client = await newClient()
    const email = `unsigned-${Date.now()}@example.com`
    expect(await failure(client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })))
      .toMatchObject({ name: 'UserLambdaValidationException', message: expect.stringContaining('needs secret MAIL_SIGNATURE') })
    expect(lines.join('\n')).not.toContain('the sandbox team')
  })

  it('runs a function through the Lambda Invoke API, signed, and refuses an unsigned call', async () => {
    const client = new LambdaClient({ endpoint: sandbox.userPoolEndpoint, region: 'us-east-1', credentials: await adminCredentials(join(work, 'data')), maxAttempts: 1 })
    const answer = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{"hello":"world"}') }))
    expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toEqual({ echoed: { hello: 'world' }, region: 'us-east-1' })
    const failed = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{"fail":"bad input"}') }))
    expect(failed.FunctionError).toBe('Unhandled')
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' })
    const unsigned = await fetch(`${sandbox.userPoolEndpoint}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: '{}' })
    expect(unsigned.status).toBe(403)
    client.destroy()
  })

  it('npm run sandbox:invoke runs one now and prints its result', async () => {
    // The command reads amplify_outputs.json and .amplify/sandbox/ from where it runs, as in a project.
    await mkdir(join(work, '.amplify'), { recursive: true })
    await symlink(join(work, 'data'), join(work, '.amplify', 'sandbox'))
    const run = (args: string[]) => new Promise<{ code: number | null, out: string, err: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'invoke.ts'), ...args], { cwd: work, env: { ...process.env, AMPLIFY_OUTPUTS: '' } })
      let out = ''
      let err = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk))
      child.stderr.on('data', (chunk: Buffer) => (err += chunk))
      child.on('close', code => done({ code, out, err }))
    })
    const ok = await run(['echo', '{"n":1}'])
    expect(ok, ok.err).toMatchObject({ code: 0 })
    expect(JSON.parse(ok.out)).toEqual({ echoed: { n: 1 }, region: 'us-east-1' })
    const failed = await run(['echo', '{"fail":"nope"}'])
    expect(failed.code).toBe(1)
    expect(failed.err).toContain('echo failed: {"errorType":"TypeError","errorMessage":"nope"')
    expect(await run(['echo', '{not json'])).toMatchObject({ code: 1, err: expect.stringContaining('The event is not JSON') })
  }, 60_000)

  it('runs the storage triggers on an upload and a deletion, with S3\'s event', async () => {
    const ca = await readFile(sandbox.certificatePath, 'utf8')
    const s3 = s3Client(sandbox.storageEndpoint, ca, await adminCredentials(join(work, 'data')))
    const bucket = (sandbox.outputs.storage as { bucket_name: string }).bucket_name
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'public/a note.txt', Body: 'hello' }))
    await expect.poll(() => lines.find(line => line.includes('uploaded')), { timeout: 15_000 }).toMatch(new RegExp(`uploaded ObjectCreated:Put ${bucket.replace('.', '\\.')} public/a note\\.txt 5$`))
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'public/a note.txt' }))
    await expect.poll(() => lines.find(line => line.includes('deleted')), { timeout: 15_000 }).toMatch(/deleted ObjectRemoved:Delete public\/a note\.txt$/)
    s3.destroy()
  })

  it('picks up an edited handler on reload: the next call runs the new code in a new process', async () => {
    const echoed = async () => {
      const result = await sandbox.functions.invoke('echo', { n: 2 })
      if (!result.ok) throw new Error(result.error.errorMessage)
      return result.payload
    }
    expect(await echoed()).toEqual({ echoed: { n: 2 }, region: 'us-east-1' })
    await project.edit('amplify/functions/echo/handler.ts', text => text.replace('return { echoed: event,', 'return { edited: true, echoed: event,'))
    await sandbox.reload()
    expect(await echoed()).toEqual({ edited: true, echoed: { n: 2 }, region: 'us-east-1' })
  }, 60_000)

  it('fires a scheduled function on its schedule, with what EventBridge Scheduler sends', async () => {
    expect(lines.filter(line => line.startsWith('[tick] '))).toEqual([])
    // every 1m: at the next minute's start on the sandbox's clock, which moves only when told.
    clock.advance(60_000)
    await expect.poll(() => lines.filter(line => line.startsWith('[tick] tick')), { timeout: 15_000 }).toEqual(['[tick] tick {}'])
  })

  it('stops as npm run dev stops it: a Ctrl-C that reaches a warm function before the sandbox closes is no crash', async () => {
    expect(await sandbox.functions.invoke('echo', { ping: 1 })).toMatchObject({ ok: true })
    // The function processes are this process's children, in its process group: what a terminal's Ctrl-C reaches.
    const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)])
    const functionPids = stdout.split('\n').filter(line => line.includes('runner.mjs')).map(line => Number.parseInt(line, 10))
    expect(functionPids.length).toBeGreaterThan(0)
    const from = lines.length
    for (const pid of functionPids) process.kill(pid, 'SIGINT')
    // npm run dev closes the sandbox only once nuxi has stopped, a while after the signal: nothing to wait for but time.
    await new Promise(resolve => setTimeout(resolve, 1000))
    await sandbox.close()
    expect(lines.slice(from).filter(line => /Error|Runtime exited/.test(line))).toEqual([])
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0)
        return false
      }
      catch {
        return true
      }
    }
    expect(functionPids.filter(pid => !gone(pid))).toEqual([])
  })
})
