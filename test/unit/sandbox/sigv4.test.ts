/**
 * SigV4 verification against requests signed by others: the AWS SDK for JavaScript v3 (real
 * clients, their own middleware), aws-amplify's own signer (a separate implementation, the one the
 * browser uses for IAM data calls and Storage URLs), and the AWS Signature Version 4 test suite's
 * published signatures (the vectors `aws4` and other signers are checked against).
 */
import { Readable } from 'node:stream'
import { Sha256 } from '@aws-crypto/sha256-js'
import { presignUrl, signRequest, UNSIGNED_PAYLOAD } from '@aws-amplify/core/internals/aws-client-utils'
import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { HttpRequest, HttpResponse } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { describe, expect, it } from 'vitest'
import { verifySignature, type SigningSecret, type VerifyOptions } from '../../../sandbox/iam/sigv4'
import type { SignedRequest } from '../../../sandbox/iam/types'

const REGION = 'us-east-1'
const TEMPORARY: SigningSecret = {
  accessKeyId: 'ASIAQWERTYUIOPASDFGH',
  secretAccessKey: 'k7MDENGbPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN+/=',
  expiresAt: Date.now() + 3_600_000,
}
const LONG_TERM: SigningSecret = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
const known = new Map([TEMPORARY, LONG_TERM].map(secret => [secret.accessKeyId, secret]))

const verify = (request: SignedRequest, service: string, options: Partial<VerifyOptions> = {}) =>
  verifySignature(request, { service, region: REGION, lookup: key => known.get(key), ...options })

/** What a service receives for a request the SDK signed: the path and query exactly as on the wire. */
function received(request: HttpRequest): SignedRequest {
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map(v => v === null ? escape(name) : `${escape(name)}=${escape(v)}`))
    .join('&')
  return {
    method: request.method,
    path: request.path,
    query,
    headers: { ...request.headers, host: request.headers.host ?? `${request.hostname}${request.port ? `:${request.port}` : ''}` },
    body: request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array),
  }
}

/** The SDK's query encoding (RFC 3986). */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** A request signed by aws-amplify's signer, as the server receives it. */
function receivedFromUrl(method: string, url: URL, headers: Record<string, string>, body?: string): SignedRequest {
  return { method, path: url.pathname, query: url.search.slice(1), headers: { host: url.host, ...headers }, body }
}

/** A real SDK client's request, captured where it would go on the wire, answered with `{}`. */
function capturing(): { requestHandler: { handle: (request: HttpRequest) => Promise<{ response: HttpResponse }> }, last: () => HttpRequest } {
  let captured: HttpRequest | undefined
  return {
    requestHandler: {
      handle: async (request: HttpRequest) => {
        captured = request
        return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{}')]) }) }
      },
    },
    last: () => captured!,
  }
}

async function signedBySmithy(request: Partial<HttpRequest> & { method: string }, options: { secret?: SigningSecret, service?: string, region?: string, signingDate?: Date } = {}): Promise<SignedRequest> {
  const secret = options.secret ?? TEMPORARY
  const signer = new SignatureV4({ service: options.service ?? 'appsync', region: options.region ?? REGION, credentials: secret, sha256: Sha256 })
  const signed = await signer.sign(new HttpRequest({ protocol: 'http:', hostname: '127.0.0.1', port: 20002, path: '/graphql', ...request, headers: { host: '127.0.0.1:20002', ...request.headers } }), { signingDate: options.signingDate })
  return received(signed as HttpRequest)
}

const graphql = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"query { listTodos { items { id } } }"}' }

