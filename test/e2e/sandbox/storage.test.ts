/**
 * The local S3, driven by the real aws-amplify/storage client (one worker thread per user, each call
 * with `customEndpoint`, as `$Amplify.Storage` passes it) on a backend whose `defineStorage` has the
 * docs' four kinds of rule, two buckets and a BucketDeployment: every operation the client uses,
 * each rule allowed and refused between a guest and users, multipart uploads cancelled, paused and
 * resumed (through a recording proxy that shows what the client sent), presigned URLs, signatures
 * and requests S3 refuses, CORS, reloads, and persistence across a SIGKILL of `npm run sandbox`.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Sha256 } from '@aws-crypto/sha256-js'
import { presignUrl, UNSIGNED_PAYLOAD } from '@aws-amplify/core/internals/aws-client-utils'
import type { S3Client } from '@aws-sdk/client-s3'
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient } from '../../support/amplify-users'
import { scratchProject } from '../../support/project'
import { SandboxProcess } from '../../support/sandbox-command'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'
import { adminCredentials, s3Client, type Credentials } from '../../support/sandbox-s3'
import { startStorageProxy, type StorageProxy } from '../../support/storage-proxy'
import { addUserToGroup } from '../../support/user-pool-admin'

const PASSWORD = 'Storage-pass-1'
const MB = 1024 * 1024
const SUB = '${cognito-identity.amazonaws.com:sub}'

/** One SigV4-signed request, sent as it is signed (or as `tamper` changes it after), over TLS or plain HTTP. */
async function signedRequest(options: {
  endpoint: string
  ca: string
  credentials: Credentials
  method: string
  path: string
  body?: string
  headers?: Record<string, string>
  signingDate?: Date
  tls?: boolean
  tamper?: (signed: { headers: Record<string, string>, body?: string }) => void
}): Promise<{ status: number, body: string, headers: Record<string, string | string[] | undefined> }> {
  const [hostname, port] = options.endpoint.split(':') as [string, string]
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: options.credentials, sha256: Sha256, uriEscapePath: false })
  const body = options.body
  const headers = { 'host': options.endpoint, 'x-amz-content-sha256': createHash('sha256').update(body ?? '').digest('hex'), ...options.headers }
  const signed = await signer.sign(new HttpRequest({ method: options.method, protocol: 'https:', hostname, port: Number(port), path: options.path, headers, body }), { signingDate: options.signingDate })
  const wire = { headers: { ...signed.headers } as Record<string, string>, body }
  options.tamper?.(wire)
  if (wire.body !== undefined && !options.headers?.['content-length']) wire.headers['content-length'] = String(Buffer.byteLength(wire.body))
  const send = options.tls === false ? httpRequest : httpsRequest
  return new Promise((resolve, reject) => {
    const req = send({ hostname, port: Number(port), method: options.method, path: options.path, headers: wire.headers, ...(options.tls === false ? {} : { ca: options.ca }) }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }))
    })
    req.on('error', reject)
    req.end(wire.body)
  })
}

/** `<Code>` of an S3 error document. */
const codeOf = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1]

