/**
 * Global setup of the e2e tier: one offline sandbox on free ports, one production build of the app
 * against it, and that build's own server on a free loopback port, shared by every e2e file.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { AppServer, buildApp } from '../support/app'
import { projectRoot } from '../support/project'
import { startTestSandbox } from '../support/sandbox'

export interface E2eContext {
  /** The built app, e.g. http://127.0.0.1:41234 */
  baseUrl: string
  /** The sandbox's mailbox: sign-up and reset codes by address. */
  messagesUrl: string
  /** The sandbox's amplify_outputs.json the app was built against. */
  outputsPath: string
  /** The sandbox's data folder (user pool keys live in `userpool/keys.json`). */
  dataDir: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eContext
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now()
  const { sandbox, stop: stopSandbox } = await startTestSandbox()
  const parent = join(projectRoot, '.amplify', 'test')
  await mkdir(parent, { recursive: true })
  const work = await mkdtemp(join(parent, 'e2e-'))
  let server: AppServer | undefined
  try {
    const outputDir = await buildApp(sandbox.outputsPath, work)
    server = new AppServer(outputDir)
    project.provide('e2e', {
      baseUrl: await server.url,
      messagesUrl: sandbox.messagesUrl,
      outputsPath: sandbox.outputsPath,
      dataDir: sandbox.dataDir,
    })
    console.log(`e2e: sandbox, build and app server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  catch (error) {
    await server?.stop()
    await stopSandbox()
    await rm(work, { recursive: true, force: true })
    throw error
  }
  return async () => {
    await server?.stop()
    await stopSandbox()
    await rm(work, { recursive: true, force: true })
  }
}
