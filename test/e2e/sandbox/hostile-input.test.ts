/**
 * Hostile requests to the sandbox's ports (issue 18): ListBuckets from callers without the right,
 * XML nested thousands deep, response overrides that are no header values, a function name that
 * does not decode, uploads cut off or followed by garbage, HTTP no server should parse, ACLs and
 * unserved sub-resources. Each gets the status and error code AWS answers with, never a 500, a hang
 * or a reset, and the sandbox serves a normal request after each. Requests no HTTP client would
 * send go out on raw `node:net` / `node:tls` sockets.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, readlink } from 'node:fs/promises'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect as netConnect, type Socket } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { Sha256 } from '@aws-crypto/sha256-js'
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { scratchProject, type ScratchProject } from '../../support/project'
import { adminCredentials, type Credentials } from '../../support/sandbox-s3'
import { newSignedInUser } from '../../support/signed-in-user'
import { startTestSandbox } from '../../support/started-sandbox'

const REGION = 'us-east-1'
const SPLASH = 'public/splash.png'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** `<Code>` of an S3 error document. */
const s3Code = (answer: Answer) => /<Code>([^<]+)<\/Code>/.exec(answer.body.toString())?.[1]

/** RFC 3986 escaping, as SigV4 canonicalizes a query. */
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** A request signed with SigV4 as an AWS SDK signs it (S3: path as given, payload hash in a header). */
interface SignedParts {
  method: string
  /** Path and query exactly as they go on the wire. */
  target: string
  headers: Record<string, string>
}

async function sign(options: {
  credentials: Credentials
  service: 's3' | 'lambda'
  host: string
  method: string
  path: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: string | Buffer
  /** `x-amz-content-sha256` when not the body's hash (`UNSIGNED-PAYLOAD`). */
  payloadHash?: string
}): Promise<SignedParts> {
  const [hostname, port] = options.host.split(':') as [string, string]
  const s3 = options.service === 's3'
  const signer = new SignatureV4({ service: options.service, region: REGION, credentials: options.credentials, sha256: Sha256, uriEscapePath: !s3 })
  const headers: Record<string, string> = { host: options.host, ...options.headers }
  if (s3) headers['x-amz-content-sha256'] = options.payloadHash ?? createHash('sha256').update(options.body ?? '').digest('hex')
  const signed = await signer.sign(new HttpRequest({ method: options.method, protocol: 'https:', hostname, port: Number(port), path: options.path, query: options.query ?? {}, headers, body: options.body }))
  const query = Object.entries(options.query ?? {}).map(([name, value]) => (value === '' ? escape(name) : `${escape(name)}=${escape(value)}`)).join('&')
  return { method: options.method, target: query ? `${options.path}?${query}` : options.path, headers: signed.headers as Record<string, string> }
}

/** Sends a request through Node's HTTP client (TLS with the sandbox's certificate when `ca` is given). */
function send(host: string, parts: SignedParts, body?: string | Buffer, ca?: string): Promise<Answer> {
  const [hostname, port] = host.split(':') as [string, string]
  const headers = { ...parts.headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }
  const options = { hostname, port: Number(port), method: parts.method, path: parts.target, headers, agent: false as const }
  return new Promise((resolve, reject) => {
    const request = (ca ? httpsRequest({ ...options, ca }, collect) : httpRequest(options, collect)).on('error', reject)
    function collect(res: IncomingMessage) {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    }
    request.end(body)
  })
}

