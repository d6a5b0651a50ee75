/**
 * The Lambda proxy integration's two halves, as API Gateway does them: the event a function gets
 * (payload format 1.0) and what becomes of the result it returns.
 */
import { describe, expect, it } from 'vitest'
import type { Principal } from '../../../sandbox/iam'
import { claimStrings, isBinaryMediaType, proxyEvent, type ProxyEventInput } from '../../../sandbox/rest/event'
import { proxyResponse } from '../../../sandbox/rest/response'

const now = new Date('2026-03-05T07:08:09.010Z')

function input(overrides: { request?: Partial<ProxyEventInput['request']>, target?: Partial<ProxyEventInput['target']>, caller?: ProxyEventInput['caller'] } = {}): ProxyEventInput {
  return {
    request: { httpMethod: 'GET', rawHeaders: ['Host', '127.0.0.1:20004', 'User-Agent', 'test/1'], rawQuery: '', body: Buffer.alloc(0), sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', ...overrides.request },
    target: {
      accountId: '000000000000',
      region: 'us-east-1',
      apiId: 'abc123defg',
      stage: 'dev',
      stageVariables: {},
      binaryMediaTypes: ['image/*'],
      resourcePath: '/items/{proxy+}',
      resourceId: 'res1',
      path: '/items/a b',
      pathParameters: { proxy: 'a b' },
      ...overrides.target,
    },
    caller: overrides.caller ?? { kind: 'none' },
    requestId: 'req-1',
    extendedRequestId: 'ext-1',
    now,
  }
}

describe('proxyEvent', () => {
  it('has every field of payload format 1.0, null where the request has nothing', () => {
    const event = proxyEvent(input({ target: { pathParameters: {}, resourcePath: '/items', path: '/items' } }))
    expect(event).toMatchObject({
      resource: '/items',
      path: '/items',
      httpMethod: 'GET',
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'abc123defg',
        stage: 'dev',
        path: '/dev/items',
        resourcePath: '/items',
        resourceId: 'res1',
        httpMethod: 'GET',
        requestId: 'req-1',
        protocol: 'HTTP/1.1',
        requestTime: '05/Mar/2026:07:08:09 +0000',
        requestTimeEpoch: now.getTime(),
        identity: { sourceIp: '127.0.0.1', userAgent: 'test/1', cognitoIdentityId: null, userArn: null },
      },
    })
    expect(event.requestContext.authorizer).toBeUndefined()
  })

  it('keeps header names as sent, the last value singly and every value in multiValueHeaders', () => {
    const event = proxyEvent(input({ request: { rawHeaders: ['X-Thing', 'one', 'accept', 'a/b', 'x-thing', 'two'] } }))
    expect(event.headers).toEqual({ 'X-Thing': 'two', 'accept': 'a/b' })
    expect(event.multiValueHeaders).toEqual({ 'X-Thing': ['one', 'two'], 'accept': ['a/b'] })
  })

  it('decodes the query as a form, with the last value singly and all of them in the multi-value map', () => {
    const event = proxyEvent(input({ request: { rawQuery: 'x=1&x=2&sort=-+createdAt&e=%26%3D&flag' } }))
    expect(event.queryStringParameters).toEqual({ x: '2', sort: '- createdAt', e: '&=', flag: '' })
    expect(event.multiValueQueryStringParameters).toEqual({ x: ['1', '2'], sort: ['- createdAt'], e: ['&='], flag: [''] })
  })

  it('passes path parameters and stage variables', () => {
    const event = proxyEvent(input({ target: { stageVariables: { table: 'Items' } } }))
    expect(event.pathParameters).toEqual({ proxy: 'a b' })
    expect(event.stageVariables).toEqual({ table: 'Items' })
  })

  it('sends a body as text, or base64 when its Content-Type is a binary media type of the API', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4E, 0x47, 0xFF])
    const binary = proxyEvent(input({ request: { rawHeaders: ['Content-Type', 'image/png'], body: bytes } }))
    expect(binary).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true })
    const text = proxyEvent(input({ request: { rawHeaders: ['Content-Type', 'application/json; charset=utf-8'], body: Buffer.from('{"a":"é"}') } }))
    expect(text).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false })
  })

  it('describes an IAM caller from the identity pool in requestContext.identity', () => {
    const principal: Principal = {
      accessKeyId: 'ASIAEXAMPLE',
      role: { arn: 'arn:aws:iam::000000000000:role/authRole', name: 'authRole', roleId: 'AROAAUTH', policies: [] },
      userArn: 'arn:aws:sts::000000000000:assumed-role/authRole/CognitoIdentityCredentials',
      identity: {
        identityPoolId: 'us-east-1:pool',
        identityId: 'us-east-1:identity',
        authType: 'authenticated',
        authProvider: '"cognito-idp.us-east-1.amazonaws.com/us-east-1_x","cognito-idp.us-east-1.amazonaws.com/us-east-1_x:CognitoSignIn:sub-1"',
      },
      admin: false,
    }
    const { identity } = proxyEvent(input({ caller: { kind: 'iam', principal } })).requestContext
    expect(identity).toMatchObject({
      accessKey: 'ASIAEXAMPLE',
      accountId: '000000000000',
      caller: 'AROAAUTH:CognitoIdentityCredentials',
      user: 'AROAAUTH:CognitoIdentityCredentials',
      userArn: 'arn:aws:sts::000000000000:assumed-role/authRole/CognitoIdentityCredentials',
      cognitoIdentityPoolId: 'us-east-1:pool',
      cognitoIdentityId: 'us-east-1:identity',
      cognitoAuthenticationType: 'authenticated',
      cognitoAuthenticationProvider: 'cognito-idp.us-east-1.amazonaws.com/us-east-1_x,cognito-idp.us-east-1.amazonaws.com/us-east-1_x:CognitoSignIn:sub-1',
    })
  })

  it('puts a Cognito caller\'s claims in requestContext.authorizer.claims, as strings', () => {
    const event = proxyEvent(input({ caller: { kind: 'cognito', claims: { 'sub': 'sub-1', 'email_verified': true, 'cognito:groups': ['Admin', 'Editors'], 'exp': 1469818373, 'iat': 1469814773, 'auth_time': 1469814773 } } }))
    expect(event.requestContext.authorizer).toEqual({
      claims: {
        'sub': 'sub-1',
        'email_verified': 'true',
        'cognito:groups': '[Admin Editors]',
        'exp': 'Fri Jul 29 18:52:53 UTC 2016',
        'iat': 'Fri Jul 29 17:52:53 UTC 2016',
        'auth_time': '1469814773',
      },
    })
  })
})