describe('offline Storage with the real aws-amplify client', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let ca: string
  let proxy: StorageProxy
  let admin: S3Client
  let files: string
  let media: string
  const lines: string[] = []
  const clients: AmplifyTestClient[] = []
  let guest: AmplifyTestClient
  let alice: AmplifyTestClient
  let bob: AmplifyTestClient
  let carol: AmplifyTestClient
  let aliceId: string
  let bobId: string

  /** Per-call options with the sandbox's endpoint (or the proxy's), as the app's `$Amplify.Storage` adds it. */
  const on = (extra: Record<string, unknown> = {}) => ({ customEndpoint: sandbox.storageEndpoint, ...extra })
  const viaProxy = (extra: Record<string, unknown> = {}) => ({ customEndpoint: proxy.endpoint, ...extra })

  const newClient = async () => {
    const client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never, certificate: ca })
    clients.push(client)
    return client
  }
  const signedInUser = async (name: string, group?: string) => {
    const client = await newClient()
    const email = `${name}-${Date.now()}@example.com`
    await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    if (group) await addUserToGroup({ dataDir: sandbox.dataDir, outputsPath: sandbox.outputsPath, username: email, group })
    await client.signIn({ username: email, password: PASSWORD })
    return client
  }
  const identityOf = async (client: AmplifyTestClient) => (await client.fetchAuthSession()).identityId!
  /** The error name a call failed with, or 'ok'. */
  const outcome = (call: Promise<unknown>) => call.then(() => 'ok', (error: Error) => error.name)
  const upload = async (client: AmplifyTestClient, path: string, data: string, options: Record<string, unknown> = {}) =>
    (await client.storage.uploadData({ path, data, options: on(options) })).result()

  beforeAll(async () => {
    project = await scratchProject('storage')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, log: line => lines.push(line) }))
    ca = await readFile(sandbox.certificatePath, 'utf8')
    proxy = await startStorageProxy(sandbox.storageEndpoint, { key: await readFile(join(sandbox.dataDir, 'tls', 'localhost-key.pem'), 'utf8'), cert: ca })
    admin = s3Client(sandbox.storageEndpoint, ca, await adminCredentials(sandbox.dataDir))
    const storage = sandbox.outputs.storage as { bucket_name: string, buckets: Array<{ name: string, bucket_name: string }> }
    files = storage.bucket_name
    media = storage.buckets.find(bucket => bucket.name === 'media')!.bucket_name
    ;[guest, alice, bob, carol] = await Promise.all([newClient(), signedInUser('alice'), signedInUser('bob'), signedInUser('carol', 'Admin')])
    aliceId = await identityOf(alice)
    bobId = await identityOf(bob)
  })
  afterAll(async () => {
    await Promise.all(clients.map(client => client.close()))
    admin?.destroy()
    await proxy?.close()
    await stop?.()
    await project?.remove()
  })

  it('writes the storage block as the cloud does, with the local bucket names, and the endpoint to pass', async () => {
    const suffix = (JSON.parse(await readFile(join(sandbox.dataDir, 'sandbox.json'), 'utf8')) as { bucketSuffix: string }).bucketSuffix
    expect(sandbox.outputs.storage).toEqual({
      aws_region: 'us-east-1',
      bucket_name: `files.${suffix}`,
      buckets: [
        {
          name: 'files',
          bucket_name: `files.${suffix}`,
          aws_region: 'us-east-1',
          paths: {
            'public/*': { guest: ['get', 'list'], authenticated: ['get', 'list', 'write', 'delete'] },
            'protected/*': { authenticated: ['get', 'list'] },
            [`protected/${SUB}/*`]: { entityidentity: ['get', 'list', 'write', 'delete'] },
            [`private/${SUB}/*`]: { entityidentity: ['get', 'list', 'write', 'delete'] },
            'admin/*': { groupsAdmin: ['get', 'list', 'write', 'delete'] },
          },
        },
        { name: 'media', bucket_name: `media.${suffix}`, aws_region: 'us-east-1', paths: { 'shared/*': { authenticated: ['get', 'list', 'write'] } } },
      ],
    })
    expect((sandbox.outputs.custom as { offlineSandbox: { storageEndpoint: string } }).offlineSandbox.storageEndpoint).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(sandbox.storageEndpoint).toBe((sandbox.outputs.custom as { offlineSandbox: { storageEndpoint: string } }).offlineSandbox.storageEndpoint)
    // Storage is served now: only its triggers would be listed as not served.
    expect(lines.filter(line => line.includes('Storage') && line.includes('not served'))).toEqual([])
  })

  it('deploys the BucketDeployment\'s files, which a guest reads (and may not change)', async () => {
    const hello = await guest.storage.downloadData({ path: 'public/welcome/hello.txt', options: on() })
    expect(Buffer.from(hello.body, 'base64').toString()).toBe('Hello from a BucketDeployment')
    expect(hello).toMatchObject({ contentType: 'text/plain', size: 29 })
    const about = await guest.storage.downloadData({ path: 'public/welcome/about.txt', options: on() })
    expect(Buffer.from(about.body, 'base64').toString()).toBe('Seeded with Source.data')
    const { items } = await guest.storage.list({ path: 'public/welcome/', options: on() })
    expect(items.map(item => item.path).sort()).toEqual(['public/welcome/about.txt', 'public/welcome/hello.txt'])
    expect(await outcome(upload(guest, 'public/welcome/hello.txt', 'overwritten'))).toBe('AccessDenied')
    expect(lines).toContainEqual(expect.stringMatching(/^Storage: deployed Welcome into files\.\w+\/public\/welcome\/: 2 files written, 0 unchanged$/))
  })

  it('uploads, reads back, ranges, lists, copies and removes, keeping the upload\'s headers and metadata', async () => {
    const text = 'Notes for the trip: tent, stove, map.'
    const uploaded = await upload(alice, 'private/{identityId}/notes.txt', text, { contentType: 'text/plain', metadata: { trip: 'alps' }, contentDisposition: { type: 'attachment', filename: 'notes.txt' }, cacheControl: 'max-age=60' })
    const md5 = createHash('md5').update(text).digest('hex')
    expect(uploaded).toMatchObject({ path: `private/${aliceId}/notes.txt`, eTag: `"${md5}"`, size: text.length })

    const properties = await alice.storage.getProperties({ path: 'private/{identityId}/notes.txt', options: on() })
    expect(properties).toMatchObject({ size: text.length, eTag: `"${md5}"`, contentType: 'text/plain', metadata: { trip: 'alps' } })
    const head = await admin.send(new HeadObjectCommand({ Bucket: files, Key: `private/${aliceId}/notes.txt` }))
    expect(head).toMatchObject({ ContentDisposition: 'attachment; filename="notes.txt"', CacheControl: 'max-age=60', ContentLength: text.length })
    expect(Math.abs(head.LastModified!.getTime() - Date.now())).toBeLessThan(60_000)

    const part = await alice.storage.downloadData({ path: 'private/{identityId}/notes.txt', options: on({ bytesRange: { start: 20, end: 23 } }) })
    expect(Buffer.from(part.body, 'base64').toString()).toBe('tent')
    const ranged = await admin.send(new GetObjectCommand({ Bucket: files, Key: `private/${aliceId}/notes.txt`, Range: 'bytes=-4' }))
    expect(ranged).toMatchObject({ $metadata: { httpStatusCode: 206 }, ContentRange: `bytes ${text.length - 4}-${text.length - 1}/${text.length}` })
    expect(await ranged.Body!.transformToString()).toBe('map.')
    await expect(admin.send(new GetObjectCommand({ Bucket: files, Key: `private/${aliceId}/notes.txt`, Range: 'bytes=500-' }))).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } })

    await alice.storage.copy({ source: { path: 'private/{identityId}/notes.txt' }, destination: { path: 'private/{identityId}/copy.txt' }, options: on() })
    expect(await alice.storage.getProperties({ path: 'private/{identityId}/copy.txt', options: on() })).toMatchObject({ eTag: `"${md5}"`, contentType: 'text/plain', metadata: { trip: 'alps' } })
    await alice.storage.remove({ path: 'private/{identityId}/copy.txt', options: on() })
    // A user may not list the bucket without a prefix: a missing key reads as refused, as S3 answers them.
    expect(await outcome(alice.storage.getProperties({ path: 'private/{identityId}/copy.txt', options: on() }))).toBe('403')
    await expect(admin.send(new HeadObjectCommand({ Bucket: files, Key: `private/${aliceId}/copy.txt` }))).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } })
    await expect(admin.send(new GetObjectCommand({ Bucket: files, Key: `private/${aliceId}/copy.txt` }))).rejects.toMatchObject({ name: 'NoSuchKey' })
  })

  it('lists page by page and rolls sub-paths up with a delimiter', async () => {
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'sub/d.txt', 'sub/e.txt']) await upload(alice, `protected/{identityId}/list/${name}`, name)
    const seen: string[] = []
    let nextToken: string | undefined
    do {
      const page = await alice.storage.list({ path: 'protected/{identityId}/list/', options: on({ pageSize: 2, nextToken }) })
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map(item => item.path.split('/list/')[1]!))
      nextToken = page.nextToken
    } while (nextToken)
    expect(seen).toEqual(['a.txt', 'b.txt', 'c.txt', 'sub/d.txt', 'sub/e.txt'])
    const rolled = await alice.storage.list({ path: 'protected/{identityId}/list/', options: on({ listAll: true, subpathStrategy: { strategy: 'exclude' } }) })
    expect(rolled.items.map(item => item.path.split('/list/')[1])).toEqual(['a.txt', 'b.txt', 'c.txt'])
    expect(rolled.excludedSubpaths).toEqual([`protected/${aliceId}/list/sub/`])
    // Removing a folder sends DeleteObjects to the endpoint's root without the bucket (the client
    // drops a path-style bucket there): with two buckets served, there is no telling which.
    expect(await outcome(alice.storage.remove({ path: 'protected/{identityId}/list/sub/', options: on() }))).toBe('InvalidRequest')
  })

  it('keeps each rule apart: guests, signed-in users, a group and each user\'s own paths', async () => {
    await upload(alice, 'public/shared.txt', 'for everyone')
    await upload(alice, 'protected/{identityId}/profile.txt', 'alice\'s profile')
    await upload(alice, 'private/{identityId}/diary.txt', 'alice\'s diary')
    const props = (client: AmplifyTestClient, path: string) => outcome(client.storage.getProperties({ path, options: on() }))
    const read = (client: AmplifyTestClient, path: string) => outcome(client.storage.downloadData({ path, options: on() }))
    const write = (client: AmplifyTestClient, path: string) => outcome(upload(client, path, 'x'))
    const remove = (client: AmplifyTestClient, path: string) => outcome(client.storage.remove({ path, options: on() }))
    const list = (client: AmplifyTestClient, path: string) => outcome(client.storage.list({ path, options: on() }))

    // public/: guests read; signed-in users read, write and delete.
    expect(await read(guest, 'public/shared.txt')).toBe('ok')
    expect(await list(guest, 'public/')).toBe('ok')
    expect(await write(guest, 'public/guest.txt')).toBe('AccessDenied')
    expect(await remove(guest, 'public/shared.txt')).toBe('AccessDenied')
    expect(await write(bob, 'public/bob.txt')).toBe('ok')
    expect(await remove(bob, 'public/bob.txt')).toBe('ok')

    // protected/{entity_id}/: every signed-in user reads; only its owner writes and deletes.
    expect(await read(bob, `protected/${aliceId}/profile.txt`)).toBe('ok')
    expect(await list(bob, `protected/${aliceId}/`)).toBe('ok')
    expect(await write(bob, `protected/${aliceId}/profile.txt`)).toBe('AccessDenied')
    expect(await remove(bob, `protected/${aliceId}/profile.txt`)).toBe('AccessDenied')
    expect(await read(guest, `protected/${aliceId}/profile.txt`)).toBe('AccessDenied')

    // private/{entity_id}/: its owner only, for everything.
    expect(await read(alice, 'private/{identityId}/diary.txt')).toBe('ok')
    expect(await read(bob, `private/${aliceId}/diary.txt`)).toBe('AccessDenied')
    expect(await props(bob, `private/${aliceId}/diary.txt`)).toBe('403')
    expect(await list(bob, `private/${aliceId}/`)).toBe('AccessDenied')
    expect(await write(bob, `private/${aliceId}/diary.txt`)).toBe('AccessDenied')
    expect(await remove(bob, `private/${aliceId}/diary.txt`)).toBe('AccessDenied')
    expect(await outcome(bob.storage.copy({ source: { path: `private/${aliceId}/diary.txt` }, destination: { path: 'private/{identityId}/stolen.txt' }, options: on() }))).toBe('AccessDenied')
    expect(await write(bob, 'private/{identityId}/mine.txt')).toBe('ok')
    expect(await read(alice, `private/${bobId}/mine.txt`)).toBe('AccessDenied')

    // admin/: the Admin group's role, which has nothing else.
    expect(await write(carol, 'admin/report.txt')).toBe('ok')
    expect(await read(carol, 'admin/report.txt')).toBe('ok')
    expect(await list(carol, 'admin/')).toBe('ok')
    expect(await read(alice, 'admin/report.txt')).toBe('AccessDenied')
    expect(await write(alice, 'admin/mine.txt')).toBe('AccessDenied')
    expect(await remove(carol, 'admin/report.txt')).toBe('ok')
    expect(await write(carol, 'public/carol.txt')).toBe('AccessDenied')

    // The second bucket, by its name in the outputs.
    expect(await outcome(upload(alice, 'shared/plan.txt', 'plan', { bucket: 'media' }))).toBe('ok')
    expect(await outcome(bob.storage.downloadData({ path: 'shared/plan.txt', options: on({ bucket: 'media' }) }))).toBe('ok')
    expect(await outcome(bob.storage.remove({ path: 'shared/plan.txt', options: on({ bucket: 'media' }) }))).toBe('AccessDenied')
    expect(await outcome(guest.storage.downloadData({ path: 'shared/plan.txt', options: on({ bucket: 'media' }) }))).toBe('AccessDenied')
  })

  it('presigns URLs that work until they expire, and not once altered', async () => {
    await upload(alice, 'protected/{identityId}/photo.txt', 'a photo, really')
    const { url, expiresAt } = await alice.storage.getUrl({ path: 'protected/{identityId}/photo.txt', options: on({ expiresIn: 120, validateObjectExistence: true, contentDisposition: { type: 'attachment', filename: 'photo.txt' } }) })
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(100_000)
    const get = (target: string) => signedFetch(target)
    const fine = await get(url)
    expect(fine.status).toBe(200)
    expect(fine.body).toBe('a photo, really')
    expect(fine.headers['content-disposition']).toBe('attachment; filename="photo.txt"')

    const altered = new URL(url)
    altered.searchParams.set('X-Amz-Expires', '604800')
    expect(await get(altered.toString())).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })
    expect(await get(url.replace('photo.txt', 'other.txt'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })

    // Signed as aws-amplify signs it, two hours ago, for one minute.
    const { credentials } = await alice.fetchAuthSession()
    const expired = presignUrl(
      { method: 'GET', url: new URL(`https://${sandbox.storageEndpoint}/${files}/protected/${aliceId}/photo.txt`), body: UNSIGNED_PAYLOAD },
      { credentials: { ...credentials!, expiration: undefined }, signingRegion: 'us-east-1', signingService: 's3', uriEscapePath: false, expiration: 60, signingDate: new Date(Date.now() - 2 * 3_600_000) },
    )
    expect(await get(expired.toString())).toMatchObject({ status: 403, code: 'AccessDenied', body: expect.stringContaining('Request has expired') })
    // Existence is checked with HEAD before signing: a missing file, like any refusal, reads as 403.
    expect(await outcome(alice.storage.getUrl({ path: 'protected/{identityId}/missing.txt', options: on({ validateObjectExistence: true }) }))).toBe('403')

    async function signedFetch(target: string) {
      const response = await new Promise<{ status: number, body: string, headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        httpsRequest(target, { ca }, (res) => {
          let body = ''
          res.on('data', (chunk: Buffer) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
        }).on('error', reject).end()
      })
      return { ...response, code: codeOf(response.body) }
    }
  })

  it('refuses forged, unsigned, expired, skewed and plain-HTTP requests, and a body that is not the one signed', async () => {
    await upload(alice, 'public/shared.txt', 'for everyone')
    const { credentials } = await alice.fetchAuthSession()
    const base = { endpoint: sandbox.storageEndpoint, ca, credentials: credentials!, method: 'GET', path: `/${files}/public/shared.txt` }
    expect((await signedRequest(base)).status).toBe(200)

    const forged = await signedRequest({ ...base, credentials: { ...credentials!, secretAccessKey: 'not-the-secret-the-sandbox-issued-000000' } })
    expect([forged.status, codeOf(forged.body)]).toEqual([403, 'SignatureDoesNotMatch'])
    const unsigned = await signedRequest({ ...base, tamper: (signed) => {
      delete signed.headers.authorization
    } })
    expect([unsigned.status, codeOf(unsigned.body)]).toEqual([403, 'AccessDenied'])
    const skewed = await signedRequest({ ...base, signingDate: new Date(Date.now() - 20 * 60_000) })
    expect([skewed.status, codeOf(skewed.body)]).toEqual([403, 'RequestTimeTooSkewed'])
    // Gen 2's bucket policy denies anything not over TLS, whoever signs it.
    const plain = await signedRequest({ ...base, tls: false, credentials: await adminCredentials(sandbox.dataDir) })
    expect([plain.status, codeOf(plain.body)]).toEqual([403, 'AccessDenied'])
    expect(plain.body).toContain('explicit deny in a resource-based policy')

    const authRole = [...sandbox.iam.roles.values()].find(role => /authenticatedUserRole/.test(role.name))!
    const stale = await sandbox.iam.issue({ roleArn: authRole.arn, sessionName: 'CognitoIdentityCredentials', expiresAt: Date.now() - 1000 })
    const expired = await signedRequest({ ...base, credentials: stale })
    expect([expired.status, codeOf(expired.body)]).toEqual([400, 'ExpiredToken'])

    const put = { ...base, method: 'PUT', path: `/${files}/public/signed.txt`, body: 'the signed body' }
    expect((await signedRequest(put)).status).toBe(200)
    const swapped = await signedRequest({ ...put, tamper: (signed) => {
      signed.body = 'another body!!!'
    } })
    expect([swapped.status, codeOf(swapped.body)]).toEqual([400, 'XAmzContentSHA256Mismatch'])
    expect(Buffer.from((await alice.storage.downloadData({ path: 'public/signed.txt', options: on() })).body, 'base64').toString()).toBe('the signed body')

    const nowhere = await signedRequest({ ...base, path: '/no-such-bucket.example/x.txt' })
    expect([nowhere.status, codeOf(nowhere.body)]).toEqual([404, 'NoSuchBucket'])
    const tooBig = await signedRequest({ ...put, credentials: await adminCredentials(sandbox.dataDir), body: '', headers: { 'content-length': String(6 * 1024 ** 3) } })
    expect([tooBig.status, codeOf(tooBig.body)]).toEqual([400, 'EntityTooLarge'])
  })

  it('refuses multipart mistakes as S3 does: an unknown upload, a wrong part, parts out of order', async () => {
    const Key = 'public/parts.bin'
    await expect(admin.send(new UploadPartCommand({ Bucket: files, Key, UploadId: 'x'.repeat(48), PartNumber: 1, Body: 'x' }))).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } })
    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: files, Key }))
    const { ETag } = await admin.send(new UploadPartCommand({ Bucket: files, Key, UploadId, PartNumber: 1, Body: 'only part' }))
    const complete = (Parts: Array<{ PartNumber: number, ETag: string }>) => admin.send(new CompleteMultipartUploadCommand({ Bucket: files, Key, UploadId, MultipartUpload: { Parts } }))
    await expect(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])).rejects.toMatchObject({ name: 'InvalidPart' })
    await expect(complete([{ PartNumber: 2, ETag: ETag! }, { PartNumber: 1, ETag: ETag! }])).rejects.toMatchObject({ name: 'InvalidPartOrder' })
    expect(await complete([{ PartNumber: 1, ETag: ETag! }])).toMatchObject({ ETag: `"${createHash('md5').update(createHash('md5').update('only part').digest()).digest('hex')}-1"` })
    // Completed: the upload is gone.
    await expect(admin.send(new ListPartsCommand({ Bucket: files, Key, UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' })
  })

  it('cancels a 12 MB multipart upload leaving no object and no parts, then completes it', async () => {
    const path = 'private/{identityId}/video.bin'
    const key = `private/${aliceId}/video.bin`
    const from = proxy.requests.length
    proxy.hold(request => request.operation === 'UploadPart')
    const task = await alice.storage.uploadData({ path, data: { size: 12 * MB, fill: 1 }, options: viaProxy() })
    const created = await proxy.waitFor(request => request.operation === 'CreateMultipartUpload' && request.status === 200)
    await proxy.waitFor(request => proxy.requests.indexOf(request) >= from && request.operation === 'UploadPart')
    await task.cancel()
    await expect(task.result()).rejects.toMatchObject({ name: 'CanceledError' })
    await expect.poll(() => proxy.requests.filter(request => proxy.requests.indexOf(request) >= from && request.operation === 'UploadPart' && request.status === 0).length).toBe(0)
    proxy.release()
    const aborted = await proxy.waitFor(request => proxy.requests.indexOf(request) >= from && request.operation === 'AbortMultipartUpload' && request.status !== 0)
    expect(aborted.status).toBe(204)
    const uploadId = aborted.query.get('uploadId')!
    expect(created.key).toBe(key)
    await expect(admin.send(new ListPartsCommand({ Bucket: files, Key: key, UploadId: uploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' })
    await expect(admin.send(new HeadObjectCommand({ Bucket: files, Key: key }))).rejects.toMatchObject({ name: 'NotFound' })
    expect(await readdir(join(sandbox.dataDir, 'storage', 'uploads'))).toEqual([])

    const done = await (await alice.storage.uploadData({ path, data: { size: 12 * MB, fill: 1 }, options: on() })).result()
    const partMd5 = (size: number) => createHash('md5').update(Buffer.alloc(size, 1)).digest()
    const etag = createHash('md5').update(Buffer.concat([partMd5(5 * MB), partMd5(5 * MB), partMd5(2 * MB)])).digest('hex')
    expect(done).toMatchObject({ eTag: `"${etag}-3"` })
    expect(await alice.storage.getProperties({ path, options: on() })).toMatchObject({ size: 12 * MB, eTag: `"${etag}-3"` })
    const tail = await admin.send(new GetObjectCommand({ Bucket: files, Key: key, Range: `bytes=${12 * MB - 3}-` }))
    expect(Buffer.from(await tail.Body!.transformToByteArray())).toEqual(Buffer.alloc(3, 1))
  })

  it('pauses an upload and resumes it: the same task, and a new one from the parts the server lists', async () => {
    const path = 'private/{identityId}/resumed.bin'
    let from = proxy.requests.length
    const after = (request: { operation: string }) => proxy.requests.indexOf(request as never) >= from
    proxy.hold(request => request.operation === 'UploadPart' && request.query.get('partNumber') !== '1')
    const first = await alice.storage.uploadData({ path, data: { size: 12 * MB, fill: 2 }, options: viaProxy() })
    await proxy.waitFor(request => after(request) && request.operation === 'UploadPart' && request.query.get('partNumber') === '1' && request.status === 200)
    await proxy.waitFor(request => after(request) && request.operation === 'UploadPart' && request.query.get('partNumber') !== '1')
    await first.pause()
    // The held parts were abandoned by the client, not sent on.
    await expect.poll(() => proxy.requests.filter(request => after(request) && request.operation === 'UploadPart' && request.status === 0).length).toBe(0)
    proxy.release()

    // A new upload of the same file finds the cached upload id, asks the server which parts it has, and sends the rest.
    from = proxy.requests.length
    const second = await alice.storage.uploadData({ path, data: { size: 12 * MB, fill: 2 }, options: viaProxy() })
    expect(await second.result()).toMatchObject({ eTag: expect.stringMatching(/-3"$/) })
    const sent = proxy.requests.slice(from)
    expect(sent.map(request => request.operation)).toEqual(expect.arrayContaining(['ListParts', 'CompleteMultipartUpload', 'HeadObject']))
    expect(sent.find(request => request.operation === 'ListParts')!.status).toBe(200)
    expect(sent.filter(request => request.operation === 'UploadPart').map(request => request.query.get('partNumber')).sort()).toEqual(['2', '3'])
    expect(sent.some(request => request.operation === 'CreateMultipartUpload')).toBe(false)
    // Progress counts the part the server already had.
    expect(second.progress()).toContainEqual({ transferredBytes: 5 * MB, totalBytes: 12 * MB })

    from = proxy.requests.length
    proxy.hold(request => request.operation === 'UploadPart' && request.query.get('partNumber') === '3')
    const third = await alice.storage.uploadData({ path: 'private/{identityId}/again.bin', data: { size: 11 * MB, fill: 3 }, options: viaProxy() })
    await proxy.waitFor(request => after(request) && request.operation === 'UploadPart' && request.query.get('partNumber') === '3')
    await third.pause()
    expect(await third.state()).toBe('PAUSED')
    proxy.release()
    await third.resume()
    expect(await third.result()).toMatchObject({ eTag: expect.stringMatching(/-3"$/) })
    expect(await alice.storage.getProperties({ path: 'private/{identityId}/again.bin', options: on() })).toMatchObject({ size: 11 * MB })
  })

  it('answers browsers\' CORS preflights from the bucket\'s synthesized rules', async () => {
    const options = await fetchFrom('OPTIONS', { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,x-amz-date,x-amz-content-sha256,content-type' })
    expect(options.status).toBe(200)
    expect(options.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE',
      'access-control-allow-headers': 'authorization, x-amz-date, x-amz-content-sha256, content-type',
      'access-control-max-age': '3000',
    })
    const refused = await fetchFrom('OPTIONS', { 'access-control-request-method': 'PATCH' })
    expect([refused.status, codeOf(refused.body)]).toEqual([403, 'AccessForbidden'])
    // An actual request (here refused, unsigned) carries the headers too, so the page can read S3's error.
    const get = await fetchFrom('GET', {})
    expect(get.status).toBe(403)
    expect(get.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-expose-headers': expect.stringContaining('ETag') })

    function fetchFrom(method: string, headers: Record<string, string>) {
      return new Promise<{ status: number, body: string, headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        httpsRequest(`https://${sandbox.storageEndpoint}/${files}/public/shared.txt`, { method, ca, headers: { origin: 'http://localhost:3000', ...headers } }, (res) => {
          let body = ''
          res.on('data', (chunk: Buffer) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
        }).on('error', reject).end()
      })
    }
  })

  it('on a reload, deploys changed files again, keeps every object, and keeps a removed bucket\'s files unserved', async () => {
    await upload(alice, 'shared/keep.txt', 'kept', { bucket: 'media' })
    await upload(alice, 'private/{identityId}/before-reload.txt', 'kept too')
    for (const name of ['a.txt', 'b/c.txt']) await upload(alice, `protected/{identityId}/folder/${name}`, name)
    const mediaObjects = (await admin.send(new ListObjectsV2Command({ Bucket: media }))).KeyCount!
    await project.edit('amplify/storage/seed/hello.txt', () => 'Hello again')
    await project.edit('amplify/storage/resource.ts', text => text.replace(/export const media = .*\n/, ''))
    await project.edit('amplify/backend.ts', text => text.replace('import { media, storage }', 'import { storage }').replace('storage, media })', 'storage })'))
    const from = lines.length
    await sandbox.reload()
    const said = lines.slice(from)
    expect(said).toContainEqual(`Storage: ${media} (${mediaObjects} object${mediaObjects === 1 ? '' : 's'}) is no longer in amplify/: kept in ${join(sandbox.dataDir, 'storage')}/buckets/, not served.`)
    expect(said).toContainEqual(expect.stringMatching(/^Storage: deployed Welcome into .*: 1 file written, 1 unchanged$/))
    expect(Buffer.from((await guest.storage.downloadData({ path: 'public/welcome/hello.txt', options: on() })).body, 'base64').toString()).toBe('Hello again')
    expect(await outcome(alice.storage.downloadData({ path: 'private/{identityId}/before-reload.txt', options: on() }))).toBe('ok')
    // With one bucket left, a folder's removal (DeleteObjects sent to the root) reaches it.
    await alice.storage.remove({ path: 'protected/{identityId}/folder/', options: on() })
    expect((await alice.storage.list({ path: 'protected/{identityId}/folder/', options: on() })).items).toEqual([])
    expect(sandbox.outputs.storage).toMatchObject({ buckets: [{ name: 'files' }] })
    const gone = await signedRequest({ endpoint: sandbox.storageEndpoint, ca, credentials: await adminCredentials(sandbox.dataDir), method: 'GET', path: `/${media}/shared/keep.txt` })
    expect(codeOf(gone.body)).toBe('NoSuchBucket')
    expect(await readdir(join(sandbox.dataDir, 'storage', 'buckets', media, 'data'))).toHaveLength(mediaObjects)
  })
})

describe('npm run sandbox with storage', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: SandboxProcess

  const outputs = async () => JSON.parse(await readFile(join(project.dir, 'amplify_outputs.json'), 'utf8')) as { storage: { bucket_name: string }, custom: { offlineSandbox: { storageEndpoint: string, certificatePath: string } } }
  const client = async () => {
    const { custom } = await outputs()
    return s3Client(custom.offlineSandbox.storageEndpoint, await readFile(custom.offlineSandbox.certificatePath, 'utf8'), await adminCredentials(join(project.dir, '.amplify', 'sandbox')))
  }

  beforeAll(async () => {
    project = await scratchProject('storage')
    sandbox = new SandboxProcess(project.dir)
    await sandbox.ready()
  })
  afterAll(async () => {
    await sandbox?.stop()
    await project?.remove()
  })

  it('keeps an acknowledged upload, and an upload in progress, across a SIGKILL', async () => {
    const Bucket = (await outputs()).storage.bucket_name
    let s3 = await client()
    const body = Buffer.alloc(3 * MB, 7)
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key: 'public/durable.bin', Body: body }))
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'public/half.bin' }))
    const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'public/half.bin', UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MB, 1) }))
    s3.destroy()

    // Killed right after the answers: no chance to flush anything.
    expect(await sandbox.stop('SIGKILL')).toBeNull()
    sandbox = new SandboxProcess(project.dir)
    await sandbox.ready()
    s3 = await client()
    const read = await s3.send(new GetObjectCommand({ Bucket, Key: 'public/durable.bin' }))
    expect(read.ETag).toBe(ETag)
    expect(Buffer.from(await read.Body!.transformToByteArray()).equals(body)).toBe(true)
    expect((await s3.send(new ListPartsCommand({ Bucket, Key: 'public/half.bin', UploadId }))).Parts).toMatchObject([{ PartNumber: 1, ETag: part.ETag, Size: 5 * MB }])
    s3.destroy()
  })

  it('wipes every file with --reset (a new sandbox, with new bucket names)', async () => {
    const before = (await outputs()).storage.bucket_name
    expect(await sandbox.stop()).toBe(0)
    sandbox = new SandboxProcess(project.dir, ['--reset'])
    await sandbox.ready()
    const after = (await outputs()).storage.bucket_name
    expect(after).not.toBe(before)
    const s3 = await client()
    await expect(s3.send(new HeadObjectCommand({ Bucket: after, Key: 'public/durable.bin' }))).rejects.toMatchObject({ name: 'NotFound' })
    await expect(s3.send(new HeadObjectCommand({ Bucket: before, Key: 'public/durable.bin' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } })
    // The BucketDeployment's files are back: a reset sandbox is deployed afresh.
    expect((await s3.send(new HeadObjectCommand({ Bucket: after, Key: 'public/welcome/hello.txt' }))).ContentLength).toBe(29)
    s3.destroy()
  })
})
