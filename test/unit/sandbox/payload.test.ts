/**
 * Bodies S3 reads after the signature (iam/payload.ts): a declared SHA-256 checked as the body
 * streams, `aws-chunked` bodies with signed chunks (the S3 documentation's own example, signature
 * by signature) and with a trailing checksum as the real AWS SDK sends uploads, and bodies that do
 * not match what was signed.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http'
import { describe, expect, it } from 'vitest'
import { payloadDecoder, PayloadRejected, type PayloadDecoder } from '../../../sandbox/iam/payload'
import { verifySignature, type SeedSignature, type SigningSecret } from '../../../sandbox/iam/sigv4'

/** Runs `body` through a decoder; resolves with what came out and the trailers, or the S3 error code it failed with. */
async function decode(decoder: PayloadDecoder, body: Buffer | Buffer[]): Promise<{ bytes: Buffer, trailers: Record<string, string> } | { code: string }> {
  const chunks: Buffer[] = []
  decoder.on('data', (chunk: Buffer) => chunks.push(chunk))
  try {
    await new Promise<void>((resolve, reject) => {
      decoder.on('end', resolve).on('error', reject)
      Readable.from(Array.isArray(body) ? body : [body]).pipe(decoder)
    })
    return { bytes: Buffer.concat(chunks), trailers: { ...decoder.trailers } }
  }
  catch (error) {
    if (error instanceof PayloadRejected) return { code: error.failure.code }
    throw error
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const seedOf = (payloadHash: string): SeedSignature => ({ signature: '0'.repeat(64), longDate: '20250101T000000Z', scope: '20250101/us-east-1/s3/aws4_request', payloadHash, sign: async () => 'x' })

describe('a body whose SHA-256 the signature names', () => {
  it('passes it on when it matches, in any chunking', async () => {
    const body = Buffer.from('hello, storage')
    expect(await decode(payloadDecoder({ seed: seedOf(sha256(body)) }), [body.subarray(0, 3), body.subarray(3)])).toMatchObject({ bytes: body })
  })

  it('fails with XAmzContentSHA256Mismatch when it does not', async () => {
    expect(await decode(payloadDecoder({ seed: seedOf(sha256('hello')) }), Buffer.from('HELLO'))).toEqual({ code: 'XAmzContentSHA256Mismatch' })
  })

  it('takes an UNSIGNED-PAYLOAD body as it is', async () => {
    expect(await decode(payloadDecoder({ seed: seedOf('UNSIGNED-PAYLOAD') }), Buffer.from('anything'))).toMatchObject({ bytes: Buffer.from('anything') })
  })
})

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed chunks)', () => {
  // "Example: PUT Object" of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html:
  // 66,560 bytes of 'a' in a 65,536-byte chunk, a 1,024-byte chunk and the final empty one.
  const secret: SigningSecret = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }
  const signatures = {
    seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    first: 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    second: '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    last: 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  }
  const chunk = (size: number, signature: string) => Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${signature}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')])
  const body = (last = signatures.last) => Buffer.concat([chunk(65_536, signatures.first), chunk(1024, signatures.second), Buffer.from(`0;chunk-signature=${last}\r\n\r\n`)])

  const verified = async () => {
    const check = await verifySignature({
      method: 'PUT',
      path: '/examplebucket/chunkObject.txt',
      query: '',
      headers: {
        'host': 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'authorization': `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${signatures.seed}`,
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
      },
    }, { service: 's3', region: 'us-east-1', lookup: key => (key === secret.accessKeyId ? secret : undefined), now: new Date('2013-05-24T00:00:00Z') })
    if (!check.ok) throw new Error(`${check.code}: ${check.message}`)
    return check.seed
  }

  it('accepts the documentation\'s request and then its body, chunk by chunk, however the bytes arrive', async () => {
    const seed = await verified()
    expect(seed.signature).toBe(signatures.seed)
    const whole = body()
    const pieces = [whole.subarray(0, 10), whole.subarray(10, 70_000), whole.subarray(70_000)]
    expect(await decode(payloadDecoder({ seed, decodedLength: 66_560 }), pieces)).toMatchObject({ bytes: Buffer.alloc(66_560, 'a') })
  })

  it('refuses a chunk whose signature does not chain, altered bytes, a cut-off body and one shorter than declared', async () => {
    const seed = await verified()
    expect(await decode(payloadDecoder({ seed, decodedLength: 66_560 }), body('f'.repeat(64)))).toEqual({ code: 'SignatureDoesNotMatch' })
    const altered = body()
    altered[200] = 0x62
    expect(await decode(payloadDecoder({ seed, decodedLength: 66_560 }), altered)).toEqual({ code: 'SignatureDoesNotMatch' })
    expect(await decode(payloadDecoder({ seed, decodedLength: 66_560 }), body().subarray(0, 1000))).toEqual({ code: 'InvalidRequest' })
    expect(await decode(payloadDecoder({ seed, decodedLength: 70_000 }), body())).toEqual({ code: 'IncompleteBody' })
  })
})

describe('STREAMING-UNSIGNED-PAYLOAD-TRAILER, as the AWS SDK for JavaScript uploads', () => {
  it('decodes the SDK\'s own body and hands over its checksum trailer', async () => {
    let captured: HttpRequest | undefined
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'https://127.0.0.1:20003',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      requestHandler: {
        handle: async (request: HttpRequest) => {
          captured = request
          return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) }
        },
      },
    })
    const content = Buffer.alloc(100_000, 'z')
    await client.send(new PutObjectCommand({ Bucket: 'files.local', Key: 'a.bin', Body: Readable.from([content]), ContentLength: content.length }))
    expect(captured!.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER')
    const wire: Buffer[] = []
    for await (const piece of captured!.body as Readable) wire.push(Buffer.from(piece as Uint8Array))
    const result = await decode(payloadDecoder({ seed: seedOf('STREAMING-UNSIGNED-PAYLOAD-TRAILER'), decodedLength: Number(captured!.headers['x-amz-decoded-content-length']) }), wire)
    expect(result).toMatchObject({ bytes: content, trailers: { [captured!.headers['x-amz-trailer']!]: expect.any(String) } })
  })
})