describe('SigV4 verification of requests the real AWS SDK signed', () => {
  it('accepts a Cognito admin call from @aws-sdk/client-cognito-identity-provider with long-term keys', async () => {
    const wire = capturing()
    const client = new CognitoIdentityProviderClient({ region: REGION, endpoint: 'http://127.0.0.1:20001', credentials: LONG_TERM, requestHandler: wire.requestHandler })
    await client.send(new ListUsersCommand({ UserPoolId: 'us-east-1_Example12', Filter: 'email = "a+b@example.com"' }))
    const request = received(wire.last())
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/cognito-idp\/aws4_request/)
    expect(await verify(request, 'cognito-idp')).toMatchObject({ ok: true, secret: LONG_TERM })
  })

  it('accepts temporary credentials and refuses the same request without, or with another, session token', async () => {
    const wire = capturing()
    const client = new CognitoIdentityProviderClient({ region: REGION, endpoint: 'http://127.0.0.1:20001', credentials: TEMPORARY, requestHandler: wire.requestHandler })
    await client.send(new ListUsersCommand({ UserPoolId: 'us-east-1_Example12' }))
    const request = received(wire.last())
    expect(await verify(request, 'cognito-idp')).toMatchObject({ ok: true })

    const { 'x-amz-security-token': _token, ...withoutToken } = request.headers
    const invalid = { ok: false, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }
    expect(await verify({ ...request, headers: withoutToken }, 'cognito-idp')).toMatchObject(invalid)
    expect(await verify({ ...request, headers: { ...request.headers, 'x-amz-security-token': `${TEMPORARY.sessionToken}x` } }, 'cognito-idp')).toMatchObject(invalid)
  })

  it('accepts an S3 upload from @aws-sdk/client-s3, whose path is signed as sent (not encoded twice)', async () => {
    const wire = capturing()
    const client = new S3Client({ region: REGION, endpoint: 'http://127.0.0.1:20005', forcePathStyle: true, credentials: TEMPORARY, requestHandler: wire.requestHandler })
    await client.send(new PutObjectCommand({ Bucket: 'files', Key: 'public/my photo (1)+ü.txt', Body: 'hello' })).catch(() => {})
    const request = received(wire.last())
    expect(request.path).toBe('/files/public/my%20photo%20%281%29%2B%C3%BC.txt')
    expect(await verify(request, 's3')).toMatchObject({ ok: true })
    // The body S3 was told about is the one signed for.
    expect(await verify({ ...request, body: 'HELLO' }, 's3')).toMatchObject({ ok: false, code: 'XAmzContentSHA256Mismatch' })
    // Verified as a service that encodes paths twice, the same signature does not hold.
    expect(await verify(request, 'appsync').then(r => r.ok)).toBe(false)
  })
})

describe('SigV4 verification of requests aws-amplify signed (its own signer, the browser\'s)', () => {
  const credentials = { accessKeyId: TEMPORARY.accessKeyId, secretAccessKey: TEMPORARY.secretAccessKey, sessionToken: TEMPORARY.sessionToken }

  it('accepts an IAM-authorized GraphQL call as the data client signs it', async () => {
    const url = new URL('http://127.0.0.1:20002/graphql')
    const signed = signRequest({ method: 'POST', url, headers: graphql.headers, body: graphql.body }, { credentials, signingRegion: REGION, signingService: 'appsync' })
    expect(await verify(receivedFromUrl('POST', url, signed.headers, graphql.body), 'appsync')).toMatchObject({ ok: true })
  })

  it('accepts a presigned S3 GET URL (as Storage getUrl makes it) until it expires, and not altered', async () => {
    const url = new URL('http://127.0.0.1:20005/files/protected/us-east-1%3Aabc/r%C3%A9sum%C3%A9.pdf?response-content-disposition=attachment%3B%20filename%3D%22cv.pdf%22')
    const signingDate = new Date()
    const presigned = presignUrl({ method: 'GET', url, body: UNSIGNED_PAYLOAD }, { credentials, signingRegion: REGION, signingService: 's3', uriEscapePath: false, expiration: 900, signingDate })
    const request = receivedFromUrl('GET', presigned, {})
    expect(await verify(request, 's3')).toMatchObject({ ok: true })
    expect(await verify(request, 's3', { now: new Date(signingDate.getTime() + 901_000) })).toMatchObject({ ok: false, code: 'AccessDenied', message: 'Request has expired' })
    expect(await verify({ ...request, path: request.path.replace('r%C3%A9sum%C3%A9', 'other') }, 's3')).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
    expect(await verify({ ...request, query: request.query.replace('filename%3D%22cv.pdf', 'filename%3D%22x.pdf') }, 's3')).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
  })
})

