/**
 * Global setup of the e2e tier: one offline sandbox on free ports, one production build of the app
 * against it, and that build's own server on a free loopback port, shared by every e2e file.
 */
import type { TestProject } from 'vitest/node'
import { startBuiltApp } from '../../support/built-app'

export interface E2eContext {
  /** The built app, e.g. http://127.0.0.1:41234 */
  baseUrl: string
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
  const app = await startBuiltApp()
  project.provide('e2e', {
    baseUrl: app.baseUrl,
    messagesUrl: app.sandbox.messagesUrl,
    outputsPath: app.sandbox.outputsPath,
    dataDir: app.sandbox.dataDir,
    certificatePath: app.sandbox.certificatePath,
    storageEndpoint: (app.sandbox.outputs as { custom: { offlineSandbox: { storageEndpoint: string } } }).custom.offlineSandbox.storageEndpoint,
  })
  console.log(`e2e: sandbox, build and app server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return app.stop
}
