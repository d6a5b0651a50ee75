/**
 * `npm run sandbox:trust` (`-- --undo` takes it back): makes this user's browsers trust the offline
 * sandbox's self-signed certificate (`.amplify/sandbox/tls/localhost-cert.pem`, made on first start),
 * which realtime (`wss://` on the data port) and Storage (`https://`) are served with, without admin
 * rights. On Linux it adds the certificate to the NSS databases Chromium-based browsers read, with
 * NSS's `certutil`; on macOS to the login keychain; on Windows to the user's Root store. It imports
 * nothing of the sandbox, as the other `sandbox:*` commands.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { accessSync, constants, existsSync, readdirSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const USAGE = `Usage: npm run sandbox:trust [-- --undo]

Makes your browsers trust the offline sandbox's certificate (.amplify/sandbox/tls/localhost-cert.pem),
which realtime updates (wss://) and Storage (https://) use. No admin rights: only your own
certificate stores change. Restart your browsers afterwards.

  --undo    remove it again
  --help    this text`

/** Where the sandbox keeps its certificate, from the project folder (npm runs scripts there). */
const CERTIFICATE = join('.amplify', 'sandbox', 'tls', 'localhost-cert.pem')
/** The sandbox's default GraphQL and Storage ports, for what to open when amplify_outputs.json does not say. */
const DEFAULT_HTTPS_URLS = ['https://127.0.0.1:20002/', 'https://127.0.0.1:20003/']

/** A failure the user can act on: printed alone, without a stack. */
class CommandError extends Error {}

interface Certificate {
  path: string
  pem: string
  sha256: string
  /** Without colons: how Windows and macOS name a certificate on their command lines. */
  sha1: string
}

function run(command: string, args: string[]): Promise<{ stdout: string, stderr: string }> {
  return new Promise((done, fail) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) fail(Object.assign(error, { stdout, stderr }))
      else done({ stdout, stderr })
    })
  })
}

/** The program's path on PATH, or undefined. */
function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    }
    catch {
      // Not here.
    }
  }
  return undefined
}

/** `~/...` for what is under the home folder: shorter, and the same for every user reading along. */
function shown(path: string): string {
  const fromHome = relative(homedir(), path)
  return fromHome && !fromHome.startsWith('..') ? join('~', fromHome) : path
}

async function readCertificate(projectDir: string): Promise<Certificate> {
  const path = join(projectDir, CERTIFICATE)
  if (!existsSync(path)) {
    throw new CommandError(`No certificate at ${CERTIFICATE} yet: start the sandbox once first (npm run sandbox, or npm run dev), then run this again.`)
  }
  const pem = await readFile(path, 'utf8')
  const parsed = new X509Certificate(pem)
  return { path, pem, sha256: parsed.fingerprint256, sha1: parsed.fingerprint.replaceAll(':', '') }
}

// Linux (and other systems with NSS): Chromium, Chrome, Edge, Brave... -------------------------------

const INSTALL_CERTUTIL = `certutil (NSS's tools) is not installed. Install it, then run this again:
  Debian, Ubuntu:  sudo apt-get install libnss3-tools
  Fedora, RHEL:    sudo dnf install nss-tools
  Arch:            sudo pacman -S nss
  openSUSE:        sudo zypper install mozilla-nss-tools
  Alpine:          sudo apk add nss-tools`

/**
 * The NSS databases Chromium-based browsers read on Linux: `~/.pki/nssdb` (made if missing: a
 * browser that has not run yet reads it on its first start) and the Chromium snap's own.
 * Firefox's profiles are not among them: Gecko trusts a certificate from its database only as a
 * CA ("If an end-entity has the CERTDB_TRUSTED_CA bit set, Gecko does not consider it to be a
 * trust anchor", NSSCertDBTrustDomain.cpp), and this one is a self-signed server certificate
 * (`cA: false`), so an entry there would change nothing; `firefoxNote` says what to do instead.
 */
function chromiumDatabases(): Array<{ dir: string, create: boolean }> {
  const home = homedir()
  return [
    { dir: join(home, '.pki', 'nssdb'), create: true },
    { dir: join(home, 'snap', 'chromium', 'current', '.pki', 'nssdb'), create: false },
  ].filter(db => db.create || existsSync(join(db.dir, 'cert9.db')))
}

