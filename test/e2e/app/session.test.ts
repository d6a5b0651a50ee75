/**
 * The built server's view of a session, over real HTTP: which cookies make a signed-in request,
 * which read as signed out (forged, tampered, for another client, junk), and how an expired access
 * token is refreshed during the request and handed back to the browser as `Set-Cookie`.
 */
import { readFile } from 'node:fs/promises'
import { generateClient } from 'aws-amplify/data/server'
import { decodeJwt } from 'jose'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import type { Schema } from '../../../amplify/data/resource'
import { amplifyContext, cookieHeader, newSignedInUser, type SignedInUser } from '../../support/signed-in-user'
import { attackerKey, expiredTimes, loadPoolKey, resign, tamper, verifyWithPoolKey, type PoolKey } from '../../support/forged-tokens'

const { baseUrl, messagesUrl, outputsPath, dataDir } = inject('e2e')

/** Amplify's cookie names: `CognitoIdentityServiceProvider.<client id>.<username>.<kind>`. */
type Kind = 'accessToken' | 'idToken' | 'refreshToken' | 'clockDrift' | 'signInDetails' | 'LastAuthUser'

const THIRTY_DAYS = 30 * 24 * 60 * 60

let alice: SignedInUser
let bob: SignedInUser
let aliceTodos: Array<{ id: string, content: string }>
let poolKey: PoolKey
let issuer: string
let clientId: string

function cookieName(user: SignedInUser, kind: Kind): string {
  const name = [...user.cookies.keys()].find(key => key.endsWith(`.${kind}`))
  if (!name) throw new Error(`${user.email} has no ${kind} cookie`)
  return name
}
const cookie = (user: SignedInUser, kind: Kind) => user.cookies.get(cookieName(user, kind))!

/** The user's cookies with some replaced (a string) or dropped (null). */
function jarOf(user: SignedInUser, changes: Partial<Record<Kind, string | null>> = {}): Map<string, string> {
  const jar = new Map(user.cookies)
  for (const [kind, value] of Object.entries(changes)) {
    if (value === null) jar.delete(cookieName(user, kind as Kind))
    else jar.set(cookieName(user, kind as Kind), value!)
  }
  return jar
}

function get(path: string, cookies?: Map<string, string>, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, baseUrl), { redirect: 'manual', ...init, headers: cookies ? { cookie: cookieHeader(cookies) } : {} })
}

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(await response.json()).toMatchObject({ statusCode: 401 })
}

function expectSentToSignIn(response: Response) {
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe('/sign-in?redirect=/todos')
}

/** The `<main>` the server rendered: the todos must be in the markup, not only in the payload. */
async function mainOf(response: Response): Promise<string> {
  const html = await response.text()
  const main = html.match(/<main[\s>][\s\S]*?<\/main>/)?.[0]
  if (!main) throw new Error(`No <main> in the page:\n${html.slice(0, 2000)}`)
  return main
}

/** The last `Set-Cookie` for each name (a write replaces an earlier delete), with its attributes. */
function setCookies(response: Response): Map<string, { value: string, attributes: Map<string, string> }> {
  const cookies = new Map<string, { value: string, attributes: Map<string, string> }>()
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map(part => part.trim())
    const at = pair!.indexOf('=')
    cookies.set(pair!.slice(0, at), {
      value: decodeURIComponent(pair!.slice(at + 1)),
      attributes: new Map(attributes.map((attribute) => {
        const [key, ...value] = attribute.split('=')
        return [key!.toLowerCase(), value.join('=')]
      })),
    })
  }
  return cookies
}

/** The user's access and id tokens re-minted with the pool's own key, an hour past their expiry. */
async function expiredTokens(user: SignedInUser) {
  return {
    accessToken: await resign(cookie(user, 'accessToken'), poolKey.privateKey, expiredTimes()),
    idToken: await resign(cookie(user, 'idToken'), poolKey.privateKey, expiredTimes()),
  }
}

beforeAll(async () => {
  ;[alice, bob, poolKey] = await Promise.all([
    newSignedInUser(outputsPath, messagesUrl, 'alice'),
    newSignedInUser(outputsPath, messagesUrl, 'bob'),
    loadPoolKey(dataDir),
  ])
  const outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as { auth: { user_pool_id: string, user_pool_client_id: string, aws_region: string } }
  clientId = outputs.auth.user_pool_client_id
  issuer = `https://cognito-idp.${outputs.auth.aws_region}.amazonaws.com/${outputs.auth.user_pool_id}`

  const { config } = await amplifyContext(outputsPath)
  const data = generateClient<Schema>({ config })
  aliceTodos = []
  for (const content of ['Water the ferns (alice-e2e-1)', 'Return the library books (alice-e2e-2)']) {
    const { data: todo, errors } = await data.models.Todo.create(alice.context, { content, done: false })
    if (errors?.length || !todo) throw new Error(`Creating a todo failed: ${JSON.stringify(errors)}`)
    aliceTodos.push({ id: todo.id, content: todo.content })
  }
})

