/**
 * Who the sandbox console answers: this machine's browser or scripts, with this start's secret, at
 * the loopback address it serves, and never on behalf of another site.
 */
import { describe, expect, it } from 'vitest'
import { checkRequest, isLoopbackAddress, secretCookieName, type GuardedRequest } from '../../../sandbox/console/guard'

const secret = 'tHis-start-s3cret_abcdefghijklmnopq'
const console = { port: 20005, secret }
const cookie = `${secretCookieName(20005)}=${secret}`

const request = (overrides: Partial<GuardedRequest> & { headers?: GuardedRequest['headers'] } = {}): GuardedRequest => ({
  method: 'GET',
  url: '/',
  remoteAddress: '127.0.0.1',
  ...overrides,
  headers: { host: '127.0.0.1:20005', cookie, ...overrides.headers },
})

describe('the console guard', () => {
  it('lets in the developer with the secret cookie, at 127.0.0.1 or localhost', () => {
    expect(checkRequest(request(), console)).toEqual({ ok: true })
    expect(checkRequest(request({ headers: { host: 'localhost:20005' } }), console)).toEqual({ ok: true })
    expect(checkRequest(request({ headers: { 'sec-fetch-site': 'same-origin', 'origin': 'http://127.0.0.1:20005' } }), console)).toEqual({ ok: true })
  })

  it('turns the printed URL\'s secret into an HttpOnly, SameSite=Strict cookie and drops it from the address', () => {
    const verdict = checkRequest(request({ url: `/mail?secret=${secret}&x=1`, headers: { 'cookie': undefined, 'sec-fetch-site': 'none' } }), console)
    expect(verdict).toEqual({ ok: 'login', location: '/mail?x=1', cookie: expect.stringContaining(`${secretCookieName(20005)}=${secret}`) })
    expect((verdict as { cookie: string }).cookie).toMatch(/HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/)
  })

  it('takes the secret as a bearer token from a script', () => {
    expect(checkRequest(request({ headers: { cookie: undefined, authorization: `Bearer ${secret}` } }), console)).toEqual({ ok: true })
  })

  it('refuses a missing or wrong secret, however it comes', () => {
    for (const headers of [{ cookie: undefined }, { cookie: `${secretCookieName(20005)}=${secret}x` }, { cookie: `${secretCookieName(20006)}=${secret}` }, { cookie: undefined, authorization: 'Bearer nope' }]) {
      expect(checkRequest(request({ headers }), console)).toMatchObject({ ok: false, status: 401 })
    }
    expect(checkRequest(request({ url: '/?secret=guess', headers: { cookie: undefined } }), console)).toMatchObject({ ok: false, status: 401 })
  })

  it('refuses a Host that is not the address it serves (DNS rebinding), even with the secret', () => {
    for (const host of ['evil.example:20005', '127.0.0.1:80', '127.0.0.1', 'localhost.evil.example:20005', undefined]) {
      expect(checkRequest(request({ headers: { host } }), console)).toMatchObject({ ok: false, status: 421 })
    }
  })

  it('refuses cross-site requests, even with the secret cookie', () => {
    expect(checkRequest(request({ method: 'POST', headers: { origin: 'https://evil.example' } }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ method: 'POST', headers: { origin: 'null' } }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ headers: { 'sec-fetch-site': 'cross-site' } }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ headers: { 'sec-fetch-site': 'same-site' } }), console)).toMatchObject({ ok: false, status: 403 })
    // Another port of this machine (the app) may link to a page, which still needs the secret cookie...
    const linked = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
    expect(checkRequest(request({ url: '/mail', headers: linked }), console)).toEqual({ ok: true })
    expect(checkRequest(request({ url: '/mail', headers: { ...linked, cookie: undefined } }), console)).toMatchObject({ ok: false, status: 401 })
    // ...but may not post, fetch, frame it, or log a browser in with a secret in the link.
    expect(checkRequest(request({ method: 'POST', url: '/users/manage', headers: linked }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ url: '/mail', headers: { ...linked, 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ url: '/mail', headers: { ...linked, 'sec-fetch-dest': 'iframe' } }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ url: `/?secret=${secret}`, headers: { ...linked, cookie: undefined } }), console)).toMatchObject({ ok: false, status: 403 })
    // The secret in a link from another site does not log the browser in either.
    expect(checkRequest(request({ url: `/?secret=${secret}`, headers: { 'cookie': undefined, 'sec-fetch-site': 'cross-site' } }), console)).toMatchObject({ ok: false, status: 403 })
  })

  it('answers an address it cannot read with 400, not an exception', () => {
    expect(checkRequest(request({ url: '//[' }), console)).toMatchObject({ ok: false, status: 400 })
  })

  it('refuses another address than this machine', () => {
    expect(checkRequest(request({ remoteAddress: '192.168.1.20' }), console)).toMatchObject({ ok: false, status: 403 })
    expect(checkRequest(request({ remoteAddress: undefined }), console)).toMatchObject({ ok: false, status: 403 })
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true)
    expect(isLoopbackAddress('::1')).toBe(true)
    expect(isLoopbackAddress('::ffff:10.0.0.1')).toBe(false)
  })
})