/** Every Firefox profile of this user (deb, tarball, snap and flatpak installs). */
function firefoxProfiles(): string[] {
  const home = homedir()
  const roots = [
    join(home, '.mozilla', 'firefox'),
    join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
  ]
  return roots.flatMap((root) => {
    try {
      return readdirSync(root, { withFileTypes: true })
        .filter(entry => entry.isDirectory() && existsSync(join(root, entry.name, 'cert9.db')))
        .map(entry => join(root, entry.name))
    }
    catch {
      return []
    }
  })
}

/** The SHA-256 fingerprints of the certificates stored under `nickname` in `db` (none: an empty list). */
async function storedUnder(certutil: string, db: string, nickname: string): Promise<string[]> {
  try {
    const { stdout } = await run(certutil, ['-d', `sql:${db}`, '-L', '-n', nickname, '-a'])
    return (stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(pem => new X509Certificate(pem).fingerprint256)
  }
  catch {
    return []
  }
}

/** Deletes every certificate stored under `nickname` (a nickname can hold several); how many went. */
async function removeNickname(certutil: string, db: string, nickname: string): Promise<number> {
  let removed = 0
  // Bounded: a database that keeps answering must not keep this looping.
  for (let i = 0; i < 16 && (await storedUnder(certutil, db, nickname)).length > 0; i++) {
    await run(certutil, ['-d', `sql:${db}`, '-D', '-n', nickname])
    removed++
  }
  return removed
}

async function trustWithNss(certificate: Certificate, nickname: string): Promise<string[]> {
  const certutil = onPath('certutil')
  if (!certutil) throw new CommandError(INSTALL_CERTUTIL)
  const done: string[] = []
  for (const { dir } of chromiumDatabases()) {
    let created = false
    if (!existsSync(join(dir, 'cert9.db'))) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await run(certutil, ['-d', `sql:${dir}`, '-N', '--empty-password'])
      created = true
    }
    const stored = await storedUnder(certutil, dir, nickname)
    if (stored.length === 1 && stored[0] === certificate.sha256) {
      done.push(`${shown(dir)}: already trusted`)
      continue
    }
    const replaced = await removeNickname(certutil, dir, nickname)
    // "P": a trusted peer, this very certificate and nothing it might sign (it is no CA).
    await run(certutil, ['-d', `sql:${dir}`, '-A', '-t', 'P,,', '-n', nickname, '-i', certificate.path])
    done.push(`${shown(dir)}: ${created ? 'created, ' : ''}${replaced ? 'replaced the older certificate' : 'added'}`)
  }
  return done
}

async function untrustWithNss(nickname: string): Promise<string[]> {
  const certutil = onPath('certutil')
  if (!certutil) throw new CommandError(INSTALL_CERTUTIL)
  const done: string[] = []
  for (const { dir } of chromiumDatabases()) {
    if (!existsSync(join(dir, 'cert9.db'))) continue
    const removed = await removeNickname(certutil, dir, nickname)
    done.push(`${shown(dir)}: ${removed ? 'removed' : 'was not there'}`)
  }
  return done
}

/** What to do for Firefox, when this user has profiles: per-site exceptions are what Firefox offers for such certificates. */
async function firefoxNote(projectDir: string): Promise<string | undefined> {
  const profiles = firefoxProfiles()
  if (!profiles.length) return undefined
  const urls = await sandboxHttpsUrls(projectDir)
  return [
    `Firefox (${profiles.length} profile${profiles.length > 1 ? 's' : ''}) trusts a self-signed server certificate only as an exception per address:`,
    `open ${urls.join(' and ')} once and choose "Accept the Risk and Continue".`,
  ].join('\n')
}

