/**
 * The HTTP helpers every local service answers through, on a loopback server: body limits,
 * aborted uploads, CORS, AWS-shaped replies, the guard that keeps a failing route from
 * crashing the process, and which of its forms a request's Accept header prefers.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  allowCors, answerPreflight, guard, parseUrl, PayloadTooLargeError, preferredType, readBody, RequestAbortedError, sendJson, type CorsPolicy,
} from '../../../sandbox/core/http'

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>

let server: Server
let port: number
/** What the server does with the next request. */
let route: Route
/** What the last `internalError` was called with. */
let internalErrors: unknown[] = []

beforeAll(async () => {
  server = createServer(guard((req, res) => route(req, res), (res, error) => {
    internalErrors.push(error)
    sendJson(res, 500, { message: 'internal' }, { errorType: 'InternalFailure' })
  }))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
})

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request; `body` chunks are written as given (no content-length unless in `headers`: chunked). */
function send(options: { method?: string, path?: string, headers?: Record<string, string | number> }, body: Array<string | Buffer> = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/', headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('close', () => res.complete || reject(new Error('The server closed the connection mid-answer')))
    })
    // The server may close while a refused upload is still being written.
    req.on('error', error => (error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error))
    for (const chunk of body) req.write(chunk)
    req.end()
  })
}

/** A route that answers what `readBody` resolved to, or the name of what it rejected with. */
function echoBody(limit: number, outcome?: (result: Buffer | Error) => void): Route {
  return async (req, res) => {
    try {
      const body = await readBody(req, { limit })
      outcome?.(body)
      sendJson(res, 200, { bytes: body.toString('hex') })
    }
    catch (error) {
      outcome?.(error as Error)
      if (error instanceof PayloadTooLargeError) sendJson(res, 413, { limit: error.limit }, { errorType: 'TooLarge', close: true })
      else throw error
    }
  }
}

describe('readBody', () => {
  it('reads the whole body as bytes, up to the limit', async () => {
    route = echoBody(4)
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80])
    const answer = await send({ headers: { 'content-length': 4 } }, [bytes.subarray(0, 2), bytes.subarray(2)])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ bytes: '00ff1080' })
  })

  it('refuses a declared length over the limit before reading, then closes the connection', async () => {
    let seen: Buffer | Error | undefined
    route = echoBody(1024, result => (seen = result))
    const answer = await send({ headers: { 'content-length': 4096 } }, ['x'.repeat(4096)])
    expect(answer.status).toBe(413)
    expect(answer.headers.connection).toBe('close')
    expect(answer.headers['x-amzn-errortype']).toBe('TooLarge')
    expect(seen).toBeInstanceOf(PayloadTooLargeError)
  })

  it('refuses a streamed body once it passes the limit', async () => {
    route = echoBody(1024)
    const answer = await send({}, Array.from({ length: 8 }, () => 'y'.repeat(512)))
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({ limit: 1024 })
  })

  it('settles with RequestAbortedError when the client disconnects mid-body', async () => {
    internalErrors = []
    let reading!: () => void
    const started = new Promise<void>(resolve => (reading = resolve))
    const outcome = new Promise<Buffer | Error>((resolve) => {
      const echo = echoBody(1024, resolve)
      route = (req, res) => {
        reading()
        return echo(req, res)
      }
    })
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': 100 } })
    req.on('error', () => {})
    req.write('only ten b')
    await started
    req.destroy()
    expect(await outcome).toBeInstanceOf(RequestAbortedError)
    // Nothing to answer: the guard does not report an abort as a failure.
    expect(internalErrors).toEqual([])
  })
})

describe('replies', () => {
  it('sends JSON with its byte length, a request id, and an error type only when given', async () => {
    route = async (_, res) => sendJson(res, 200, { text: 'naïve ✓' })
    const ok = await send({ method: 'GET' })
    expect(ok.headers['content-type']).toBe('application/json')
    expect(Number(ok.headers['content-length'])).toBe(Buffer.byteLength(ok.body))
    expect(JSON.parse(ok.body)).toEqual({ text: 'naïve ✓' })
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/)
    expect(ok.headers['x-amzn-errortype']).toBeUndefined()

    route = async (_, res) => sendJson(res, 400, { __type: 'Oops' }, { contentType: 'application/x-amz-json-1.1', errorType: 'Oops' })
    const error = await send({ method: 'GET' })
    expect(error.status).toBe(400)
    expect(error.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(error.headers['x-amzn-errortype']).toBe('Oops')
    expect(error.headers['x-amzn-requestid']).not.toBe(ok.headers['x-amzn-requestid'])
  })
})

