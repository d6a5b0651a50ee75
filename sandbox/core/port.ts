/**
 * A service's port, bound by the orchestrator before synth: a port in use fails the start at once,
 * not after the seconds a synth takes. The service that owns the port later hands its connections
 * to its own protocol server (`serve`); one that arrived in between waits for it.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net'

/**
 * A service's port, as its flag (`--auth-port`) and environment variable (`SANDBOX_AUTH_PORT`)
 * name it: 'auth', 'data', 'storage', 'rest', or whatever a new service calls its own.
 */
export type PortName = string

export interface BoundPort {
  readonly port: number
  /** The bound address as a URL's host part (`127.0.0.1`, `[::1]`), without the port. */
  readonly host: string
  /** Hands every connection, those already waiting first, to `accept`. */
  serve(accept: (socket: Socket) => void): void
  /** Stops listening and drops every open connection. */
  close(): Promise<void>
}

/** A start-up failure the user can act on: the CLI prints its message alone. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError'
}

export async function bindPort(host: string, port: number, name: PortName): Promise<BoundPort> {
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
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closed
    },
  }
}
