/**
 * What the built server keeps between renders, seen from outside: the home page's picture is signed
 * with the visitor's own credentials, the same URL comes back on the visitor's next render (the
 * server kept both, so it asked nobody), no two visitors ever share one, and sign-out makes the
 * server forget the session's.
 */
import { readFile } from 'node:fs/promises'
import { get } from 'node:https'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { cookieHeader, newSignedInUser, type SignedInUser } from '../../support/signed-in-user'

const { baseUrl, messagesUrl, outputsPath, certificatePath } = inject('e2e')

interface Visitor {
  name: string
  cookies: Map<string, string>
}

/** Renders `/` as `visitor`, keeping the cookies it sets as a browser would; the picture's URL. */
async function splashUrl(visitor: Visitor): Promise<URL> {
  const response = await fetch(new URL('/', baseUrl), { headers: { cookie: cookieHeader(visitor.cookies) }, redirect: 'manual' })
  expect(response.status).toBe(200)
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair!.indexOf('=')
    const value = decodeURIComponent(pair!.slice(at + 1))
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') visitor.cookies.delete(pair!.slice(0, at))
    else visitor.cookies.set(pair!.slice(0, at), value)
  }
  const src = (await response.text()).match(/<img[^>]*class="splash"[^>]*>/)?.[0].match(/\ssrc="([^"]+)"/)?.[1]
  if (!src) throw new Error(`${visitor.name}'s home page has no picture`)
  return new URL(src.replaceAll('&amp;', '&'))
}

/** Status and type of a GET of `url` from the sandbox's Storage, trusting its certificate as a set-up browser does. */
async function download(url: URL): Promise<{ status: number, type: string | undefined }> {
  const ca = await readFile(certificatePath)
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode!, type: response.headers['content-type'] }))
    }).on('error', reject)
  })
}

/** The access key a presigned URL was signed with: whose credentials they were. */
const signer = (url: URL) => url.searchParams.get('X-Amz-Credential')!.split('/')[0]!

const guest = (name: string): Visitor => ({ name, cookies: new Map() })
const member = (user: SignedInUser, name: string): Visitor => ({ name, cookies: new Map(user.cookies) })

let alice: SignedInUser
let bob: SignedInUser

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([newSignedInUser(outputsPath, messagesUrl, 'cache-alice'), newSignedInUser(outputsPath, messagesUrl, 'cache-bob')])
})

describe('credentials and URLs kept between renders', () => {
  it('gives every visitor their own, and the same one again on their next render', async () => {
    const visitors = [guest('guest 1'), guest('guest 2'), member(alice, 'alice'), member(bob, 'bob')]
    const first = await Promise.all(visitors.map(splashUrl))
    const again = await Promise.all(visitors.map(splashUrl))
    expect(new Set(first.map(signer)).size).toBe(visitors.length)
    expect(new Set(first.map(url => url.href)).size).toBe(visitors.length)
    // Reused, not signed again: the server asked neither the identity pool nor S3.
    visitors.forEach((_, i) => expect(again[i]!.href).toBe(first[i]!.href))
    // And it still opens.
    expect(await download(again[0]!)).toEqual({ status: 200, type: 'image/png' })
  })

  it('gives a guest who arrives with another guest\'s cookies that guest\'s identity, not a third one\'s', async () => {
    const one = guest('guest 3')
    const url = await splashUrl(one)
    const copy: Visitor = { name: 'copy of guest 3', cookies: new Map(one.cookies) }
    expect((await splashUrl(copy)).href).toBe(url.href)
    // Without the cookie, a new guest: new credentials.
    expect(signer(await splashUrl(guest('guest 4')))).not.toBe(signer(url))
  })

  it('forgets a session on sign-out, and only that session', async () => {
    const a = member(alice, 'alice')
    const b = member(bob, 'bob')
    const [aliceBefore, bobBefore] = [await splashUrl(a), await splashUrl(b)]

    const response = await fetch(new URL('/api/session', baseUrl), { method: 'DELETE', headers: { cookie: cookieHeader(a.cookies) } })
    expect(response.status).toBe(204)
    // The same cookies again (as a copy kept after sign-out would be): nothing kept answers them.
    const aliceAfter = await splashUrl(a)
    expect(signer(aliceAfter)).not.toBe(signer(aliceBefore))
    expect((await splashUrl(b)).href).toBe(bobBefore.href)
  })

  it('answers /api/current-user for each session as itself, every time, and a forged one never', async () => {
    const me = async (cookies: Map<string, string>) => {
      const response = await fetch(new URL('/api/current-user', baseUrl), { headers: { cookie: cookieHeader(cookies) } })
      return { status: response.status, userId: response.ok ? ((await response.json()) as { userId: string }).userId : undefined }
    }
    const a = member(alice, 'alice')
    const b = member(bob, 'bob')
    const [first, second] = [await me(a.cookies), await me(b.cookies)]
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(first.userId).not.toBe(second.userId)
    // Answered from memory the second time: still each one's own.
    expect(await me(a.cookies)).toEqual(first)
    expect(await me(b.cookies)).toEqual(second)
    // Alice's cookies with a tampered token, right after hers were answered: refused, not remembered as her.
    const forged = new Map([...a.cookies].map(([name, value]) => [name, name.endsWith('.idToken') ? `${value.slice(0, -4)}AAAA` : value]))
    expect((await me(forged)).status).toBe(401)
  })

  it('forgets nothing for a request whose session does not verify', async () => {
    const b = member(bob, 'bob')
    const before = await splashUrl(b)
    const forged = new Map([...b.cookies].map(([name, value]) => [name, name.endsWith('.idToken') || name.endsWith('.accessToken') ? `${value.slice(0, -4)}AAAA` : value]))
    for (const cookies of [forged, new Map<string, string>()]) {
      const response = await fetch(new URL('/api/session', baseUrl), { method: 'DELETE', headers: { cookie: cookieHeader(cookies) } })
      expect(response.status).toBe(204)
    }
    expect((await splashUrl(b)).href).toBe(before.href)
  })
})