describe('SigV4 verification against the AWS Signature Version 4 test suite', () => {
  // The suite's fixed key, date and host (docs.aws.amazon.com, "Signature Version 4 test suite").
  const suiteKey: SigningSecret = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
  const suite = (request: SignedRequest, service = 'service', now = new Date('2015-08-30T12:36:00Z')) =>
    verifySignature(request, { service, region: REGION, now, lookup: key => (key === suiteKey.accessKeyId ? suiteKey : undefined) })
  const authorization = (signedHeaders: string, signature: string) =>
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`
  const base = { path: '/', query: '', headers: { 'host': 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' } }

  it.each([
    ['get-vanilla', { ...base, method: 'GET' }, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['post-vanilla', { ...base, method: 'POST' }, '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['get-vanilla-query-order-key-case', { ...base, method: 'GET', query: 'Param2=value2&Param1=value1' }, 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
  ])('%s', async (_name, request, signature) => {
    const signed = { ...request, headers: { ...request.headers, authorization: authorization('host;x-amz-date', signature) } }
    expect(await suite(signed)).toMatchObject({ ok: true })
    expect(await suite({ ...signed, method: signed.method === 'GET' ? 'POST' : 'GET' })).toMatchObject({ ok: false, code: 'InvalidSignatureException' })
  })

  it('accepts the S3 documentation\'s signed GET (with a Range header) and its presigned URL', async () => {
    const s3 = { method: 'GET', path: '/test.txt', query: '' }
    const headers = {
      'host': 'examplebucket.s3.amazonaws.com',
      'range': 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      'authorization': 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    }
    const at = new Date('2013-05-24T00:00:00Z')
    expect(await verify({ ...s3, headers }, 's3', { now: at })).toMatchObject({ ok: true })
    expect(await verify({ ...s3, headers: { ...headers, range: 'bytes=0-99' } }, 's3', { now: at })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })

    const presigned = {
      ...s3,
      query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    }
    expect(await verify(presigned, 's3', { now: new Date('2013-05-24T12:00:00Z') })).toMatchObject({ ok: true })
    expect(await verify(presigned, 's3', { now: new Date('2013-05-25T00:00:01Z') })).toMatchObject({ ok: false, code: 'AccessDenied', message: 'Request has expired' })
  })
})

describe('SigV4 refusals', () => {
  it('refuses a forged signature (another secret for the same key)', async () => {
    const forged = await signedBySmithy(graphql, { secret: { ...TEMPORARY, secretAccessKey: 'x'.repeat(40) } })
    expect(await verify(forged, 'appsync')).toEqual({
      ok: false,
      status: 403,
      code: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    })
  })

  it('refuses a request altered after signing: body, path, query or a signed header', async () => {
    const signed = await signedBySmithy({ ...graphql, query: { a: '1' } })
    expect(await verify(signed, 'appsync')).toMatchObject({ ok: true })
    const altered: SignedRequest[] = [
      { ...signed, body: graphql.body.replace('id', 'owner') },
      { ...signed, path: '/graphql/x' },
      { ...signed, query: 'a=2' },
      { ...signed, query: 'a=1&b=2' },
      { ...signed, headers: { ...signed.headers, 'content-type': 'text/plain' } },
      { ...signed, method: 'PUT' },
    ]
    for (const request of altered) expect(await verify(request, 'appsync')).toMatchObject({ ok: false, code: 'InvalidSignatureException' })
    // A header nobody signed may change freely.
    expect(await verify({ ...signed, headers: { ...signed.headers, 'user-agent': 'curl/8' } }, 'appsync')).toMatchObject({ ok: true })
  })

  it('refuses expired credentials, keys it never issued, and a session token sent with long-term keys', async () => {
    const signed = await signedBySmithy(graphql)
    expect(await verify(signed, 'appsync', { lookup: () => ({ ...TEMPORARY, expiresAt: Date.now() - 1 }) }))
      .toEqual({ ok: false, status: 403, code: 'ExpiredTokenException', message: 'The security token included in the request is expired' })
    expect(await verify(signed, 'appsync', { lookup: () => undefined }))
      .toEqual({ ok: false, status: 403, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' })
    const longTerm = await signedBySmithy(graphql, { secret: LONG_TERM })
    expect(await verify({ ...longTerm, headers: { ...longTerm.headers, 'x-amz-security-token': 'anything' } }, 'appsync')).toMatchObject({ code: 'UnrecognizedClientException' })
  })

  it('allows 15 minutes of clock skew either way, and no more', async () => {
    const minutes = (n: number) => new Date(Date.now() + n * 60_000)
    expect(await verify(await signedBySmithy(graphql, { signingDate: minutes(-14) }), 'appsync')).toMatchObject({ ok: true })
    expect(await verify(await signedBySmithy(graphql, { signingDate: minutes(14) }), 'appsync')).toMatchObject({ ok: true })
    expect(await verify(await signedBySmithy(graphql, { signingDate: minutes(-16) }), 'appsync')).toMatchObject({ code: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/) })
    expect(await verify(await signedBySmithy(graphql, { signingDate: minutes(16) }), 'appsync')).toMatchObject({ code: 'InvalidSignatureException', message: expect.stringMatching(/^Signature not yet current/) })
    expect(await verify(await signedBySmithy({ method: 'GET', path: '/x', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, { service: 's3', signingDate: minutes(-16) }), 's3')).toMatchObject({ code: 'RequestTimeTooSkewed' })
  })

  it('refuses a signature scoped to another service or region', async () => {
    expect(await verify(await signedBySmithy(graphql, { service: 'cognito-idp' }), 'appsync'))
      .toMatchObject({ code: 'InvalidSignatureException', message: 'Credential should be scoped to correct service: \'appsync\'.' })
    expect(await verify(await signedBySmithy(graphql, { region: 'eu-west-1' }), 'appsync'))
      .toMatchObject({ code: 'InvalidSignatureException', message: expect.stringContaining('valid region, not \'eu-west-1\'') })
  })

  it('answers unsigned and malformed requests with the errors AWS gives', async () => {
    const signed = await signedBySmithy(graphql)
    const { authorization, ...unsigned } = signed.headers
    expect(await verify({ ...signed, headers: unsigned }, 'appsync')).toEqual({ ok: false, status: 403, code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' })
    expect(await verify({ ...signed, headers: { ...unsigned, authorization: 'AWS4-HMAC-SHA256 Credential=ASIA/x' } }, 'appsync'))
      .toMatchObject({ status: 400, code: 'IncompleteSignatureException', message: expect.stringContaining('Authorization header requires \'Signature\' parameter.') })
    expect(await verify({ ...signed, headers: { ...unsigned, authorization: 'AWS4-ECDSA-P256-SHA256 Credential=x' } }, 'appsync')).toMatchObject({ code: 'IncompleteSignatureException' })
    const { 'x-amz-date': _date, ...undated } = signed.headers
    expect(await verify({ ...signed, headers: undated }, 'appsync')).toMatchObject({ code: 'IncompleteSignatureException', message: expect.stringContaining('\'X-Amz-Date\' or a \'Date\' header') })
    expect(String(authorization)).toContain('SignedHeaders=')
    expect(await verify({ ...signed, headers: { ...signed.headers, authorization: String(authorization).replace(/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;x-amz-date') } }, 'appsync'))
      .toMatchObject({ code: 'InvalidSignatureException', message: expect.stringContaining('\'Host\'') })
  })

  it('refuses presigned URLs that are altered, expired or good for more than a week', async () => {
    const signer = new SignatureV4({ service: 's3', region: REGION, credentials: TEMPORARY, sha256: Sha256, uriEscapePath: false })
    const signingDate = new Date()
    const presign = async (expiresIn: number) => received(await signer.presign(
      new HttpRequest({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 20005, path: '/files/public/a.txt', headers: { 'host': '127.0.0.1:20005', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { expiresIn, signingDate },
    ) as HttpRequest)
    // As @aws-sdk/s3-request-presigner presigns: the payload is unsigned, the declaration hoisted into the query.
    const request = await presign(60)
    expect(request.query).toContain('x-amz-content-sha256=UNSIGNED-PAYLOAD')
    expect(request.query).toContain('X-Amz-Security-Token=')
    expect(await verify(request, 's3')).toMatchObject({ ok: true })
    expect(await verify(request, 's3', { now: new Date(signingDate.getTime() + 61_000) })).toMatchObject({ code: 'AccessDenied', message: 'Request has expired' })
    expect(await verify({ ...request, path: '/files/public/b.txt' }, 's3')).toMatchObject({ code: 'SignatureDoesNotMatch' })
    expect(await verify({ ...request, query: request.query.replace('X-Amz-Expires=60', 'X-Amz-Expires=6000') }, 's3')).toMatchObject({ code: 'SignatureDoesNotMatch' })
    expect(await verify({ ...request, query: request.query.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801') }, 's3')).toMatchObject({ code: 'AuthorizationQueryParametersError' })
    expect(await verify({ ...request, query: request.query.replace(/X-Amz-Security-Token=[^&]+&?/, '') }, 's3')).toMatchObject({ code: 'InvalidToken' })
    expect(await verify({ ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }, 's3')).toMatchObject({ code: 'InvalidArgument' })
  })
})