describe('CORS', () => {
  const policy: CorsPolicy = { methods: ['POST', 'OPTIONS'], allowHeaders: ['content-type', 'x-amz-target'], exposeHeaders: ['x-amzn-RequestId'] }
  const preflight = { method: 'OPTIONS', headers: { 'origin': 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' } }

  it('answers a preflight from the service\'s allow-list', async () => {
    route = async (req, res) => answerPreflight(req, res, policy)
    const answer = await send(preflight)
    expect(answer.status).toBe(204)
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, x-amz-target',
      'access-control-expose-headers': 'x-amzn-RequestId',
      'access-control-max-age': '86400',
    })
  })

  it('can allow the requested headers instead, and answer 200 as Cognito does', async () => {
    route = async (req, res) => answerPreflight(req, res, { ...policy, allowRequestedHeaders: true, preflightStatus: 200 })
    const answer = await send(preflight)
    expect(answer.status).toBe(200)
    expect(answer.headers['content-length']).toBe('0')
    expect(answer.headers['access-control-allow-headers']).toBe('x-custom')
    const { 'access-control-request-headers': _none, ...asksNone } = preflight.headers
    expect((await send({ ...preflight, headers: asksNone })).headers['access-control-allow-headers']).toBe('content-type, x-amz-target')
  })

  it('marks every answer, errors included, as readable from any origin', async () => {
    route = async (_, res) => {
      allowCors(res, policy)
      throw new Error('boom')
    }
    const answer = await send({ method: 'GET' })
    expect(answer.status).toBe(500)
    expect(answer.headers['access-control-allow-origin']).toBe('*')
    expect(answer.headers['access-control-expose-headers']).toBe('x-amzn-RequestId')
  })
})

describe('guard', () => {
  it('turns an exception into the service\'s 500 and keeps serving', async () => {
    internalErrors = []
    route = async () => {
      throw new TypeError('a bug')
    }
    const answer = await send({ method: 'GET' })
    expect(answer.status).toBe(500)
    expect(answer.headers['x-amzn-errortype']).toBe('InternalFailure')
    expect(internalErrors).toEqual([new TypeError('a bug')])
    route = async (_, res) => sendJson(res, 200, 'still here')
    expect((await send({ method: 'GET' })).body).toBe('"still here"')
  })

  it('closes the connection when the exception comes after the headers', async () => {
    internalErrors = []
    route = async (_, res) => {
      res.writeHead(200, { 'content-length': 100 })
      res.write('partial')
      throw new Error('too late for a 500')
    }
    await expect(send({ method: 'GET' })).rejects.toThrow(/mid-answer/)
    expect(internalErrors).toEqual([])
  })
})

describe('parseUrl', () => {
  it('reads the path and query of a request target', () => {
    const url = parseUrl('/__sandbox/messages?to=a%40b.c')
    expect(url.pathname).toBe('/__sandbox/messages')
    expect(url.searchParams.get('to')).toBe('a@b.c')
  })

  it.each([['//'], ['http://['], [undefined]])('reads %j as /', (target) => {
    expect(parseUrl(target).pathname).toBe('/')
  })
})

describe('preferredType', () => {
  const offered = ['application/json', 'text/html'] as const
  it.each([
    // What browsers send when a page is opened: HTML.
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'text/html'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'text/html'],
    // fetch(), curl and the AWS SDKs send */* or nothing: the first offer.
    ['*/*', 'application/json'],
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['application/json', 'application/json'],
    ['text/*', 'text/html'],
    ['text/html;q=0.5, application/json', 'application/json'],
    ['Text/HTML', 'text/html'],
    ['text/html;q=0, */*', 'application/json'],
    ['text/html;q=oops, */*;q=0.1', 'application/json'],
  ])('answers %j with %s', (accept, expected) => {
    expect(preferredType(accept, offered)).toBe(expected)
  })
})