describe('GET /api/current-user', () => {
  it('names the signed-in user from their real cookies', async () => {
    const response = await get('/api/current-user', alice.cookies)
    expect(response.status).toBe(200)
    const access = decodeJwt(cookie(alice, 'accessToken'))
    expect(await response.json()).toEqual({
      userId: access.sub,
      username: access.username,
      signInDetails: expect.objectContaining({ loginId: alice.email }),
    })
  })

  it('answers 401 with a JSON error without cookies', async () => {
    await expectUnauthorized(await get('/api/current-user'))
  })

  it('answers 401 to tokens re-signed with another key under the pool key id', async () => {
    const key = attackerKey()
    await expectUnauthorized(await get('/api/current-user', jarOf(alice, {
      accessToken: await resign(cookie(alice, 'accessToken'), key),
      idToken: await resign(cookie(alice, 'idToken'), key),
    })))
  })

  it('answers 401 to tokens whose payload was changed to another user', async () => {
    const { sub, username } = decodeJwt(cookie(bob, 'accessToken'))
    await expectUnauthorized(await get('/api/current-user', jarOf(alice, {
      accessToken: tamper(cookie(alice, 'accessToken'), { sub, username }),
      idToken: tamper(cookie(alice, 'idToken'), { 'sub': sub, 'cognito:username': username, 'email': bob.email }),
    })))
  })

  it('answers 401 to genuine pool tokens issued to another app client', async () => {
    const otherClient = 'a'.repeat(26)
    // The same minting with this app's client id is accepted, so only the client id is refused here.
    const ownClient = jarOf(alice, {
      accessToken: await resign(cookie(alice, 'accessToken'), poolKey.privateKey),
      idToken: await resign(cookie(alice, 'idToken'), poolKey.privateKey),
    })
    expect((await get('/api/current-user', ownClient)).status).toBe(200)
    await expectUnauthorized(await get('/api/current-user', jarOf(alice, {
      accessToken: await resign(cookie(alice, 'accessToken'), poolKey.privateKey, { client_id: otherClient }),
      idToken: await resign(cookie(alice, 'idToken'), poolKey.privateKey, { aud: otherClient }),
    })))
  })

  it('answers 401 to one user\'s access token paired with another user\'s id token', async () => {
    // Both genuine: only the pairing is wrong, and it would name one user with the other's e-mail.
    await expectUnauthorized(await get('/api/current-user', jarOf(alice, { idToken: cookie(bob, 'idToken') })))
  })

  it('answers 401 to junk in the token cookies', async () => {
    for (const junk of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '%E0%A4%A', '{"sub":"x"}']) {
      await expectUnauthorized(await get('/api/current-user', jarOf(alice, { accessToken: junk, idToken: junk })))
    }
  })

  it('answers 401 to forged tokens filed under another user\'s LastAuthUser', async () => {
    // Alice keeps her own genuine cookies and adds a forged session for Bob, pointed at by LastAuthUser.
    const key = attackerKey()
    const bobName = cookie(bob, 'LastAuthUser')
    const jar = jarOf(alice, { LastAuthUser: bobName })
    const prefix = cookieName(alice, 'LastAuthUser').replace(/LastAuthUser$/, `${bobName}.`)
    jar.set(`${prefix}accessToken`, await resign(cookie(bob, 'accessToken'), key))
    jar.set(`${prefix}idToken`, await resign(cookie(bob, 'idToken'), key))
    jar.set(`${prefix}refreshToken`, 'not-a-refresh-token')
    await expectUnauthorized(await get('/api/current-user', jar))
  })

  it('answers 405 to POST', async () => {
    const response = await get('/api/current-user', alice.cookies, { method: 'POST' })
    expect(response.status).toBe(405)
  })
})

