import { existsSync } from 'node:fs'
import type { LaunchOptions } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`); test tools cannot download browsers here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function launchOptions(): LaunchOptions {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\` (or set CHROMIUM_PATH)`)
  }
  return {
    executablePath: CHROMIUM_PATH,
    // Without the networking flags Chromium keeps dialling Google's hosts, which this machine refuses.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  }
}
