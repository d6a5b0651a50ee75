/**
 * The offline sandbox serves realtime (`wss://` on the data port) and Storage (`https://`) with a
 * certificate it made itself. A browser that does not trust it fails those calls with nothing but
 * "Network Error": these helpers let the app find out and say what to do. No aws-amplify import:
 * this is on every page.
 */
import type { AmplifyOutputs } from './amplify-config'

/** The one step that makes a browser trust the sandbox (sandbox/commands/trust.ts). */
export const TRUST_COMMAND = 'npm run sandbox:trust'

/** What the app says, wherever a call failed for this reason. */
export const UNTRUSTED_CERTIFICATE = `your browser does not trust the offline sandbox's certificate. Run \`${TRUST_COMMAND}\` in the project, then restart the browser.`

/**
 * The `https://` origins of an offline sandbox's TLS endpoints (the data port, for realtime, and
 * Storage); none for a cloud `amplify_outputs.json`, whose endpoints have public certificates.
 */
export function sandboxTlsOrigins(outputs: AmplifyOutputs): string[] {
  const { custom, data } = outputs as { custom?: { offlineSandbox?: { storageEndpoint?: unknown } }, data?: { url?: unknown } }
  const local = custom?.offlineSandbox
  if (!local) return []
  const origins: string[] = []
  if (typeof data?.url === 'string' && URL.canParse(data.url)) origins.push(`https://${new URL(data.url).host}`)
  if (typeof local.storageEndpoint === 'string') origins.push(`https://${local.storageEndpoint}`)
  return origins
}

/** What every sandbox TLS port answers with 204 (`TLS_CHECK_PATH` in sandbox/core/listener.ts). */
const TLS_CHECK_PATH = '/__sandbox/tls-check'

/**
 * Whether the browser completes a request to every origin: a refused certificate is a network
 * error (as is a sandbox that is not running; the page's other calls tell those apart).
 */
export async function trustsEvery(origins: string[], fetcher: typeof fetch = fetch): Promise<boolean> {
  const answers = await Promise.all(origins.map(origin =>
    fetcher(`${origin}${TLS_CHECK_PATH}`, { cache: 'no-store', credentials: 'omit' }).then(response => response.ok, () => false)))
  return answers.every(Boolean)
}

/** How browsers and aws-amplify report a request that got no answer at all (TLS refused, server down). */
export function isNetworkFailure(cause: unknown): boolean {
  const { name, code, message } = (cause ?? {}) as { name?: unknown, code?: unknown, message?: unknown }
  // aws-amplify's fetch handler names it; its Storage transfers (XMLHttpRequest) say it in words.
  if (name === 'NetworkError' || code === 'ERR_NETWORK') return true
  return typeof message === 'string' && /^(Network Error|Failed to fetch|Load failed|NetworkError when attempting to fetch resource\.?)$/.test(message)
}