describe('GET /api/export (the todos REST API, called by the server)', () => {
  it('gives Alice her own todos, and only hers', async () => {
    const response = await get('/api/export?format=json', alice.cookies)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="todos-\d{4}-\d{2}-\d{2}\.json"$/)
    const { todos } = await response.json() as { todos: Array<{ content: string }> }
    expect(todos.map(todo => todo.content).sort()).toEqual(aliceTodos.map(todo => todo.content).sort())
    const bobs = await (await get('/api/export?format=json', bob.cookies)).json() as { todos: unknown[] }
    expect(bobs.todos).toEqual([])
  })

  it('answers 401 without a session, 401 to a forged one, and 400 to a format it does not make', async () => {
    await expectUnauthorized(await get('/api/export'))
    await expectUnauthorized(await get('/api/export', jarOf(alice, { idToken: tamper(cookie(alice, 'idToken'), { sub: decodeJwt(cookie(bob, 'idToken')).sub }) })))
    expect((await get('/api/export?format=xlsx', alice.cookies)).status).toBe(400)
  })
})

describe('GET /todos (server-rendered)', () => {
  it('sends a forged session to the sign-in page', async () => {
    const key = attackerKey()
    expectSentToSignIn(await get('/todos', jarOf(alice, {
      accessToken: await resign(cookie(alice, 'accessToken'), key),
      idToken: await resign(cookie(alice, 'idToken'), key),
    })))
  })

  it('renders the user\'s todos into the HTML', async () => {
    const response = await get('/todos', alice.cookies)
    expect(response.status).toBe(200)
    const main = await mainOf(response)
    for (const todo of aliceTodos) expect(main).toContain(todo.content)
  })

  it('renders nothing of Alice\'s for Bob', async () => {
    const response = await get('/todos', bob.cookies)
    expect(response.status).toBe(200)
    const html = await response.text()
    for (const todo of aliceTodos) {
      expect(html).not.toContain(todo.content)
      expect(html).not.toContain(todo.id)
    }
  })
})

describe('GET /api/todos', () => {
  it('lists the signed-in user\'s todos, and answers 401 without a session', async () => {
    const response = await get('/api/todos', alice.cookies)
    expect(response.status).toBe(200)
    const listed = (await response.json() as Array<{ id: string, content: string }>).map(({ id, content }) => ({ id, content }))
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual([...aliceTodos].sort((a, b) => a.id.localeCompare(b.id)))
    await expectUnauthorized(await get('/api/todos'))
  })
})

describe('an expired access token', () => {
  async function expectFreshTokens(response: Response) {
    const cookies = setCookies(response)
    for (const kind of ['accessToken', 'idToken'] as const) {
      const written = cookies.get(cookieName(alice, kind))
      expect(written, `Set-Cookie for ${kind}`).toBeDefined()
      const claims = await verifyWithPoolKey(written!.value, poolKey, issuer)
      expect(claims.sub).toBe(decodeJwt(cookie(alice, 'accessToken')).sub)
      expect(claims.exp! * 1000).toBeGreaterThan(Date.now())
      expect(kind === 'accessToken' ? claims.client_id : claims.aud).toBe(clientId)
      const { attributes } = written!
      expect(attributes.get('path')).toBe('/')
      expect(attributes.get('samesite')?.toLowerCase()).toBe('lax')
      expect(attributes.get('max-age')).toBe(String(THIRTY_DAYS))
      // Plain http: a Secure cookie would never come back.
      expect(attributes.has('secure')).toBe(false)
    }
  }

  it('is refreshed while rendering /todos, and the new tokens go back as cookies', async () => {
    const response = await get('/todos', jarOf(alice, await expiredTokens(alice)))
    expect(response.status).toBe(200)
    await expectFreshTokens(response)
    const main = await mainOf(response)
    for (const todo of aliceTodos) expect(main).toContain(todo.content)
  })

  it('is refreshed for /api/current-user, and the new tokens go back as cookies', async () => {
    const response = await get('/api/current-user', jarOf(alice, await expiredTokens(alice)))
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ userId: decodeJwt(cookie(alice, 'accessToken')).sub })
    await expectFreshTokens(response)
  })

  it('reads as signed out without a refresh token', async () => {
    const jar = jarOf(alice, { ...await expiredTokens(alice), refreshToken: null })
    await expectUnauthorized(await get('/api/current-user', jar))
    expectSentToSignIn(await get('/todos', jar))
  })

  it('reads as signed out with a refresh token the user pool refuses', async () => {
    const jar = jarOf(alice, { ...await expiredTokens(alice), refreshToken: 'not-a-refresh-token' })
    await expectUnauthorized(await get('/api/current-user', jar))
    expectSentToSignIn(await get('/todos', jar))
  })

  it('is not revived by a forged clockDrift cookie', async () => {
    // A drift of minus 300 years would make the browser's clock say the token is still fresh.
    const jar = jarOf(alice, { ...await expiredTokens(alice), refreshToken: null, clockDrift: '-9999999999999' })
    await expectUnauthorized(await get('/api/current-user', jar))
    expectSentToSignIn(await get('/todos', jar))
  })
})
