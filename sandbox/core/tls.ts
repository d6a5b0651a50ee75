/**
 * The sandbox's TLS certificate: the data client only speaks `wss://` to the realtime endpoint
 * (even for an `http://` GraphQL URL), so the local API needs a certificate that browsers and Node
 * can be told to trust once. It is generated on first use and then reused from `dir`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface SandboxCertificate {
  /** PEM private key. */
  key: string
  /** PEM certificate (self-signed: it is its own trust anchor). */
  cert: string
  /** Where the certificate is stored: what a browser or `NODE_EXTRA_CA_CERTS` is pointed at. */
  certPath: string
}

const KEY_FILE = 'localhost-key.pem'
const CERT_FILE = 'localhost-cert.pem'
const VALIDITY_DAYS = 3650
/** Regenerate a little before expiry rather than serve a certificate that dies mid-session. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000

export async function loadOrCreateCertificate(dir: string): Promise<SandboxCertificate> {
  const keyPath = join(dir, KEY_FILE)
  const certPath = join(dir, CERT_FILE)
  const existing = await readExisting(keyPath, certPath)
  if (existing) return { ...existing, certPath }

  await mkdir(dir, { recursive: true })
  // Loaded only to make one: most starts reuse the certificate.
  const { generate } = await import('selfsigned')
  const notBeforeDate = new Date(Date.now() - 60_000)
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      // Browsers ignore the common name: only SANs count.
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  })
  // Write to temp names and rename, so a crash never leaves a key without its certificate.
  await writeFile(`${keyPath}.tmp`, pems.private, { mode: 0o600 })
  await writeFile(`${certPath}.tmp`, pems.cert)
  await rename(`${keyPath}.tmp`, keyPath)
  await rename(`${certPath}.tmp`, certPath)
  return { key: pems.private, cert: pems.cert, certPath }
}

async function readExisting(keyPath: string, certPath: string): Promise<{ key: string, cert: string } | undefined> {
  let key: string
  let cert: string
  try {
    ;[key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')])
  }
  catch {
    return undefined
  }
  try {
    const parsed = new X509Certificate(cert)
    const expiresAt = Date.parse(parsed.validTo)
    // A certificate that does not belong to the key (or is about to expire) is replaced.
    if (!parsed.checkPrivateKey(createPrivateKey(key)) || expiresAt - Date.now() < RENEW_BEFORE_MS) return undefined
  }
  catch {
    return undefined
  }
  return { key, cert }
}
