import { execFile, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Amplify } from 'aws-amplify'
import { confirmSignUp, resendSignUpCode, signIn, signOut, signUp } from 'aws-amplify/auth'
import { generateClient } from 'aws-amplify/data'
import { chromium } from 'playwright-core'
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest'
import type { Schema } from '../../../amplify/data/resource'
import { amplifyConfigFromOutputs } from '../../../utils/amplify-config'
import { launchOptions } from '../../support/chromium'
import { projectRoot, scratchProject } from '../../support/project'
import { latestCode, testSynthCacheEnv } from '../../support/started-sandbox'
import { freePortFlags, SandboxProcess } from '../../support/sandbox-command'
import { WatchedProcess } from '../../support/watched-process'

type Outputs = Parameters<typeof amplifyConfigFromOutputs>[0] & { data?: { url: string }, custom: { offlineSandbox: { messagesUrl: string } } }

describe('npm run sandbox', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  let sandbox: SandboxProcess
  let outputs: Outputs
  const email = `cli-${Date.now()}@example.com`
  const password = 'Sandbox-pass-1'

  const configure = async () => {
    outputs = JSON.parse(await readFile(join(project.dir, 'amplify_outputs.json'), 'utf8')) as Outputs
    Amplify.configure(amplifyConfigFromOutputs(outputs))
  }
  const restart = async (args: string[] = [], signal: NodeJS.Signals = 'SIGTERM') => {
    expect(await sandbox.stop(signal)).toBe(0)
    sandbox = new SandboxProcess(project.dir, args)
    await sandbox.ready()
    await configure()
  }
  const todos = async () => {
    const { data, errors } = await generateClient<Schema>().models.Todo.list()
    expect(errors).toBeUndefined()
    return data.map(t => t.content).sort()
  }

  beforeAll(async () => {
    project = await scratchProject()
    sandbox = new SandboxProcess(project.dir)
  })
  afterAll(async () => {
    await sandbox?.stop()
    await project?.remove()
  })

  it('gets ready bound to 127.0.0.1, and writes amplify_outputs.json', async () => {
    // How fast is for bench/sandbox-start.ts to say: a timed assertion here fails on a busy machine.
    await sandbox.ready()
    await configure()
    expect(amplifyConfigFromOutputs(outputs).Auth?.Cognito.userPoolEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(outputs.data?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/)
    expect(sandbox.output).toMatch(/Data\s+\.amplify\/sandbox/)
  })

  it('keeps users and items across a SIGTERM restart', async () => {
    await signUp({ username: email, password, options: { userAttributes: { email } } })
    const code = await latestCode(outputs.custom.offlineSandbox.messagesUrl, email)
    // The code is printed in the sandbox's terminal too.
    expect(sandbox.output).toContain(`code for ${email}: ${code}`)
    await confirmSignUp({ username: email, confirmationCode: code })
    await signIn({ username: email, password })
    const { errors } = await generateClient<Schema>().models.Todo.create({ content: 'survives restarts' })
    expect(errors).toBeUndefined()

    await restart()
    // The session from before the restart is still valid: same pool, same signing key.
    expect(await todos()).toEqual(['survives restarts'])
    await signOut()
    await signIn({ username: email, password })
    expect(await todos()).toEqual(['survives restarts'])
  })

  it('shows the codes it sent on a page a browser opens at custom.offlineSandbox.messagesUrl, newest first', async () => {
    const reader = `mailbox-${Date.now()}@example.com`
    await signUp({ username: reader, password, options: { userAttributes: { email: reader } } })
    const first = await latestCode(outputs.custom.offlineSandbox.messagesUrl, reader)
    await resendSignUpCode({ username: reader })
    const second = await latestCode(outputs.custom.offlineSandbox.messagesUrl, reader)
    const browser = await chromium.launch(await launchOptions())
    try {
      const page = await browser.newPage()
      const response = await page.goto(`${outputs.custom.offlineSandbox.messagesUrl}?to=${encodeURIComponent(reader)}`)
      expect(response?.headers()['content-type']).toMatch(/^text\/html/)
      expect(response?.headers()['content-security-policy']).toBe('default-src \'none\'; style-src \'unsafe-inline\'')
      const codes = await page.locator('.code').allTextContents()
      expect(codes).toEqual([second, first])
      await expect(page.getByText(`sign-up code for ${reader}`).first().isVisible()).resolves.toBe(true)
    }
    finally {
      await browser.close()
    }
  })

  it('serves a model added to amplify/ without a restart, keeping the data', async () => {
    const from = sandbox.output.length
    await project.edit('amplify/data/resource.ts', text =>
      text.replace('const schema = a.schema({\n', 'const schema = a.schema({\n  Note: a.model({ text: a.string() }).authorization(allow => [allow.owner()]),\n'),
    )
    await sandbox.waitFor(/Reloaded the backend in/, 60_000, from)
    await configure()
    const client = generateClient() as unknown as { models: Record<string, { create(input: object): Promise<{ data: { text: string } | null, errors?: unknown }> }> }
    const { Note } = client.models
    assert(Note, 'the client has the model added while the sandbox ran')
    const note = await Note.create({ text: 'a new model' })
    expect(note.errors).toBeUndefined()
    expect(note.data?.text).toBe('a new model')
    expect(await todos()).toEqual(['survives restarts'])
  })

  it('prints the synth error of a broken definition and keeps serving the last good backend', async () => {
    const from = sandbox.output.length
    const good = await readFile(join(project.dir, 'amplify/data/resource.ts'), 'utf8')
    await project.edit('amplify/data/resource.ts', text => text.replace('done: a.boolean(),', 'done: a.boolean(),\n      list: a.belongsTo(\'TodoList\', \'listId\'),'))
    const failure = await sandbox.waitFor(/([\s\S]*)Still serving the last good backend/, 60_000, from)
    expect(failure[1]).toMatch(/TodoList/)
    expect(await todos()).toEqual(['survives restarts'])
    await writeFile(join(project.dir, 'amplify/data/resource.ts'), good)
    await sandbox.waitFor(/Reloaded the backend in/, 60_000, from + failure[0].length)
  })

  it('stops on Ctrl-C (SIGINT) and wipes users and items with --reset', async () => {
    await signOut()
    await restart(['--reset'], 'SIGINT')
    await expect(signIn({ username: email, password })).rejects.toMatchObject({ name: 'NotAuthorizedException' })
  })

  it('run through npm, says what matters once: no SDK warning per function, the right reset command, a silent Ctrl-C', async () => {
    await sandbox.stop()
    // The project's own script, as `npm run sandbox` runs it, from the scratch project's folder.
    await writeFile(join(project.dir, 'package.json'), JSON.stringify({ private: true, type: 'module', scripts: { sandbox: `exec node --import tsx ${join(projectRoot, 'sandbox', 'commands', 'sandbox.ts')}` } }))
    // A shell's environment, not the test runner's (vitest.config.ts turns the SDK's warning off).
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env
    // A process group of its own, as a terminal gives a foreground job: Ctrl-C reaches all of it.
    const child = spawn('npm', ['run', 'sandbox', '--', ...freePortFlags()], {
      cwd: project.dir,
      env: { ...env, ...testSynthCacheEnv, FORCE_COLOR: '0' },
      detached: true,
    })
    const npm = new WatchedProcess(child, 'npm run sandbox')
    try {
      await npm.waitFor(/Offline sandbox ready in/)
      expect(npm.output).toMatch(/Data\s+\.amplify\/sandbox\s+\(wipe with: npm run sandbox -- --reset\)/)
      await promisify(execFile)(process.execPath, ['--import', 'tsx', join(projectRoot, 'sandbox', 'commands', 'invoke.ts'), 'todos-reader', '{}'], { cwd: project.dir }).catch(() => {})
      await npm.waitFor(/\[todos-reader\] REPORT/)
      expect(npm.output).not.toContain('NodeVersionSupportWarning')
      const notes = npm.output.match(/Functions run on Node \d+ here/g) ?? []
      expect(notes).toHaveLength(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0)

      const stopping = npm.output.length
      process.kill(-child.pid!, 'SIGINT')
      expect(await npm.exited).toBe(0)
      expect(npm.output.slice(stopping)).toMatch(/SIGINT: stopping/)
      expect(npm.output.slice(stopping)).not.toMatch(/error/i)
    }
    finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
    }
  }, 90_000)
})

