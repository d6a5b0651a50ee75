/**
 * Trusting the offline sandbox's self-signed certificate (realtime's `wss://` and Storage's
 * `https://`) in a test process, without turning certificate checks off. Node's fetch is undici;
 * NODE_EXTRA_CA_CERTS is read once when a process starts, so a running test (or worker thread)
 * sets a dispatcher instead: the system's roots plus the sandbox's certificate.
 */
import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import { Agent, setGlobalDispatcher, type Dispatcher } from 'undici'

let trusting: Dispatcher | undefined

/** An undici dispatcher that trusts `certificate` (PEM) besides the usual roots. */
export function dispatcherTrusting(certificate: string): Dispatcher {
  return new Agent({ connect: { ca: [...rootCertificates, certificate] } })
}

/** Makes this thread's `fetch` (and so aws-amplify's Storage calls) trust the sandbox's certificate. */
export async function trustSandboxCertificate(certificatePath: string): Promise<void> {
  trusting = dispatcherTrusting(await readFile(certificatePath, 'utf8'))
  setGlobalDispatcher(trusting)
}

/** `fetch` for a sandbox https URL (a presigned Storage URL); `trustSandboxCertificate` first. */
export async function sandboxFetch(url: string, init: RequestInit = {}): Promise<Response> {
  if (!trusting) throw new Error('trustSandboxCertificate(certificatePath) first')
  return fetch(url, init)
}
