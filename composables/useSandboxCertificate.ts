import outputs from '#amplify-outputs'
import { dataErrorMessage } from '~~/utils/data-errors'
import { UNTRUSTED_CERTIFICATE, isNetworkFailure, sandboxTlsOrigins, trustsEvery } from '~~/utils/sandbox-certificate'

/** `unneeded` against the cloud; `unknown` until the browser has checked (never on the server). */
export type CertificateTrust = 'unknown' | 'unneeded' | 'trusted' | 'untrusted'

const origins = sandboxTlsOrigins(outputs)

/**
 * Whether this browser trusts the offline sandbox's certificate, which live updates and files need.
 * Checked once per page load in the browser (`plugins/03.sandbox-certificate.client.ts`) and again
 * when a call fails with no answer, so the page can say why and what fixes it.
 */
export function useSandboxCertificate() {
  const trust = useState<CertificateTrust>('sandbox-certificate', () => (origins.length ? 'unknown' : 'unneeded'))

  async function check(): Promise<CertificateTrust> {
    if (import.meta.server || trust.value === 'unneeded') return trust.value
    trust.value = (await trustsEvery(origins)) ? 'trusted' : 'untrusted'
    return trust.value
  }

  /** What to tell the user about a failed call: a call the certificate stopped says so, and how to fix it. */
  async function explain(cause: unknown): Promise<string> {
    if (isNetworkFailure(cause)) {
      if ((await check()) === 'untrusted') return UNTRUSTED_CERTIFICATE
      return 'the backend did not answer (network error). Check that it is running, then try again.'
    }
    return dataErrorMessage(cause)
  }

  return { trust, origins, check, explain }
}
