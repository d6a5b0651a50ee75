import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { LaunchOptions } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`), preferred when installed: the browser people run. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium'

const projectRoot = resolve(import.meta.dirname, '../..')

/**
 * Without the networking flags Chromium keeps dialling Google's hosts, which this machine refuses.
 * None of `@sparticuz/chromium`'s own `args`: they are for AWS Lambda (`--single-process` and
 * `--no-zygote` for its kernel), and `--disable-web-security` and `--allow-running-insecure-content`
 * would switch off the CORS and mixed-content checks the browser tests are there to meet. Its
 * binary runs headless with these alone, as Debian's does.
 */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Chromium {
  executablePath: string
  /** Where it comes from, for people: `CHROMIUM_PATH`, `Debian's chromium` or `@sparticuz/chromium <version>`. */
  from: string
}

let chosen: Promise<Chromium> | undefined

/**
 * The browser the tests drive: `CHROMIUM_PATH` when set; else Debian's when installed; else the one
 * npm installed with `@sparticuz/chromium`, so `npm ci && npm test` needs no browser install (test
 * tools cannot download browsers here). Chosen once per process.
 */
export function chooseChromium(): Promise<Chromium> {
  chosen ??= choose()
  return chosen
}

export async function launchOptions(): Promise<LaunchOptions> {
  return { executablePath: (await chooseChromium()).executablePath, args: ARGS }
}

async function choose(): Promise<Chromium> {
  const given = process.env.CHROMIUM_PATH
  if (given) {
    // Asked for by name: a wrong path is a mistake to report, not a reason to run another browser.
    if (!existsSync(given)) throw new Error(`No Chromium at CHROMIUM_PATH=${given}`)
    return { executablePath: given, from: 'CHROMIUM_PATH' }
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, from: 'Debian\'s chromium' }
  const { version } = JSON.parse(await readFile(join(projectRoot, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string }
  return { executablePath: await unpackedNpmChromium(version), from: `@sparticuz/chromium ${version}` }
}

/**
 * `@sparticuz/chromium` ships its browser compressed and unpacks it into `os.tmpdir()` on first use,
 * writing the binary in place: a second test process starting meanwhile finds it half-written, and
 * `/tmp/chromium` may be another project's version. So each version is unpacked once under
 * `node_modules/.cache` (which `npm ci` starts afresh), in a folder of its own moved into place
 * whole; when two processes race, the first move wins and the other's copy is dropped.
 */
async function unpackedNpmChromium(version: string): Promise<string> {
  const cache = join(projectRoot, 'node_modules', '.cache', 'sparticuz-chromium')
  const dir = join(cache, version)
  const executable = join(dir, 'chromium')
  if (existsSync(executable)) return executable

  await mkdir(cache, { recursive: true })
  const staging = await mkdtemp(join(cache, `${version}-unpacking-`))
  console.info(`Unpacking @sparticuz/chromium ${version} into ${relative(projectRoot, dir)} (once per install)`)
  try {
    // Its own `executablePath()` does the unpacking, into TMPDIR: a child process's TMPDIR is ours to set.
    await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', 'import chromium from \'@sparticuz/chromium\'; await chromium.executablePath()'], {
      cwd: projectRoot,
      env: { ...process.env, TMPDIR: staging },
    })
    await rename(staging, dir)
  }
  catch (error) {
    // The move fails when another process's copy got there first: that one serves.
    if (!existsSync(executable)) throw error
  }
  finally {
    await rm(staging, { recursive: true, force: true })
  }
  return executable
}
