/**
 * Global setup of the e2e tier: one offline sandbox on free ports, one production build of the app
 * against it with Nitro's aws_amplify preset (what Amplify Hosting deploys), and that build's compute
 * entry point on a free loopback port, shared by every e2e file: the browser and server tests run
 * against it, hosting-build.test.ts checks the build itself.
 */
import type { TestProject } from 'vitest/node'
import { startBuiltApp } from '../../support/built-app'

export interface E2eContext {
  /** The built app, e.g. http://127.0.0.1:41234 */
  baseUrl: string
  /** Its build: `deploy-manifest.json`, `compute/default/` (the server) and `static/`. */
  buildDir: string
  /** When that build started (ms since the epoch): the project's own folders have nothing newer from it. */
  buildStartedAt: number
  /** The sandbox's mailbox: sign-up and reset codes by address. */
  messagesUrl: string
  /** The sandbox's amplify_outputs.json the app was built against. */
  outputsPath: string
  /** The sandbox's data folder (user pool keys live in `userpool/keys.json`). */
  dataDir: string
  /** The certificate the sandbox's https endpoints (realtime, Storage) present. */
  certificatePath: string
  /** `custom.offlineSandbox.storageEndpoint`: what Storage calls pass as `customEndpoint`. */
  storageEndpoint: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eContext
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now()
  const app = await startBuiltApp('test', { preset: 'aws_amplify' })
  project.provide('e2e', {
    baseUrl: app.baseUrl,
    buildDir: app.outputDir,
    buildStartedAt: started,
    messagesUrl: app.sandbox.messagesUrl,
    outputsPath: app.sandbox.outputsPath,
    dataDir: app.sandbox.dataDir,
    certificatePath: app.sandbox.certificatePath,
    storageEndpoint: (app.sandbox.outputs as { custom: { offlineSandbox: { storageEndpoint: string } } }).custom.offlineSandbox.storageEndpoint,
  })
  console.log(`e2e: sandbox, build and app server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return app.stop
}
