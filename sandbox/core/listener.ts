/**
 * One port, two protocols, shared by the services that need TLS. The data client derives the
 * realtime URL from the GraphQL URL by swapping the scheme for `wss://`, even for an `http://`
 * endpoint, so the same host:port must answer TLS (realtime) while plain HTTP stays available for
 * queries and mutations (Node and SSR callers then need no certificate); Storage always speaks
 * `https://` to a custom endpoint. No off-the-shelf server does both on one port, and the trick is
 * small: peek at the first byte of each connection; 0x16 opens a TLS handshake record.
 * (The client has no `ws://` option: https://github.com/aws-amplify/amplify-js/issues/12894)
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { answerMalformedRequests } from './http'
import type { BoundPort } from './port'

const TLS_HANDSHAKE = 0x16
/** A connection that sends nothing at all is not kept open for ever. */
const FIRST_BYTE_TIMEOUT_MS = 30_000

export interface DualProtocolServerOptions {
  tls: { key: string, cert: string }
  onRequest: (request: IncomingMessage, response: ServerResponse) => void
  /** WebSocket upgrades; without it they are refused. */
  onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void
}

export interface DualProtocolServer {
  /** Stops serving the port (it closes with the server) and drops its connections. */
  close(): Promise<void>
}

/**
 * The path every TLS port answers with 204 and CORS for any origin: a page (the app, through
 * `utils/sandbox-certificate.ts`) fetches it to learn whether the browser trusts the sandbox's
 * certificate, which only a completed request can tell, without an error in its console.
 */
export const TLS_CHECK_PATH = '/__sandbox/tls-check'

export function serveDualProtocol(port: BoundPort, options: DualProtocolServerOptions): DualProtocolServer {
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (request.url === TLS_CHECK_PATH && request.method === 'GET') {
      response.writeHead(204, { 'access-control-allow-origin': '*', 'cache-control': 'no-store' }).end()
      return
    }
    options.onRequest(request, response)
  }
  const plain = createHttpServer(onRequest)
  const secure = createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
  for (const server of [plain, secure] as HttpServer[]) {
    port.observe(server)
    server.on('upgrade', options.onUpgrade ?? ((_request: IncomingMessage, socket: Duplex) => socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')))
    answerMalformedRequests(server)
  }
  secure.on('tlsClientError', (_error, socket) => socket.destroy())

  port.serve((socket) => {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy())
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0)
      // Put the bytes back: the chosen server then reads the stream from its beginning.
      socket.pause()
      socket.unshift(chunk)
      ;(chunk[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket)
      process.nextTick(() => socket.resume())
    })
  })

  return {
    close: async () => {
      plain.closeAllConnections()
      secure.closeAllConnections()
      await port.close()
    },
  }
}
