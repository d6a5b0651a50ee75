/**
 * REST APIs offline: the backend of the Gen 2 docs' "Set up Amplify REST API" page (a `RestApi`
 * with a Lambda integration, IAM paths, a proxy path, a Cognito user pool authorizer, CORS
 * preflights and the identity pool's roles allowed to invoke them), plus a public path, a path no
 * role may invoke, a slow one and a binary media type, called with the real aws-amplify REST
 * client (`get`, `post`, `put`, `del`, `head`, `patch`) configured as the docs configure it, and
 * with plain fetch where a browser's own requests matter (preflights, binary uploads).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../../sandbox'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { PNG } from '../../fixtures/backends/rest/amplify/functions/api-function/handler'
import { createAmplifyClient, type AmplifyTestClient, type RestMethod, type RestOutcome } from '../../support/amplify-users'
import { scratchProject } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Rest-api-pass-1'
const API = 'myRestApi'

interface EchoedEvent {
  resource: string
  path: string
  httpMethod: string
  headers: Record<string, string>
  queryStringParameters: Record<string, string> | null
  multiValueQueryStringParameters: Record<string, string[]> | null
  pathParameters: Record<string, string> | null
  body: string | null
  isBase64Encoded: boolean
  requestContext: {
    stage: string
    identity: Record<string, string | null>
    authorizer?: { claims: Record<string, string> }
  }
}

describe('REST API offline (the Gen 2 docs\' backend)', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: Sandbox
  let stop: () => Promise<void>
  let guest: AmplifyTestClient
  let user: AmplifyTestClient
  let userSub: string
  /** The stage's local URL, for plain fetch. */
  let url: string
  const lines: string[] = []

  const echoed = (outcome: RestOutcome): EchoedEvent => {
    if (!outcome.ok) throw new Error(`Expected a 2xx answer, got ${JSON.stringify(outcome.error)}`)
    return (JSON.parse(outcome.response.body!.text) as { event: EchoedEvent }).event
  }
  const refusal = (outcome: RestOutcome) => {
    if (outcome.ok) throw new Error(`Expected a refusal, got ${outcome.response.statusCode}`)
    return { name: outcome.error.name, status: outcome.error.response?.statusCode, body: outcome.error.response?.body }
  }
  const call = (client: AmplifyTestClient, method: RestMethod, path: string, options: Record<string, unknown> = {}) =>
    client.rest(method, { apiName: API, path, options: { retryStrategy: { strategy: 'no-retry' }, ...options } })

  beforeAll(async () => {
    // The docs' backend.ts, word for word where the docs have it, with a few paths of our own after it.
    project = await scratchProject('rest')
    ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir, log: line => lines.push(line) }))
    // As the docs configure it: the REST APIs from `custom.API`.
    const outputs = sandbox.outputs as unknown as AmplifyOutputs & { custom: { API: Record<string, unknown> } }
    const base = amplifyConfigFromOutputs(outputs)
    const config = { ...base, API: { ...base.API, REST: outputs.custom.API } } as Record<string, unknown>
    url = (outputs.custom.API[API] as { endpoint: string }).endpoint

    guest = await createAmplifyClient({ config })
    user = await createAmplifyClient({ config })
    const email = `rest-${Date.now()}@example.com`
    await user.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
    await user.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
    await user.signIn({ username: email, password: PASSWORD })
    userSub = (await user.fetchAuthSession()).userSub!
  })
  afterAll(async () => {
    await Promise.all([guest?.close(), user?.close()])
    await stop?.()
    await project?.remove()
  })

  it('points custom.API at the local API Gateway, and says nothing of the API as unserved', () => {
    const [api] = sandbox.rest.apis
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[a-z0-9]{10}\/dev\/$/)
    expect(url).toBe(sandbox.rest.url(api!.id, 'dev'))
    expect((sandbox.outputs.custom as { API: unknown }).API).toEqual({ [API]: { endpoint: url, region: 'us-east-1', apiName: API } })
    expect(lines.filter(line => /REST API|API Gateway/.test(line))).toEqual([])
  })

  it('IAM path: an unsigned call is 403 Missing Authentication Token, as API Gateway answers', async () => {
    expect(refusal(await call(guest, 'get', 'items', { defaultAuthMode: 'none' }))).toEqual({
      name: 'MissingAuthenticationTokenException',
      status: 403,
      body: '{"message":"Missing Authentication Token"}',
    })
  })

  it('IAM path: a guest and a signed-in user reach the function, which sees who signed', async () => {
    const asGuest = echoed(await call(guest, 'get', 'items'))
    expect(asGuest).toMatchObject({ resource: '/items', path: '/items', httpMethod: 'GET', pathParameters: null, queryStringParameters: null, body: null })
    expect(asGuest.requestContext.stage).toBe('dev')
    expect(asGuest.requestContext.identity).toMatchObject({
      cognitoAuthenticationType: 'unauthenticated',
      cognitoIdentityId: (await guest.fetchAuthSession()).identityId,
      userArn: expect.stringMatching(/^arn:aws:sts::\d{12}:assumed-role\/.+\/.+$/),
    })

    const asUser = echoed(await call(user, 'post', 'items', { body: { name: 'first' } }))
    expect(asUser).toMatchObject({ httpMethod: 'POST', body: '{"name":"first"}', isBase64Encoded: false })
    expect(asUser.requestContext.identity).toMatchObject({
      cognitoAuthenticationType: 'authenticated',
      cognitoIdentityId: (await user.fetchAuthSession()).identityId,
      cognitoAuthenticationProvider: expect.stringContaining(`:CognitoSignIn:${userSub}`),
    })
    expect(asUser.requestContext.authorizer).toBeUndefined()
  })

  it('IAM path: a caller whose role may not invoke it is refused with IAM\'s AccessDenied', async () => {
    const refused = refusal(await call(user, 'get', 'admin'))
    expect(refused).toMatchObject({ name: 'AccessDeniedException', status: 403 })
    expect(JSON.parse(refused.body!)).toEqual({
      Message: expect.stringMatching(new RegExp(`^User: arn:aws:sts::\\d{12}:assumed-role/.+ is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:\\d{12}:${sandbox.rest.apis[0]!.id}/dev/GET/admin$`)),
    })
  })

  it('a path or a method the API does not have is 403 Missing Authentication Token, signed or not', async () => {
    expect(refusal(await call(user, 'get', 'nothing-here'))).toMatchObject({ name: 'MissingAuthenticationTokenException', status: 403 })
    // /items has GET, POST, PUT and DELETE; its proxy child takes ANY, but not /items itself.
    expect(refusal(await call(user, 'patch', 'items'))).toMatchObject({ name: 'MissingAuthenticationTokenException', status: 403 })
    const otherStage = await fetch(url.replace(/\/dev\/$/, '/prod/items'))
    expect({ status: otherStage.status, body: await otherStage.text() }).toEqual({ status: 403, body: '{"message":"Forbidden"}' })
    // The API's DEFAULT_4XX gateway response adds its header to every refusal.
    const unknown = await fetch(`${url}nothing-here`)
    expect({ status: unknown.status, origin: unknown.headers.get('access-control-allow-origin'), type: unknown.headers.get('x-amzn-errortype'), body: await unknown.text() })
      .toEqual({ status: 403, origin: '*', type: 'MissingAuthenticationTokenException', body: '{"message":"Missing Authentication Token"}' })
  })

  it('Cognito authorizer: refused without the id token (401), served with it, its claims passed to the function', async () => {
    // Without an Authorization header the client signs the call: a signature is no token.
    expect(refusal(await call(user, 'get', 'cognito-auth-path'))).toEqual({ name: 'UnauthorizedException', status: 401, body: '{"message":"Unauthorized"}' })
    const { tokens } = await user.fetchAuthSession()
    // Without scopes on the method, API Gateway takes id tokens only.
    expect(refusal(await call(user, 'get', 'cognito-auth-path', { headers: { Authorization: tokens!.accessToken } }))).toMatchObject({ status: 401 })
    expect(refusal(await call(user, 'get', 'cognito-auth-path', { headers: { Authorization: 'not-a-token' } }))).toMatchObject({ status: 401 })

    const event = echoed(await call(user, 'get', 'cognito-auth-path', { headers: { Authorization: tokens!.idToken! } }))
    expect(event.requestContext.authorizer!.claims).toMatchObject({
      sub: userSub,
      token_use: 'id',
      email_verified: 'true',
      exp: expect.stringMatching(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/),
    })
    expect(event.requestContext.identity.cognitoIdentityId).toBeNull()
  })

  it('proxy path: the rest of the path, query strings single and multi-valued, every method of the client', async () => {
    const put = echoed(await call(user, 'put', 'items/shelf/a%20b?x=1&x=2&q=one+two', { body: { moved: true } }))
    expect(put).toMatchObject({
      resource: '/items/{proxy+}',
      path: '/items/shelf/a b',
      httpMethod: 'PUT',
      pathParameters: { proxy: 'shelf/a b' },
      queryStringParameters: { x: '2', q: 'one two' },
      multiValueQueryStringParameters: { x: ['1', '2'], q: ['one two'] },
      body: '{"moved":true}',
    })
    expect(echoed(await call(user, 'patch', 'items/7', { body: { done: true } }))).toMatchObject({ httpMethod: 'PATCH', pathParameters: { proxy: '7' } })
    expect(echoed(await call(user, 'del', 'items/7'))).toMatchObject({ httpMethod: 'DELETE' })
    expect(echoed(await call(guest, 'get', 'items/7', { queryParams: { view: 'full' } }))).toMatchObject({ queryStringParameters: { view: 'full' } })
    const head = await call(user, 'head', 'items/7')
    expect(head).toMatchObject({ ok: true, response: { statusCode: 200 } })

    const book = await fetch(`${url}books/978-3?edition=2`)
    expect(((await book.json()) as { event: EchoedEvent }).event).toMatchObject({ resource: '/books/{bookId}', pathParameters: { bookId: '978-3' }, queryStringParameters: { edition: '2' } })
  })

  it('passes the function\'s status code, headers (multi-valued too) and body through', async () => {
    expect(refusal(await call(user, 'get', 'items/tea?behave=teapot'))).toMatchObject({ status: 418, body: 'short and stout' })
    const answer = await fetch(`${url}books/1?behave=teapot`)
    expect(answer.status).toBe(418)
    expect(answer.headers.get('x-brew')).toBe('earl grey')
    expect(answer.headers.get('content-type')).toBe('text/plain')
    expect(answer.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(answer.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await answer.text()).toBe('short and stout')
  })

  it('binary: a base64 answer is decoded for a caller that accepts its type, and a binary upload reaches the function in base64', async () => {
    const accepted = await call(user, 'get', 'items/picture?behave=picture', { headers: { Accept: 'image/png' } })
    expect(accepted).toMatchObject({ ok: true, response: { statusCode: 200, headers: { 'content-type': 'image/png' }, body: { base64: PNG.toString('base64') } } })
    // As in the cloud: without an Accept header naming a binary media type, the base64 text goes out as it is.
    const unaccepted = await call(user, 'get', 'items/picture?behave=picture')
    expect(unaccepted).toMatchObject({ ok: true, response: { body: { text: PNG.toString('base64') } } })

    const upload = await fetch(`${url}books/1`, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: PNG })
    expect(((await upload.json()) as { event: EchoedEvent }).event).toMatchObject({ body: PNG.toString('base64'), isBase64Encoded: true })
    const text = await fetch(`${url}books/1`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'plain words' })
    expect(((await text.json()) as { event: EchoedEvent }).event).toMatchObject({ body: 'plain words', isBase64Encoded: false })
  })

  it('a function that throws, or answers no proxy result, is API Gateway\'s 502; the API keeps serving', async () => {
    expect(refusal(await call(user, 'get', 'items/x?behave=throw'))).toEqual({ name: 'InternalServerErrorException', status: 502, body: '{"message": "Internal server error"}' })
    expect(lines.some(line => line.includes('REST API myRestApi: ANY /items/{proxy+}') && line.includes('The handler broke'))).toBe(true)
    expect(refusal(await call(user, 'get', 'items/x?behave=malformed'))).toMatchObject({ status: 502, body: '{"message": "Internal server error"}' })
    expect(lines.some(line => line.includes('Malformed Lambda proxy response'))).toBe(true)
    expect(echoed(await call(user, 'get', 'items'))).toMatchObject({ httpMethod: 'GET' })
  })

  it('a function slower than the integration\'s timeout is 504 Endpoint request timed out', async () => {
    const answer = await fetch(`${url}slow?behave=sleep&ms=2000`)
    expect({ status: answer.status, body: await answer.text() }).toEqual({ status: 504, body: '{"message": "Endpoint request timed out"}' })
  })

  it('answers CORS preflights from the MOCK integration CDK writes for defaultCorsPreflightOptions', async () => {
    for (const path of ['items', 'items/anything/deeper', 'cognito-auth-path']) {
      const preflight = await fetch(`${url}${path}`, { method: 'OPTIONS', headers: { 'Origin': 'http://localhost:3000', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization,x-amz-date' } })
      expect(preflight.status, path).toBe(204)
      expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD',
        'access-control-allow-headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent',
      })
    }
  })

  it('refuses a body over 10 MB with 413, as API Gateway does', async () => {
    const answer = await fetch(`${url}books/1`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) })
    expect({ status: answer.status, body: await answer.text() }).toEqual({ status: 413, body: '{"message":"Request Too Long"}' })
  })
})
