/**
 * `node --import tsx scripts/console-screenshots.ts`: writes docs/console/*.png, the README's
 * pictures of the sandbox console's panels. It starts its own sandbox on free ports, fills it with
 * the app's own seed (amplify/seed/seed.ts, as `npm run sandbox:seed` runs it), signs one more
 * person up (a code in Mail), asks the backend's function for Ann's summary, has Bob try to change
 * one of Ann's todos and someone sign in as Ann with a wrong password (two refusals for Requests),
 * and photographs each panel in Chromium at 1000 px, in light mode. About half a minute.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { signIn, signUp } from 'aws-amplify/auth'
import { generateClient } from 'aws-amplify/data/server'
import { chromium } from 'playwright-core'
import type { Schema } from '../amplify/data/resource'
import { SEED_PASSWORD, SEED_USERS } from '../amplify/seed/people'
import { runSeed } from '../sandbox/commands/seed'
import { launchOptions } from '../test/support/chromium'
import { projectRoot } from '../test/support/project'
import { amplifyContext } from '../test/support/signed-in-user'
import { startTestSandbox } from '../test/support/started-sandbox'

const folder = join(projectRoot, 'docs', 'console')
const { sandbox, stop } = await startTestSandbox()
const browser = await chromium.launch(await launchOptions())
try {
  const seeded = await runSeed(join(projectRoot, 'amplify', 'seed', 'seed.ts'), { outputsPath: sandbox.outputsPath, credentialsPath: sandbox.adminCredentialsPath, dataDir: sandbox.dataDir }, projectRoot)
  if (seeded !== 0) throw new Error(`The seed failed (exit code ${seeded})`)
  const { context: newcomer } = await amplifyContext(sandbox.outputsPath)
  await signUp(newcomer, { username: 'cara@example.com', password: 'Correct-Horse-9', options: { userAttributes: { email: 'cara@example.com' } } })
  // Ann's summary is computed by the todos-reader function: an invocation with its log lines.
  const { context: ann } = await amplifyContext(sandbox.outputsPath)
  await signIn(ann, { username: SEED_USERS.ann, password: SEED_PASSWORD })
  const { config } = await amplifyContext(sandbox.outputsPath)
  const client = generateClient<Schema>({ config })
  const summary = await client.queries.todoSummary(ann)
  if (summary.errors?.length) throw new Error(`todoSummary failed: ${summary.errors[0]!.message}`)
  // Refusals for the Requests panel: Bob edits one of Ann's todos (the owner rule says no), and a wrong password.
  const { context: bob } = await amplifyContext(sandbox.outputsPath)
  await signIn(bob, { username: SEED_USERS.bob, password: SEED_PASSWORD })
  const annsTodo = (await client.models.Todo.list(ann)).data[0]!
  const edit = await client.models.Todo.update(bob, { id: annsTodo.id, content: 'Edited by Bob' })
  if (!edit.errors?.length) throw new Error('Bob could change Ann\'s todo')
  const { context: stranger } = await amplifyContext(sandbox.outputsPath)
  await signIn(stranger, { username: SEED_USERS.ann, password: 'Not-her-password-1' }).then(() => {
    throw new Error('A wrong password signed in')
  }, () => {})

  const url = new URL(sandbox.summary().find(line => line.trim().startsWith('Console'))!.trim().split(/\s+/)[1]!)
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 720 }, colorScheme: 'light' })).newPage()
  await page.goto(url.href)
  await mkdir(folder, { recursive: true })
  const shoot = async (name: string, path: string) => {
    await page.goto(new URL(path, url).href)
    await page.screenshot({ path: join(folder, `${name}.png`), fullPage: false })
    console.log(`docs/console/${name}.png: ${path}`)
  }
  const files = sandbox.storage.buckets.find(bucket => bucket.friendlyName === 'todoFiles')!
  const attachments = (prefix: string): string => {
    const { folders, objects } = sandbox.storage.listFolder(files.name, prefix)
    return objects[0]?.key ?? attachments(folders[0]!)
  }
  await shoot('overview', '/')
  await shoot('mail', '/mail')
  await shoot('users', '/users')
  await shoot('data', '/data/Todo')
  await shoot('storage', `/storage/${encodeURIComponent(files.name)}/file?${new URLSearchParams({ key: attachments('attachments/') })}`)
  const reader = sandbox.functions.summaries().find(fn => fn.name.includes('todos-reader') || fn.name.includes('todosReader'))!
  await shoot('functions', `/functions/${encodeURIComponent(reader.name)}`)
  await shoot('requests', '/requests?refused=1')
}
finally {
  await browser.close()
  await stop()
}