describe('isBinaryMediaType', () => {
  it('matches exact types and * wildcards, ignoring parameters and case', () => {
    expect(isBinaryMediaType('image/png', ['image/png'])).toBe(true)
    expect(isBinaryMediaType('Image/PNG; q=1', ['image/*'])).toBe(true)
    expect(isBinaryMediaType('text/plain', ['*/*'])).toBe(true)
    expect(isBinaryMediaType('application/json', ['image/*', 'application/octet-stream'])).toBe(false)
    expect(isBinaryMediaType(undefined, ['*/*'])).toBe(false)
  })
})

describe('proxyResponse', () => {
  const binaryMediaTypes = ['image/png']

  it('passes status, headers (multi values included) and body, defaulting the type to JSON', () => {
    const answer = proxyResponse({ statusCode: 418, headers: { 'X-One': '1', 'Set-Cookie': 'ignored' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: 'short and stout' }, { binaryMediaTypes })
    expect(answer).toEqual({
      ok: true,
      statusCode: 418,
      headers: [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-One', '1'], ['Content-Type', 'application/json']],
      body: Buffer.from('short and stout'),
    })
  })

  it('takes a missing body as empty and renames headers that would break the answer\'s framing', () => {
    const answer = proxyResponse({ statusCode: 204, headers: { 'Content-Length': '99', 'content-type': 'text/plain', 'Connection': 'close' } }, { binaryMediaTypes })
    expect(answer).toMatchObject({ ok: true, body: Buffer.alloc(0), headers: [['x-amzn-Remapped-Content-Length', '99'], ['content-type', 'text/plain'], ['x-amzn-Remapped-Connection', 'close']] })
  })

  it('decodes a base64 body only for a caller whose first Accept type is a binary media type', () => {
    const bytes = Buffer.from([0, 1, 2, 254, 255])
    const result = { statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: bytes.toString('base64'), isBase64Encoded: true }
    expect(proxyResponse(result, { accept: 'image/png, */*', binaryMediaTypes })).toMatchObject({ body: bytes })
    expect(proxyResponse(result, { accept: '*/*', binaryMediaTypes })).toMatchObject({ body: Buffer.from(bytes.toString('base64')) })
    expect(proxyResponse(result, { accept: 'text/html, image/png', binaryMediaTypes })).toMatchObject({ body: Buffer.from(bytes.toString('base64')) })
  })

  it.each([
    ['a bare object', { hello: 'world' }],
    ['a string status', { statusCode: '200', body: '' }],
    ['an object body', { statusCode: 200, body: { a: 1 } }],
    ['an object header', { statusCode: 200, headers: { a: { b: 1 } } }],
    ['a multi-value header that is not a list', { statusCode: 200, multiValueHeaders: { a: 'b' } }],
    ['null', null],
    ['a string', 'hello'],
  ])('calls %s malformed (API Gateway\'s 502)', (_name, result) => {
    expect(proxyResponse(result, { binaryMediaTypes })).toMatchObject({ ok: false, reason: expect.stringMatching(/^Malformed Lambda proxy response/) })
  })
})

describe('claimStrings', () => {
  it('writes objects as JSON and leaves out nulls', () => {
    expect(claimStrings({ address: { street: 'x' }, gone: null } as never)).toEqual({ address: '{"street":"x"}' })
  })
})