describe('npm run sandbox next to a cloud amplify_outputs.json', () => {
  it('refuses to overwrite it and says why', async () => {
    const project = await scratchProject()
    try {
      const cloud = `${JSON.stringify({ version: '1.4', auth: { user_pool_id: 'us-east-1_cloud', aws_region: 'us-east-1', user_pool_client_id: 'cloud' } })}\n`
      await writeFile(join(project.dir, 'amplify_outputs.json'), cloud)
      const sandbox = new SandboxProcess(project.dir)
      expect(await sandbox.exited).toBe(1)
      expect(sandbox.output).toMatch(/was not written by the offline sandbox/)
      expect(await readFile(join(project.dir, 'amplify_outputs.json'), 'utf8')).toBe(cloud)
    }
    finally {
      await project.remove()
    }
  })
})

describe('npm run sandbox on a taken port', () => {
  it('says which port is taken and how to pick another', async () => {
    const project = await scratchProject()
    const squatter = createServer()
    await new Promise<void>(resolve => squatter.listen(0, '127.0.0.1', resolve))
    const { port } = squatter.address() as AddressInfo
    try {
      const sandbox = new SandboxProcess(project.dir, ['--data-port', String(port)])
      expect(await sandbox.exited).toBe(1)
      expect(sandbox.output).toContain(`Port ${port} (data) is in use`)
      expect(sandbox.output).toContain('--data-port')
    }
    finally {
      squatter.close()
      await project.remove()
    }
  })
})