/** The request head as it goes on a raw socket. */
function head(parts: SignedParts, extra: Record<string, string> = {}): string {
  const lines = Object.entries({ ...parts.headers, ...extra }).map(([name, value]) => `${name}: ${value}`)
  return `${parts.method} ${parts.target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

interface RawTarget {
  port: number
  /** Speak TLS (the sandbox's certificate trusted). */
  ca?: string
}

/** A connection to `target`, and the TCP socket under it (the same one without TLS), which can be reset. */
async function openSocket(target: RawTarget): Promise<{ socket: Socket, tcp: Socket }> {
  const tcp = netConnect({ host: '127.0.0.1', port: target.port })
  await new Promise((resolve, reject) => tcp.once('connect', resolve).once('error', reject))
  if (!target.ca) return { socket: tcp, tcp }
  const socket = tlsConnect({ socket: tcp, ca: target.ca, servername: 'localhost' })
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
  return { socket, tcp }
}

interface RawExchange {
  /** The answers, in order, each read to the length it declared. */
  answers: Answer[]
  /** The connection was reset rather than closed. */
  reset: boolean
  /** The server had not closed the connection after this long: it was cut by the test. */
  timedOut: boolean
}

/** Writes `data` on one connection and reads until the server closes it (at most `timeoutMs`). */
async function exchange(target: RawTarget, data: string | Buffer, timeoutMs = 10_000): Promise<RawExchange> {
  const { socket } = await openSocket(target)
  const chunks: Buffer[] = []
  let reset = false
  let timedOut = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  // A write the server stops reading (it answered already) may fail: the answer is what counts.
  socket.on('error', (error: NodeJS.ErrnoException) => (reset ||= error.code === 'ECONNRESET'))
  socket.write(data)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true
      socket.destroy()
    }, timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return { answers: parseAnswers(Buffer.concat(chunks)), reset, timedOut }
}

/** HTTP/1.1 answers one after another, bodies framed by Content-Length (what every sandbox answer has). */
function parseAnswers(bytes: Buffer): Answer[] {
  const answers: Answer[] = []
  let at = 0
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const [statusLine = '', ...lines] = bytes.subarray(at, end).toString('latin1').split('\r\n')
    const headers: IncomingHttpHeaders = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    answers.push({ status: Number(statusLine.split(' ')[1]), headers, body: bytes.subarray(end + 4, end + 4 + length) })
    at = end + 4 + length
  }
  return answers
}

/** Polls until `check` holds (or fails with its last value after `timeoutMs`). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs
  let value = await read()
  while (!check(value) && Date.now() < until) {
    await new Promise(resolve => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

describe('hostile requests get AWS\'s answer, and the sandbox serves on', () => {
  let project: ScratchProject
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let ca: string
  let bucket: string
  let storage: string
  let storagePort: number
  let guest: Credentials
  let user: Credentials
  let userId: string
  let admin: Credentials

  const s3 = (credentials: Credentials, options: Omit<Parameters<typeof sign>[0], 'credentials' | 'service' | 'host'>) =>
    sign({ credentials, service: 's3', host: storage, ...options })
  /** The normal request every test ends with: a guest reads the home page's picture. */
  const expectServing = async () => {
    const picture = await send(storage, await s3(guest, { method: 'GET', path: `/${bucket}/${SPLASH}` }), undefined, ca)
    expect(picture.status).toBe(200)
    expect(picture.body.length).toBe(Number(picture.headers['content-length']))
    expect(picture.body.subarray(1, 4).toString()).toBe('PNG')
  }
  const tmpDir = () => join(sandbox.dataDir, 'storage', 'tmp')
  /** Temp files of bodies being received (a multipart upload's trash folder comes and goes too). */
  const tempFiles = async () => (await readdir(tmpDir()).catch(() => [] as string[])).filter(name => !name.startsWith('upload-'))
  /** File descriptors this process (the sandbox runs in it) holds on anything in the temp folder. */
  const openTempHandles = async () => {
    const links = await Promise.all((await readdir('/proc/self/fd')).map(fd => readlink(`/proc/self/fd/${fd}`).catch(() => '')))
    return links.filter(link => link.startsWith(`${tmpDir()}/`))
  }

  beforeAll(async () => {
    // The app's own backend: the public picture, each user's attachments, a REST API and functions.
    project = await scratchProject()
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir }))
    ca = await readFile(sandbox.certificatePath, 'utf8')
    bucket = (sandbox.outputs.storage as { bucket_name: string }).bucket_name
    storage = sandbox.storageEndpoint
    storagePort = Number(storage.split(':')[1])
    admin = await adminCredentials(sandbox.dataDir)

    const identityPool = new CognitoIdentityClient({ region: REGION, endpoint: sandbox.identityPoolEndpoint, credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } })
    const { IdentityId } = await identityPool.send(new GetIdCommand({ IdentityPoolId: (sandbox.outputs.auth as { identity_pool_id: string }).identity_pool_id }))
    const { Credentials: issued } = await identityPool.send(new GetCredentialsForIdentityCommand({ IdentityId }))
    guest = { accessKeyId: issued!.AccessKeyId!, secretAccessKey: issued!.SecretKey!, sessionToken: issued!.SessionToken! }
    identityPool.destroy()

    const signedIn = await newSignedInUser(sandbox.outputsPath, sandbox.messagesUrl, 'hostile')
    const session = await fetchAuthSession(signedIn.context)
    user = session.credentials!
    userId = session.identityId!
  })
  afterAll(async () => {
    await stop?.()
    await project?.remove()
  })

  it('1. ListBuckets signed by a guest or a signed-in user, and GET //<bucket>/<key>, is 403 AccessDenied', async () => {
    for (const credentials of [guest, user]) {
      const listed = await send(storage, await s3(credentials, { method: 'GET', path: '/' }), undefined, ca)
      expect([listed.status, s3Code(listed)]).toEqual([403, 'AccessDenied'])
    }
    // An empty bucket name: the service's root, with a key, which is no operation anyone may do.
    const doubled = await send(storage, await s3(guest, { method: 'GET', path: `//${bucket}/${SPLASH}` }), undefined, ca)
    expect([doubled.status, s3Code(doubled)]).toEqual([403, 'AccessDenied'])
    // Whoever may list buckets still can.
    const byAdmin = await send(storage, await s3(admin, { method: 'GET', path: '/' }), undefined, ca)
    expect(byAdmin.status).toBe(200)
    expect(byAdmin.body.toString()).toContain(`<Name>${bucket}</Name>`)
    await expectServing()
  })

  it('2. XML nested 8,000 deep is 400 MalformedXML; a caller who may delete nothing is refused before the body is read', async () => {
    const nested = (root: string) => `<${root}>${'<a>'.repeat(8_000)}${'</a>'.repeat(8_000)}</${root}>`
    const deleteBody = nested('Delete')
    expect(deleteBody.length).toBeGreaterThan(56_000)
    const md5 = (body: string) => createHash('md5').update(body).digest('base64')

    // A guest may delete nothing in the bucket: refused whatever the body is, even one that is no XML.
    for (const body of [deleteBody, 'not xml at all']) {
      const refused = await send(storage, await s3(guest, { method: 'POST', path: `/${bucket}`, query: { delete: '' }, body, headers: { 'content-md5': md5(body) } }), body, ca)
      expect([refused.status, s3Code(refused)]).toEqual([403, 'AccessDenied'])
    }
    // A signed-in user may delete their own attachments: their document is read, and refused.
    const deleted = await send(storage, await s3(user, { method: 'POST', path: `/${bucket}`, query: { delete: '' }, body: deleteBody, headers: { 'content-md5': md5(deleteBody) } }), deleteBody, ca)
    expect([deleted.status, s3Code(deleted)]).toEqual([400, 'MalformedXML'])

    const key = `attachments/${userId}/nested.bin`
    const created = await send(storage, await s3(user, { method: 'POST', path: `/${bucket}/${key}`, query: { uploads: '' } }), undefined, ca)
    expect(created.status).toBe(200)
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body.toString())![1]!
    const completeBody = nested('CompleteMultipartUpload')
    for (const credentials of [guest, user]) {
      const completed = await send(storage, await s3(credentials, { method: 'POST', path: `/${bucket}/${key}`, query: { uploadId }, body: completeBody }), completeBody, ca)
      // The guest may not write there at all: refused before the upload is even looked up.
      expect([completed.status, s3Code(completed)]).toEqual(credentials === guest ? [403, 'AccessDenied'] : [400, 'MalformedXML'])
    }
    // A well-formed Delete still works for what the caller may delete.
    const fine = `<Delete><Object><Key>${key}</Key></Object><Object><Key>${SPLASH}</Key></Object></Delete>`
    const partly = await send(storage, await s3(user, { method: 'POST', path: `/${bucket}`, query: { delete: '' }, body: fine, headers: { 'content-md5': md5(fine) } }), fine, ca)
    expect(partly.status).toBe(200)
    expect(partly.body.toString()).toContain(`<Deleted><Key>${key}</Key></Deleted>`)
    expect(partly.body.toString()).toContain(`<Error><Key>${SPLASH}</Key><Code>AccessDenied</Code>`)
    await expectServing()
  })

  it('3. a response-* override that is no header value (CR LF, NUL, an emoji) is 400 InvalidArgument', async () => {
    for (const [param, value] of [['response-content-type', 'a\r\nb'], ['response-content-disposition', 'attachment\0'], ['response-content-disposition', 'attachment; filename="😀.png"']] as const) {
      const answer = await send(storage, await s3(guest, { method: 'GET', path: `/${bucket}/${SPLASH}`, query: { [param]: value } }), undefined, ca)
      expect([answer.status, s3Code(answer)], `${param}=${JSON.stringify(value)}`).toEqual([400, 'InvalidArgument'])
      expect(answer.body.toString()).toContain(`<ArgumentName>${param}</ArgumentName>`)
    }
    // A HEAD has no body to carry the code: the status says it.
    const headed = await send(storage, await s3(guest, { method: 'HEAD', path: `/${bucket}/${SPLASH}`, query: { 'response-content-type': 'a\r\nb' } }), undefined, ca)
    expect(headed.status).toBe(400)
    // Overrides that are header values still apply, Latin-1 included.
    const overridden = await send(storage, await s3(guest, { method: 'GET', path: `/${bucket}/${SPLASH}`, query: { 'response-content-type': 'image/x-test', 'response-content-disposition': 'inline; filename="café.png"' } }), undefined, ca)
    expect(overridden.status).toBe(200)
    expect(overridden.headers['content-type']).toBe('image/x-test')
    await expectServing()
  })

  it('4. an Invoke of a function name that does not decode gets Lambda\'s auth error first, then 400 ValidationException', async () => {
    const auth = sandbox.userPoolEndpoint.replace('http://', '')
    const invoke = async (credentials: Credentials | undefined, name: string, headers: Record<string, string> = {}) => {
      const path = `/2015-03-31/functions/${name}/invocations`
      const parts = credentials
        ? await sign({ credentials, service: 'lambda', host: auth, method: 'POST', path, body: '{}', headers })
        : { method: 'POST', target: path, headers: { host: auth, ...headers } }
      const answer = await send(auth, parts, '{}')
      return { status: answer.status, type: answer.headers['x-amzn-errortype'], body: answer.body.length ? JSON.parse(answer.body.toString()) as { message?: string } : undefined }
    }
    expect(await invoke(undefined, '%ZZ')).toMatchObject({ status: 403, type: 'MissingAuthenticationTokenException' })
    expect(await invoke(guest, '%ZZ')).toMatchObject({ status: 403, type: 'AccessDeniedException', body: { message: expect.stringContaining('lambda:InvokeFunction') } })
    expect(await invoke(user, '%ZZ')).toMatchObject({ status: 403, type: 'AccessDeniedException' })
    // Whoever may invoke learns that the name is malformed, or names no function.
    expect(await invoke(admin, '%ZZ')).toMatchObject({ status: 400, type: 'ValidationException', body: { message: expect.stringContaining('functionName') } })
    expect(await invoke(admin, 'no-such-function')).toMatchObject({ status: 404, type: 'ResourceNotFoundException' })
    expect(await invoke(guest, 'no-such-function')).toMatchObject({ status: 403, type: 'AccessDeniedException' })
    // The Invoke API still runs a real function.
    const name = sandbox.functions.definitions()[0]!.name
    expect(await invoke(admin, name, { 'x-amz-invocation-type': 'DryRun' })).toMatchObject({ status: 204 })
    await expectServing()
  })

  it('5. a PUT cut off after its headers, mid-body, or followed by garbage leaves no temp file and no open handle', async () => {
    const body = Buffer.alloc(64 * 1024, 'x')
    const put = async (name: string, payloadHash?: string) => head(await s3(user, { method: 'PUT', path: `/${bucket}/attachments/${userId}/${name}`, body, payloadHash, headers: { 'content-length': String(body.length), 'content-type': 'text/plain' } }))
    const cut = async (data: Buffer | string, how: 'end' | 'reset', waitForTempFile = false) => {
      const { socket, tcp } = await openSocket({ port: storagePort, ca })
      // Read (and drop) whatever the server answers, to see it close the connection.
      socket.on('error', () => {}).resume()
      socket.write(data)
      // Cut once the server is receiving the body into a temp file: the handle it must let go of.
      if (waitForTempFile) expect(await eventually(tempFiles, files => files.length > 0)).not.toEqual([])
      if (how === 'reset') tcp.resetAndDestroy()
      else socket.end()
      await new Promise(resolve => socket.once('close', resolve))
    }
    const expectClean = async () => {
      expect(await eventually(tempFiles, files => files.length === 0)).toEqual([])
      expect(await eventually(openTempHandles, handles => handles.length === 0)).toEqual([])
    }

    await cut(await put('headers-only.txt'), 'end')
    await expectClean()
    await cut(Buffer.concat([Buffer.from(await put('half.txt')), body.subarray(0, 20_000)]), 'end', true)
    await expectClean()
    await cut(Buffer.concat([Buffer.from(await put('half-unsigned.txt', 'UNSIGNED-PAYLOAD')), body.subarray(0, 20_000)]), 'reset', true)
    await expectClean()
    await cut(await put('reset-after-headers.txt'), 'reset')
    await expectClean()

    // A whole PUT with a garbage line pipelined after it: the upload lands and is answered, then 400.
    const pipelined = await exchange({ port: storagePort, ca }, Buffer.concat([Buffer.from(await put('whole.txt')), body, Buffer.from('GARBAGE\r\n\r\n')]))
    expect(pipelined.answers.map(answer => answer.status)).toEqual([200, 400])
    expect(pipelined.answers[0]!.headers.etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`)
    await expectClean()
    const stored = await send(storage, await s3(user, { method: 'GET', path: `/${bucket}/attachments/${userId}/whole.txt` }), undefined, ca)
    expect(stored.body.equals(body)).toBe(true)
    // None of the cut ones exists.
    const missing = await send(storage, await s3(user, { method: 'HEAD', path: `/${bucket}/attachments/${userId}/half.txt` }), undefined, ca)
    expect(missing.status).toBe(403)

    const later = await send(storage, await s3(user, { method: 'PUT', path: `/${bucket}/attachments/${userId}/later.txt`, body: 'still here' }), 'still here', ca)
    expect(later.status).toBe(200)
    await expectServing()
  })

  it('6. malformed HTTP gets 400 or 431 on every port, and a request pipelined before garbage keeps its answer', async () => {
    const portOf = (url: string) => Number(new URL(url.includes('://') ? url : `http://${url}`).port)
    const targets: Record<string, RawTarget> = {
      'Storage (https)': { port: storagePort, ca },
      'Storage (http)': { port: storagePort },
      'GraphQL (http)': { port: portOf(sandbox.graphqlUrl) },
      'GraphQL (https)': { port: portOf(sandbox.graphqlUrl), ca },
      'REST': { port: portOf(sandbox.restEndpoint!) },
      'Cognito user pool, identity pool, Lambda': { port: portOf(sandbox.userPoolEndpoint) },
    }
    // The identity pool and the Lambda API share the user pool's port.
    expect(portOf(sandbox.identityPoolEndpoint)).toBe(targets['Cognito user pool, identity pool, Lambda']!.port)
    const malformed: Record<string, { request: string, status: number }> = {
      'a 20 KB URL': { request: `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, status: 431 },
      'a 60 KB Authorization header': { request: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${'a'.repeat(60_000)}\r\n\r\n`, status: 431 },
      'a garbage request line': { request: '\u0001\u0002 GARBAGE \u00ff\r\n\r\n', status: 400 },
      'Content-Length with Transfer-Encoding': { request: 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400 },
      'a non-numeric Content-Length': { request: 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: twelve\r\n\r\n', status: 400 },
    }
    const seen: Record<string, unknown> = {}
    const wanted: Record<string, unknown> = {}
    for (const [port, target] of Object.entries(targets)) {
      for (const [what, { request, status }] of Object.entries(malformed)) {
        const { answers, reset, timedOut } = await exchange(target, request)
        seen[`${port}: ${what}`] = { statuses: answers.map(answer => answer.status), reset, timedOut }
        wanted[`${port}: ${what}`] = { statuses: [status], reset: false, timedOut: false }
      }
    }
    expect(seen).toEqual(wanted)

    // A valid request, then garbage, on one connection: the first gets its whole answer, then the 400.
    const get = (path: string, target: RawTarget) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`
    const picture = head(await s3(guest, { method: 'GET', path: `/${bucket}/${SPLASH}` }))
    const auth = targets['Cognito user pool, identity pool, Lambda']!
    // The app's REST API: `GET /export` without a token, refused by its user pool authorizer.
    const restApi = (sandbox.outputs.custom as { API: Record<string, { endpoint: string }> }).API.todosApi!.endpoint
    const graphql = targets['GraphQL (http)']!
    for (const [target, valid, status] of [
      [targets['Storage (https)']!, picture, 200],
      [auth, get('/__sandbox/messages?to=nobody%40example.com', auth), 200],
      [graphql, get('/__sandbox/tls-check', graphql), 204],
      [targets.REST!, get(new URL('export', restApi).pathname, targets.REST!), 401],
    ] as const) {
      const { answers } = await exchange(target, `${valid}GARBAGE\r\n\r\n`)
      expect(answers.map(answer => answer.status)).toEqual([status, 400])
      expect(answers[0]!.body.length).toBe(Number(answers[0]!.headers['content-length'] ?? 0))
    }
    const [whole] = (await exchange(targets['Storage (https)']!, `${picture}GARBAGE\r\n\r\n`)).answers
    expect(whole!.body.equals(await readFile(join(project.dir, 'amplify', 'storage', 'public', 'splash.png')))).toBe(true)

    // Every port still serves.
    expect((await fetch(`${sandbox.messagesUrl}?to=nobody%40example.com`)).status).toBe(200)
    expect((await fetch(new URL('export', restApi))).status).toBe(401)
    expect((await fetch(`http://127.0.0.1:${graphql.port}/__sandbox/tls-check`)).status).toBe(204)
    await expectServing()
  })

  it('7. an object ACL is 400 AccessControlListNotSupported; an unsigned PUT ?policy is 403 AccessDenied, not 501', async () => {
    const key = `/${bucket}/attachments/${userId}/acl.txt`
    const withAcl = await send(storage, await s3(user, { method: 'PUT', path: key, body: 'x', headers: { 'x-amz-acl': 'public-read' } }), 'x', ca)
    expect([withAcl.status, s3Code(withAcl)]).toEqual([400, 'AccessControlListNotSupported'])
    expect(withAcl.body.toString()).toContain('<Message>The bucket does not allow ACLs</Message>')
    const withGrant = await send(storage, await s3(user, { method: 'POST', path: key, query: { uploads: '' }, headers: { 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' } }), undefined, ca)
    expect([withGrant.status, s3Code(withGrant)]).toEqual([400, 'AccessControlListNotSupported'])
    // The one ACL a bucket without ACLs accepts: the bucket owner's full control, which it has anyway.
    const ownerAcl = await send(storage, await s3(user, { method: 'PUT', path: key, body: 'x', headers: { 'x-amz-acl': 'bucket-owner-full-control' } }), 'x', ca)
    expect(ownerAcl.status).toBe(200)

    const policy = '{"Version":"2012-10-17","Statement":[]}'
    const unsigned = await send(storage, { method: 'PUT', target: `/${bucket}?policy`, headers: { host: storage } }, policy, ca)
    expect([unsigned.status, s3Code(unsigned)]).toEqual([403, 'AccessDenied'])
    // Signed, the caller learns what the sandbox does not serve.
    const signed = await send(storage, await s3(admin, { method: 'PUT', path: `/${bucket}`, query: { policy: '' }, body: policy }), policy, ca)
    expect([signed.status, s3Code(signed)]).toEqual([501, 'NotImplemented'])
    await expectServing()
  })
})
