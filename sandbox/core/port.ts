/**
 * A service's port, bound by the orchestrator before synth: a port in use fails the start at once,
 * not after the seconds a synth takes. The service that owns the port later hands its connections
 * to its own protocol server (`serve`); one that arrived in between waits for it.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import { createServer, type AddressInfo, type Socket } from 'node:net'

/**
 * A service's port, as its flag (`--auth-port`) and environment variable (`SANDBOX_AUTH_PORT`)
 * name it: 'auth', 'data', 'storage', 'rest', or whatever a new service calls its own.
 */
export type PortName = string

/** One HTTP request a local service received, as `SandboxOptions.onRequest` reports it. */
export interface SandboxRequest {
  /** The port it came in on, by name ('auth' carries the identity pool's, SSM's and Lambda's requests too). */
  port: PortName
  method: string
  /** Path and query. */
  url: string
  /** `X-Amz-Target` (`AWSCognitoIdentityService.GetId`...), for the JSON APIs that name their operation there. */
  target?: string
}

export type RequestObserver = (request: SandboxRequest) => void

export interface BoundPort {
  readonly port: number
  /** The bound address as a URL's host part (`127.0.0.1`, `[::1]`), without the port. */
  readonly host: string
  /** Hands every connection, those already waiting first, to `accept`. */
  serve(accept: (socket: Socket) => void): void
  /** Reports each request `server` (the protocol server this port's connections go to) receives. */
  observe(server: HttpServer): void
  /** Stops listening and drops every open connection. */
  close(): Promise<void>
}

/** A start-up failure the user can act on: the CLI prints its message alone. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError'
}

export async function bindPort(host: string, port: number, name: PortName, onRequest?: RequestObserver): Promise<BoundPort> {
  const sockets = new Set<Socket>()
  let waiting: Socket[] | undefined = []
  let accept: ((socket: Socket) => void) | undefined
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // A reset before the service takes it must not become an unhandled 'error' event.
    socket.on('error', () => socket.destroy())
    if (accept) accept(socket)
    else waiting?.push(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
      ? new SandboxStartError(`Port ${port} (${name}) is in use: is another sandbox running? Pick another with --${name}-port.`)
      : error))
    server.listen(port, host, resolve)
  })
  const address = server.address() as AddressInfo
  let closed: Promise<void> | undefined
  return {
    port: address.port,
    host: address.family === 'IPv6' ? `[${address.address}]` : address.address,
    serve(next) {
      accept = next
      const queued = waiting ?? []
      waiting = undefined
      for (const socket of queued) if (!socket.destroyed) next(socket)
    },
    observe(server) {
      if (!onRequest) return
      server.on('request', (request: IncomingMessage) => {
        const target = request.headers['x-amz-target']
        onRequest({ port: name, method: request.method ?? '', url: request.url ?? '', target: typeof target === 'string' ? target : undefined })
      })
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closed
    },
  }
}
