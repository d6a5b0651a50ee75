/**
 * Object rules of the local S3 (sandbox/storage/objects.ts, cors.ts): byte ranges as S3 serves
 * them, ETags (a multipart upload's too, checked against one S3 gave), what an object keeps of its
 * upload's headers, and a bucket's CORS rules.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { corsHeaders, matchingRule, requestedHeaders } from '../../../sandbox/storage/cors'
import { attributesFromHeaders, etagMatches, etagOf, multipartEtag, parseRange } from '../../../sandbox/storage/objects'
import type { CorsRule } from '../../../sandbox/storage/settings'

describe('Range', () => {
  it.each([
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=95-', { kind: 'partial', start: 95, end: 99 }],
    ['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=90-500', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    // What S3 ignores (another unit, several ranges, a reversed one) gets the whole object.
    ['items=0-9', { kind: 'whole' }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['bytes=9-0', { kind: 'whole' }],
    [undefined, { kind: 'whole' }],
  ])('%s of 100 bytes: %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected)
  })
})

describe('ETags', () => {
  it('are the MD5 of the bytes in quotes', () => {
    expect(etagOf(createHash('md5').update('hello').digest())).toBe('"5d41402abc4b2a76b9719d911017c592"')
  })

  it('are, for a multipart upload, the MD5 of the parts\' MD5s with the part count', () => {
    // Two parts of 5 MiB of 'a' and 1 byte of 'b', as S3 computes it.
    const parts = [etagOf(createHash('md5').update(Buffer.alloc(5 * 1024 * 1024, 'a')).digest()), etagOf(createHash('md5').update('b').digest())]
    const expected = createHash('md5').update(Buffer.concat(parts.map(p => Buffer.from(p.slice(1, -1), 'hex')))).digest('hex')
    expect(multipartEtag(parts)).toBe(`"${expected}-2"`)
  })

  it('match If-Match / If-None-Match with or without quotes, in lists, and *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true)
    expect(etagMatches('abc', '"abc"')).toBe(true)
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true)
    expect(etagMatches('*', '"abc"')).toBe(true)
    expect(etagMatches('"x"', '"abc"')).toBe(false)
  })
})

describe('what an object keeps of its upload', () => {
  it('keeps Content-Type, the content headers and x-amz-meta-*, and drops aws-chunked framing', () => {
    expect(attributesFromHeaders({
      'content-type': 'image/png',
      'content-disposition': 'attachment; filename="a.png"',
      'cache-control': 'max-age=60',
      'content-encoding': 'aws-chunked, gzip',
      'x-amz-meta-owner': 'ada',
      'authorization': 'AWS4-HMAC-SHA256 …',
    })).toEqual({
      contentType: 'image/png',
      headers: { 'content-disposition': 'attachment; filename="a.png"', 'cache-control': 'max-age=60', 'content-encoding': 'gzip' },
      metadata: { owner: 'ada' },
    })
    expect(attributesFromHeaders({ 'content-encoding': 'aws-chunked' })).toEqual({ contentType: 'binary/octet-stream', headers: {}, metadata: {} })
  })
})

describe('CORS', () => {
  // What Gen 2 synthesizes for every defineStorage bucket.
  const gen2: CorsRule = { allowedOrigins: ['*'], allowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], allowedHeaders: ['*'], exposedHeaders: ['x-amz-server-side-encryption', 'x-amz-request-id', 'x-amz-id-2', 'ETag'], maxAgeSeconds: 3000 }
  const app: CorsRule = { allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET'], allowedHeaders: ['x-amz-*', 'authorization'], exposedHeaders: [] }

  it('allows what Gen 2\'s rule allows, exposing ETag (multipart uploads read it)', () => {
    const rule = matchingRule([gen2], 'http://localhost:3000', 'PUT', requestedHeaders('Authorization, x-amz-date, Content-Type'))
    expect(rule).toBe(gen2)
    expect(corsHeaders(rule!, 'http://localhost:3000', { requestHeaders: ['authorization', 'x-amz-date', 'content-type'] })).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE',
      'access-control-allow-headers': 'authorization, x-amz-date, content-type',
      'access-control-expose-headers': 'x-amz-server-side-encryption, x-amz-request-id, x-amz-id-2, ETag',
      'access-control-max-age': '3000',
      'vary': 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    })
  })

  it('matches origins and headers by their wildcards, and methods exactly; echoes a named origin with credentials', () => {
    expect(matchingRule([app], 'https://shop.example.com', 'GET', ['x-amz-date', 'authorization'])).toBe(app)
    expect(matchingRule([app], 'https://example.org', 'GET')).toBeUndefined()
    expect(matchingRule([app], 'https://shop.example.com', 'PUT')).toBeUndefined()
    expect(matchingRule([app], 'https://shop.example.com', 'GET', ['content-type'])).toBeUndefined()
    expect(corsHeaders(app, 'https://shop.example.com')).toMatchObject({ 'access-control-allow-origin': 'https://shop.example.com', 'access-control-allow-credentials': 'true' })
  })
})
