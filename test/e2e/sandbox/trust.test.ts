/**
 * `npm run sandbox:trust` as a user runs it, proved in a real browser: Chromium, started with the
 * user's home folder (a temporary one here), refuses an https page served with the sandbox's
 * certificate, loads it after the command, and refuses it again after `-- --undo`. Chromium on
 * Linux reads trust from `$HOME/.pki/nssdb` whatever its profile folder (Debian's and
 * `@sparticuz/chromium`'s alike: both use the system's NSS), so playwright's fresh profile per
 * launch is no obstacle; each check launches a fresh browser, as a restart would.
 */
import { execFile, spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreateCertificate } from '../../../sandbox/core/tls'
import { launchOptions } from '../../support/chromium'
import { projectRoot } from '../../support/project'

// The command adds the certificate with NSS's certutil, which no npm package ships: without it, the
// tests of adding and removing cannot run, and they say so rather than pass. `.ci/run` installs it.
const hasCertutil = spawnSync('sh', ['-c', 'command -v certutil']).status === 0
const NO_CERTUTIL = 'skipped: no certutil here, apt-get install libnss3-tools to run it'
if (!hasCertutil) console.warn(`npm run sandbox:trust: the tests that add the certificate are ${NO_CERTUTIL}`)
const needingCertutil = (name: string) => hasCertutil ? name : `${name} (${NO_CERTUTIL})`

interface Ran {
  code: number
  output: string
}

describe('npm run sandbox:trust', () => {
  let project: string
  let home: string
  let server: Server
  let url: string
  let sha256: string

  /** `npm run sandbox:trust [-- args]` in the project, for the user whose home is `home`. */
  const trust = (args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Ran> => new Promise((done) => {
    execFile('npm', ['run', '--silent', 'sandbox:trust', ...(args.length ? ['--', ...args] : [])], {
      cwd: project,
      env: { ...process.env, HOME: home, ...env },
    }, (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }))
  })

  /** What a freshly started Chromium of that user makes of the page: its text, or the error it refused it with. */
  const visit = async (): Promise<string> => {
    const browser = await chromium.launch({ ...(await launchOptions()), env: { ...process.env, HOME: home } })
    try {
      const page = await browser.newPage()
      const response = await page.goto(url)
      return `${response?.status()} ${await page.textContent('body')}`
    }
    catch (error) {
      return (error as Error).message.split('\n')[0]!
    }
    finally {
      await browser.close()
    }
  }

  beforeAll(async () => {
    const parent = join(projectRoot, '.amplify', 'test')
    await mkdir(parent, { recursive: true })
    // Inside the project, so `--import tsx` resolves from its node_modules; the script as package.json has it.
    project = await mkdtemp(join(parent, 'trust-'))
    await writeFile(join(project, 'package.json'), JSON.stringify({ private: true, scripts: { 'sandbox:trust': `exec node --import tsx ${join(projectRoot, 'sandbox', 'commands', 'trust.ts')}` } }))
    home = await mkdtemp(join(tmpdir(), 'trust-home-'))
    // The certificate the sandbox makes on its first start, where it keeps it.
    const tls = await loadOrCreateCertificate(join(project, '.amplify', 'sandbox', 'tls'))
    sha256 = new X509Certificate(tls.cert).fingerprint256
    server = createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('served by the sandbox'))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })

  afterAll(async () => {
    server?.close()
    await rm(project, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  })

  it('says to start the sandbox first when there is no certificate yet', async () => {
    const fresh = await mkdtemp(join(projectRoot, '.amplify', 'test', 'trust-none-'))
    try {
      await writeFile(join(fresh, 'package.json'), JSON.stringify({ private: true, scripts: { 'sandbox:trust': `exec node --import tsx ${join(projectRoot, 'sandbox', 'commands', 'trust.ts')}` } }))
      const ran = await new Promise<Ran>(done => execFile('npm', ['run', '--silent', 'sandbox:trust'], { cwd: fresh, env: { ...process.env, HOME: home } }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr })))
      expect(ran.code).not.toBe(0)
      expect(ran.output).toContain('start the sandbox once first')
    }
    finally {
      await rm(fresh, { recursive: true, force: true })
    }
  })

  it.skipIf(!hasCertutil)(needingCertutil('makes Chromium trust the sandbox\'s certificate, says what it changed, and takes it back with --undo'), async () => {
    expect(await visit()).toMatch(/net::ERR_CERT_AUTHORITY_INVALID/)

    const added = await trust()
    expect(added.code).toBe(0)
    expect(added.output).toContain(sha256)
    expect(added.output).toMatch(/~\/\.pki\/nssdb: created, added/)
    expect(added.output).toMatch(/Restart your browsers/)
    expect(added.output).toContain('npm run sandbox:trust -- --undo')
    expect(added.output).toContain('NODE_EXTRA_CA_CERTS')
    expect(await visit()).toBe('200 served by the sandbox')

    // Again: nothing to change, and still one entry.
    const again = await trust()
    expect(again.output).toMatch(/~\/\.pki\/nssdb: already trusted/)

    const undone = await trust(['--undo'])
    expect(undone.code).toBe(0)
    expect(undone.output).toMatch(/~\/\.pki\/nssdb: removed/)
    expect(await visit()).toMatch(/net::ERR_CERT_AUTHORITY_INVALID/)
  })

  it.skipIf(!hasCertutil)(needingCertutil('tells Firefox users what to do instead, when they have a profile'), async () => {
    const profile = join(home, '.mozilla', 'firefox', 'abcd1234.default-release')
    await mkdir(profile, { recursive: true })
    await writeFile(join(profile, 'cert9.db'), '')
    try {
      const ran = await trust()
      expect(ran.code).toBe(0)
      expect(ran.output).toMatch(/Firefox \(1 profile\) trusts a self-signed server certificate only as an exception/)
      expect(ran.output).toContain('https://127.0.0.1:20002/ and https://127.0.0.1:20003/')
    }
    finally {
      await rm(join(home, '.mozilla'), { recursive: true, force: true })
      await trust(['--undo'])
    }
  })

  it('says how to install certutil when it is missing, and changes nothing', async () => {
    // A PATH with the shell, node and npm only, as on a machine without NSS's tools.
    const bin = await mkdtemp(join(tmpdir(), 'trust-bin-'))
    try {
      await symlink('/bin/sh', join(bin, 'sh'))
      await symlink(process.execPath, join(bin, 'node'))
      const npm = await new Promise<string>(done => execFile('sh', ['-c', 'command -v npm'], (_error, stdout) => done(stdout.trim())))
      await symlink(npm, join(bin, 'npm'))
      const ran = await trust([], { PATH: bin })
      expect(ran.code).not.toBe(0)
      expect(ran.output).toContain('sudo apt-get install libnss3-tools')
      expect(ran.output).toContain('sudo dnf install nss-tools')
      expect(await visit()).toMatch(/net::ERR_CERT_AUTHORITY_INVALID/)
    }
    finally {
      await rm(bin, { recursive: true, force: true })
    }
  })

  it('prints its usage with --help', async () => {
    const help = await trust(['--help'])
    expect(help.code).toBe(0)
    expect(help.output).toContain('Usage: npm run sandbox:trust [-- --undo]')
  })
})
