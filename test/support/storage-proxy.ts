/**
 * A recording proxy in front of the sandbox's Storage, speaking TLS with the sandbox's own
 * certificate as the real endpoint does: it shows which S3 operations a client really sent (and
 * what they got), and can hold requests (upload parts) until released, so a test can cancel or
 * pause an upload while it is in flight. Requests go on unchanged: the Host header the client
 * signed is forwarded as it was.
 */
import { request as httpsRequest, Agent } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { serveDualProtocol } from '../../sandbox/core/listener'
import { bindPort } from '../../sandbox/core/port'
import { routeOf } from '../../sandbox/storage/access'

export interface RecordedRequest {
  operation: string
  method: string
  /** The key (path after the bucket), decoded. */
  key: string
  query: URLSearchParams
  /** The answer's status; 0 while in flight, -1 when the client went away first. */
  status: number
}

export interface StorageProxy {
  /** `127.0.0.1:<port>`: the `customEndpoint` that goes through the proxy. */
  readonly endpoint: string
  readonly requests: RecordedRequest[]
  /** Holds requests that match from now on, until `release()` (or their client gives up). */
  hold(predicate: (request: RecordedRequest) => boolean): void
  /** Lets held requests go on, and holds no more. */
  release(): void
  /** Resolves with the first recorded request (past or future) that matches. */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  close(): Promise<void>
}

export async function startStorageProxy(target: string, tls: { key: string, cert: string }): Promise<StorageProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string]
  const agent = new Agent({ ca: tls.cert, keepAlive: true })
  const requests: RecordedRequest[] = []
  let holding: ((request: RecordedRequest) => boolean) | undefined
  let released: () => void = () => {}
  let gate = Promise.resolve()
  const waiters = new Set<() => void>()

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://proxy')
    const [, bucket, ...rest] = url.pathname.split('/')
    const key = decodeURIComponent(rest.join('/'))
    const routed = routeOf(req.method ?? 'GET', bucket || undefined, key || undefined, url.searchParams, req.headers)
    const record: RecordedRequest = { operation: 'operation' in routed ? routed.operation : 'other', method: req.method ?? 'GET', key, query: url.searchParams, status: 0 }
    requests.push(record)
    for (const notify of waiters) notify()
    let held: Buffer | undefined
    if (holding?.(record)) {
      // A held request's body is read meanwhile: only a socket being read sees its client give up.
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      // The connection closing before the answer is the client giving up (its body may be all here).
      res.once('close', () => {
        if (!res.writableEnded && record.status === 0) {
          record.status = -1
          for (const notify of waiters) notify()
        }
      })
      await gate
      // The client gave up while it was held (a cancel or a pause): nothing goes on.
      if (record.status === -1 || res.destroyed) return
      if (!req.complete) await new Promise(resolve => req.once('end', resolve))
      held = Buffer.concat(chunks)
    }
    const upstream = httpsRequest({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      record.status = answer.statusCode ?? 0
      for (const notify of waiters) notify()
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
      answer.once('end', () => {
        for (const notify of waiters) notify()
      })
    })
    upstream.on('error', () => {
      if (record.status === 0) record.status = -1
      res.destroy()
    })
    req.once('close', () => {
      if (!req.complete) {
        record.status = -1
        upstream.destroy()
        for (const notify of waiters) notify()
      }
    })
    if (held) upstream.end(held)
    else req.pipe(upstream)
  }

  const port = await bindPort('127.0.0.1', 0, 'storage')
  const server = serveDualProtocol(port, {
    tls,
    onRequest: (req, res) => {
      forward(req, res).catch(() => res.destroy())
    },
  })
  return {
    endpoint: `127.0.0.1:${port.port}`,
    requests,
    hold(predicate) {
      holding = predicate
      gate = new Promise(resolve => (released = resolve))
    },
    release() {
      holding = undefined
      released()
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find(predicate)
          if (!found) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`No such request within ${timeoutMs} ms; recorded: ${requests.map(r => `${r.operation} ${r.status}`).join(', ')}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async close() {
      released()
      agent.destroy()
      await server.close()
    },
  }
}
