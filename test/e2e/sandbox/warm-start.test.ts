/**
 * Starting the sandbox again on an unchanged backend reuses the last synth; a change under
 * amplify/ or a damaged cache entry makes it synthesize again.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../../sandbox'
import { scratchProject } from '../../support/project'

type Outputs = { data: { model_introspection: { models: Record<string, unknown> } } }

describe('a second start of the same backend', () => {
  let project: Awaited<ReturnType<typeof scratchProject>>
  /** What the first start served: the project's own models, whatever they are. */
  let first: { reused: boolean, models: string[], userPoolId: string }
  let lines: string[] = []

  /** Starts and stops the sandbox on the scratch project, and says what it saw. */
  const startAndStop = async (): Promise<{ reused: boolean, models: string[], userPoolId: string }> => {
    lines = []
    const sandbox: Sandbox = await startSandbox({ projectDir: project.dir, ports: { auth: 0, data: 0, storage: 0, rest: 0 }, watch: false, log: line => lines.push(line) })
    try {
      // It serves: the data API answers (and refuses a call without a token, as AppSync does).
      const anonymous = await fetch(sandbox.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })
      expect(anonymous.status).toBe(401)
      const models = Object.keys((sandbox.outputs as Outputs).data.model_introspection.models).sort()
      return { reused: sandbox.reusedSynth, models, userPoolId: sandbox.userPool.settings.userPoolId }
    }
    finally {
      await sandbox.close()
    }
  }
  const cacheDir = () => join(project.dir, '.amplify', 'sandbox', 'synth-cache')
  const cacheEntry = async () => {
    const entries = (await readdir(cacheDir())).filter(name => /^[0-9a-f]{32}$/.test(name))
    expect(entries).toHaveLength(1)
    return join(cacheDir(), entries[0]!)
  }

  beforeAll(async () => {
    project = await scratchProject()
  })
  afterAll(() => project?.remove())

  it('synthesizes on the first start and reuses that synth on the next', { timeout: 90_000 }, async () => {
    first = await startAndStop()
    expect(first.reused).toBe(false)
    expect(first.models).toContain('Todo')
    expect(lines.some(line => /^Synthesized amplify\/ in [\d.]+ s$/.test(line))).toBe(true)

    const second = await startAndStop()
    expect(second).toEqual({ ...first, reused: true })
    expect(lines).toContain('Reused the last synth (amplify/ unchanged)')
  })

  it('never serves a damaged cache: it synthesizes again and the entry is whole after', { timeout: 90_000 }, async () => {
    const entry = await cacheEntry()
    const schema = (await readdir(entry)).find(name => name.endsWith('.graphql'))!
    const text = await readFile(join(entry, schema), 'utf8')
    // Same size, different text: only the recorded hash can tell.
    await writeFile(join(entry, schema), text.replace('type Todo', 'type Oops'))
    // The generated outputs are kept too (one file per backend), with their own checksum.
    const outputsCache = join(cacheDir(), 'outputs')
    const outputsFiles = await readdir(outputsCache)
    expect(outputsFiles).toHaveLength(1)
    const outputsFile = join(outputsCache, outputsFiles[0]!)
    await writeFile(outputsFile, (await readFile(outputsFile, 'utf8')).replaceAll('"Todo"', '"Oops"'))

    const rebuilt = await startAndStop()
    expect(rebuilt).toMatchObject({ reused: false, models: first.models })
    expect(lines).toContain(`The cached synth is damaged (${schema} changed since the synth): synthesizing again`)
    expect(await readFile(join(entry, schema), 'utf8')).toBe(text)

    expect((await startAndStop()).reused).toBe(true)
  })

  it('synthesizes again after a change under amplify/, and serves the change', { timeout: 90_000 }, async () => {
    await project.edit('amplify/data/resource.ts', text =>
      text.replace('const schema = a.schema({\n', 'const schema = a.schema({\n  Note: a.model({ text: a.string() }).authorization(allow => [allow.owner()]),\n'),
    )
    const changed = await startAndStop()
    expect(changed).toMatchObject({ reused: false, models: [...first.models, 'Note'].sort() })
  })
})
