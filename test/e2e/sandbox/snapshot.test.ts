/**
 * Snapshots: the whole local state, exported from a running sandbox's console or from a stopped
 * one's data folder, and a new sandbox started from it (`--from`) with nothing lost: users still
 * sign in with their passwords, their items are there, their files hold the same bytes.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { projectRoot } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Snapshot-pass-1'
const PICTURE = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)

/** The console's URL and secret, from the ready block. */
function consoleOf(sandbox: Sandbox): { url: URL, secret: string } {
  const url = new URL(sandbox.summary().find(line => line.trim().startsWith('Console'))!.trim().split(/\s+/)[1]!)
  return { url, secret: url.searchParams.get('secret')! }
}

/** `node --import tsx sandbox/commands/export.ts <folder>` in `cwd`: what `npm run sandbox:export --` runs. */
function exportCommand(cwd: string, folder: string): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'export.ts'), folder], { cwd, env: { ...process.env, FORCE_COLOR: '0' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.once('error', reject)
    child.once('close', code => resolve({ code, output: output.trim() }))
  })
}

describe('sandbox snapshots', () => {
  let work: string
  const clients: AmplifyTestClient[] = []
  const stops: Array<() => Promise<void>> = []
  const email = `snapshot-${Date.now()}@example.com`
  let todoId: string
  let identityId: string
  /** The first test's snapshot, which the second starts a sandbox from. */
  let exportedFolder: string

  const clientOf = async (sandbox: Sandbox) => {
    const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never, certificate: await readFile(sandbox.certificatePath, 'utf8') })
    clients.push(client)
    return client
  }
  /** Ann's world in `sandbox`, as the real client sees it after signing in with her password. */
  const seen = async (sandbox: Sandbox) => {
    const client = await clientOf(sandbox)
    const signedIn = await client.signIn({ username: email, password: PASSWORD })
    const todos = await client.list('Todo')
    const session = await client.fetchAuthSession()
    const file = await client.storage.downloadData({ path: `attachments/${session.identityId}/${todoId}/picture.bin`, options: { customEndpoint: sandbox.storageEndpoint } })
    return { signedIn, todos: todos.data?.map(todo => todo.content), identityId: session.identityId, bytes: Buffer.from(file.body, 'base64') }
  }

  beforeAll(async () => {
    // Inside the project: the export command resolves tsx from where it runs, as `npm run` would.
    await mkdir(join(projectRoot, '.amplify', 'test'), { recursive: true })
    work = await mkdtemp(join(projectRoot, '.amplify', 'test', 'snapshot-'))
  })
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {})
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await rm(work, { recursive: true, force: true })
  })

  it('exports a running sandbox from its console, and a new sandbox started from it has the users, items and files', async () => {
    const first = await startTestSandbox()
    stops.push(first.stop)
    const client = await clientOf(first.sandbox)
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(first.sandbox.messagesUrl, email) })
    await client.signIn({ username: email, password: PASSWORD })
    const created = await client.create('Todo', { content: 'Carry this over', done: false })
    todoId = created.data!.id as string
    identityId = (await client.fetchAuthSession()).identityId!
    const upload = await client.storage.uploadData({ path: `attachments/${identityId}/${todoId}/picture.bin`, data: { bytes: PICTURE }, options: { customEndpoint: first.sandbox.storageEndpoint } })
    await upload.result()

    // The console's Export, as a script calls it (the secret as a bearer token).
    const { url, secret } = consoleOf(first.sandbox)
    const name = `test-${process.pid}-${Date.now()}`
    const exported = await fetch(new URL('/snapshot', url), { method: 'POST', headers: { 'authorization': `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name }), redirect: 'manual' })
    expect(exported.status).toBe(303)
    const folder = join(projectRoot, '.amplify', 'snapshots', name)
    exportedFolder = folder
    stops.push(() => rm(folder, { recursive: true, force: true }))
    expect(new URL(exported.headers.get('location')!, url).searchParams.get('done')).toContain(`npm run sandbox -- --from .amplify/snapshots/${name}`)
    // The same name again is refused: a snapshot is never overwritten.
    const twice = await fetch(new URL('/snapshot', url), { method: 'POST', headers: { 'authorization': `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name }) })
    expect(twice.status).toBe(409)
    expect(await twice.text()).toContain('is not empty')
    // A name that climbs out of .amplify/snapshots/ is refused.
    const climbing = await fetch(new URL('/snapshot', url), { method: 'POST', headers: { 'authorization': `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: '../../escaped' }) })
    expect(climbing.status).toBe(400)
    // What a bug report must not carry.
    const manifest = JSON.parse(await readFile(join(folder, 'snapshot.json'), 'utf8')) as { tables: Record<string, number> }
    expect(Object.entries(manifest.tables).find(([table]) => table.startsWith('Todo-'))?.[1]).toBe(1)
    await expect(readFile(join(folder, 'state', 'admin-credentials'))).rejects.toMatchObject({ code: 'ENOENT' })

    const before = await seen(first.sandbox)
    await first.stop()

    const second = await startTestSandbox({ from: folder })
    stops.push(second.stop)
    const after = await seen(second.sandbox)
    expect(after.signedIn).toMatchObject({ isSignedIn: true })
    expect(after.todos).toEqual(['Carry this over'])
    // The same identity (the pool's ids came along), and the same bytes under it.
    expect(after.identityId).toBe(before.identityId)
    expect(after.bytes.equals(Buffer.from(PICTURE))).toBe(true)
  })

  it('exports a stopped sandbox\'s data folder with npm run sandbox:export, and refuses while one runs on it', async () => {
    // A project whose sandbox state is the first test's snapshot, in its own .amplify/sandbox.
    const project = join(work, 'project')
    const running = await startTestSandbox({ from: exportedFolder, dataDir: join(project, '.amplify', 'sandbox') })
    const refused = await exportCommand(project, 'exported')
    expect(refused).toMatchObject({ code: 1, output: expect.stringContaining('The offline sandbox is running') })
    await running.stop()

    const done = await exportCommand(project, 'exported')
    expect(done.code, done.output).toBe(0)
    expect(done.output).toContain('Start a sandbox from it with: npm run sandbox -- --from exported')
    const folder = join(project, 'exported')
    const third = await startTestSandbox({ from: folder })
    stops.push(third.stop)
    const after = await seen(third.sandbox)
    expect(after).toMatchObject({ signedIn: { isSignedIn: true }, todos: ['Carry this over'], identityId })
  })

  it('refuses to start from a folder that is no snapshot, and changes nothing', async () => {
    await expect(startTestSandbox({ from: work })).rejects.toThrow(/is not a sandbox snapshot: it has no snapshot\.json/)
  })
})