/** The sandbox's https addresses from its amplify_outputs.json, else its default ones. */
async function sandboxHttpsUrls(projectDir: string): Promise<string[]> {
  try {
    const outputs = JSON.parse(await readFile(resolve(projectDir, process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json'), 'utf8')) as {
      data?: { url?: string }
      custom?: { offlineSandbox?: { storageEndpoint?: string } }
    }
    const storage = outputs.custom?.offlineSandbox?.storageEndpoint
    const data = outputs.data?.url
    if (storage && data) return [`https://${new URL(data).host}/`, `https://${storage}/`]
  }
  catch {
    // No outputs (or a cloud backend's): the defaults.
  }
  return DEFAULT_HTTPS_URLS
}

// macOS and Windows: the commands their documentation gives for a user's own trust store. -------
// Not run by the tests (they run on Linux); kept to those commands, nothing more.

/**
 * The login keychain, user trust settings (no admin). `trustRoot`, not `trustAsRoot`: macOS
 * refuses `trustAsRoot` for a self-signed certificate (errSecParam in SecTrustSettings), and
 * accepts `trustRoot` only for one.
 */
async function trustOnMac(certificate: Certificate): Promise<string[]> {
  const keychain = join(homedir(), 'Library', 'Keychains', 'login.keychain-db')
  await run('security', ['add-trusted-cert', '-r', 'trustRoot', '-k', keychain, certificate.path])
  return [`${shown(keychain)}: added (security add-trusted-cert -r trustRoot -k ${shown(keychain)} ${CERTIFICATE})`]
}

async function untrustOnMac(certificate: Certificate): Promise<string[]> {
  const keychain = join(homedir(), 'Library', 'Keychains', 'login.keychain-db')
  await run('security', ['remove-trusted-cert', certificate.path]).catch(() => {})
  await run('security', ['delete-certificate', '-Z', certificate.sha1, keychain])
  return [`${shown(keychain)}: removed`]
}

/** The current user's Root store (`-user`: no admin; Windows asks the user to confirm). */
async function trustOnWindows(certificate: Certificate): Promise<string[]> {
  await run('certutil', ['-user', '-addstore', 'Root', certificate.path])
  return [`the current user's Root store: added (certutil -user -addstore Root ${CERTIFICATE})`]
}

async function untrustOnWindows(certificate: Certificate): Promise<string[]> {
  await run('certutil', ['-user', '-delstore', 'Root', certificate.sha1])
  return ['the current user\'s Root store: removed']
}

// The command. ---------------------------------------------------------------------------------------

/** One name per project, so a second project's sandbox is trusted beside this one and --undo takes back only this one's. */
function nicknameFor(projectDir: string): string {
  // NSS reads "token:name" in a nickname: no colon may be in it.
  return `Nuxt Amplify offline sandbox (${projectDir.replaceAll(':', '_')})`
}

async function main(argv: string[]): Promise<number> {
  let flags: { undo?: boolean, help?: boolean }
  try {
    flags = parseArgs({ args: argv, options: { undo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values
  }
  catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    return 1
  }
  if (flags.help) {
    console.log(USAGE)
    return 0
  }
  const projectDir = process.cwd()
  const nickname = nicknameFor(projectDir)

  if (flags.undo) {
    let done: string[]
    if (process.platform === 'darwin') done = await untrustOnMac(await readCertificate(projectDir))
    else if (process.platform === 'win32') done = await untrustOnWindows(await readCertificate(projectDir))
    else done = await untrustWithNss(nickname)
    console.log([`No longer trusting "${nickname}":`, ...done.map(line => `  ${line}`), 'Restart your browsers to forget it.'].join('\n'))
    return 0
  }

  const certificate = await readCertificate(projectDir)
  let done: string[]
  if (process.platform === 'darwin') done = await trustOnMac(certificate)
  else if (process.platform === 'win32') done = await trustOnWindows(certificate)
  else done = await trustWithNss(certificate, nickname)
  const firefox = process.platform === 'darwin' || process.platform === 'win32' ? undefined : await firefoxNote(projectDir)
  console.log([
    `Trusting ${CERTIFICATE} as "${nickname}"`,
    `  SHA-256 ${certificate.sha256}`,
    ...done.map(line => `  ${line}`),
    'Restart your browsers (every window) so they read it: live updates and files then work.',
    ...(firefox ? [firefox] : []),
    `Node.js needs nothing: npm run dev starts nuxi dev with NODE_EXTRA_CA_CERTS=${CERTIFICATE}.`,
    'Undo: npm run sandbox:trust -- --undo',
  ].join('\n'))
  return 0
}

main(process.argv.slice(2)).then(code => process.exit(code), (error: Error & { stderr?: string }) => {
  if (error instanceof CommandError) console.error(error.message)
  // A store that refused: its tool's own words say why.
  else if (error.stderr !== undefined) console.error(`${error.message.split('\n')[0]}\n${error.stderr.trim()}`)
  else console.error(error)
  process.exit(1)
})
