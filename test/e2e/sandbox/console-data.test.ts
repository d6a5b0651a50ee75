/**
 * The sandbox console's Data panel against a real sandbox, driven in Chromium: items made by the
 * real aws-amplify client are browsed, filtered, edited, created, deleted and wiped through the
 * console, and the same client reads each change and receives it on its realtime subscriptions, as
 * it would any mutation. The backend is the app's, plus one model keyed by two fields.
 */
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretCookieName } from '../../../sandbox/console/guard'
import type { Sandbox } from '../../../sandbox/index'
import { amplifyConfigFromOutputs, type AmplifyOutputs } from '../../../utils/amplify-config'
import { createAmplifyClient, type AmplifyTestClient, type SubscriptionDelivery } from '../../support/amplify-users'
import { launchOptions } from '../../support/chromium'
import { scratchProject, type ScratchProject } from '../../support/project'
import { latestCode, startTestSandbox } from '../../support/started-sandbox'

const PASSWORD = 'Console-data-1'

let project: ScratchProject
let sandbox: Sandbox
let stop: () => Promise<void>
let browser: Browser
let url: URL
let secret: string
let client: AmplifyTestClient
/** The user's 25 todos: `<prefix>00` to `<prefix>24`, every fifth one done. */
const prefix = `console-data-${Date.now()}-`
const todos: Array<Record<string, unknown>> = []

beforeAll(async () => {
  project = await scratchProject()
  await project.edit('amplify/data/resource.ts', text => text.replace(
    'const schema = a.schema({\n',
    'const schema = a.schema({\n  Visit: a.model({ placeId: a.string().required(), day: a.date().required(), note: a.string() }).identifier([\'placeId\', \'day\']).authorization(allow => [allow.owner()]),\n',
  ))
  ;({ sandbox, stop } = await startTestSandbox({ projectDir: project.dir }))
  const line = sandbox.summary().find(l => l.trim().startsWith('Console'))
  url = new URL(line!.trim().split(/\s+/)[1]!)
  secret = url.searchParams.get('secret')!
  browser = await chromium.launch(await launchOptions())
  client = await createAmplifyClient({ config: amplifyConfigFromOutputs(sandbox.outputs as AmplifyOutputs) as never, certificate: await readFile(sandbox.certificatePath, 'utf8') })
  const email = `console-data-${Date.now()}@example.com`
  await client.signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } })
  await client.confirmSignUp({ username: email, confirmationCode: await latestCode(sandbox.messagesUrl, email) })
  expect(await client.signIn({ username: email, password: PASSWORD })).toMatchObject({ isSignedIn: true })
  for (let i = 0; i < 25; i++) {
    const { data, errors } = await client.create('Todo', { content: `${prefix}${String(i).padStart(2, '0')}`, done: i % 5 === 0 })
    expect(errors).toBeUndefined()
    todos.push(data!)
  }
}, 240_000)

afterAll(async () => {
  await client?.close()
  await browser?.close()
  await stop?.()
  await project?.remove()
})

/** A console tab, let in with the printed secret, at `path`. */
async function consoleTab(path: string, viewport = { width: 390, height: 844 }) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  page.setDefaultTimeout(5_000)
  await page.goto(new URL(`${path}?secret=${secret}`, url).href)
  return { page, close: () => context.close() }
}

/** Clicks a form's button and resolves with the status the POST got (303 after a change, 400 when refused). */
async function submit(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), click()])
  await page.waitForLoadState()
  return response.status()
}

/** Nothing the panel renders (the page's `main`) reaches past the viewport's right edge. */
const fitsWidth = (page: Page) => page.evaluate(() => [...document.querySelectorAll('main, main *')].every(element => element.getBoundingClientRect().right <= window.innerWidth))
const contentOf = (delivery: SubscriptionDelivery) => ('item' in delivery ? delivery.item.content : delivery.error)
const editor = (page: Page) => page.getByLabel('Item JSON')

describe('the console\'s Data panel', () => {
  it('lists each model with its key and item count, readable at 390 px', async () => {
    const { page, close } = await consoleTab('/data')
    try {
      expect(await page.locator('h1').innerText()).toBe('Data')
      const todo = page.locator('ul.models > li', { hasText: 'Todo' })
      expect(await todo.innerText()).toContain('25 items · key id')
      expect(await page.locator('ul.models > li', { hasText: 'Visit' }).innerText()).toContain('key placeId + day')
      expect(await fitsWidth(page)).toBe(true)
      // By keyboard: the model's link is in the tab order.
      await todo.getByRole('link').focus()
      await page.keyboard.press('Enter')
      await page.waitForURL(/\/data\/Todo$/)
    }
    finally {
      await close()
    }
  })

  it('pages through a table 20 at a time with the list query\'s nextToken, and filters it by a field', async () => {
    const { page, close } = await consoleTab('/data/Todo')
    try {
      const rows = page.locator('ul.items > li')
      expect(await rows.count()).toBe(20)
      expect(await fitsWidth(page)).toBe(true)
      const seen = await rows.allInnerTexts()
      await page.getByRole('link', { name: 'Next page' }).click()
      await page.waitForURL(/next=/)
      seen.push(...await rows.allInnerTexts())
      expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0)
      expect(await page.getByRole('link', { name: 'First page' }).count()).toBe(1)
      for (const todo of todos) expect(seen.filter(text => text.includes(String(todo.id)))).toHaveLength(1)

      await page.getByLabel('Field to filter on').selectOption('content')
      await page.getByLabel('How it matches').selectOption('contains')
      await page.getByLabel('Value to match').fill(`${prefix}07`)
      await page.getByLabel('Value to match').press('Enter')
      await page.waitForURL(/value=/)
      expect(await rows.allInnerTexts()).toEqual([expect.stringContaining(`${prefix}07`)])

      await page.getByLabel('Field to filter on').selectOption('done')
      await page.getByLabel('How it matches').selectOption('eq')
      await page.getByLabel('Value to match').fill('true')
      await page.getByRole('button', { name: 'Filter' }).click()
      await page.waitForURL(/field=done/)
      const done = await rows.allInnerTexts()
      expect(done.map(text => text.match(new RegExp(`${prefix}\\d+`))?.[0]).sort()).toEqual([0, 5, 10, 15, 20].map(i => `${prefix}${String(i).padStart(2, '0')}`))
    }
    finally {
      await close()
    }
  })

  it('saves an edit through the data API: the real client reads it and its subscription receives it', async () => {
    const todo = todos[3]!
    const updates = await client.subscribe('Todo', 'onUpdate')
    const { page, close } = await consoleTab(`/data/Todo/${String(todo.id)}`)
    try {
      const shown = JSON.parse(await editor(page).inputValue()) as Record<string, unknown>
      expect(shown).toMatchObject({ id: todo.id, content: todo.content, owner: todo.owner, createdAt: todo.createdAt })
      expect(await fitsWidth(page)).toBe(true)

      // By keyboard: the text, then Save is the next stop.
      await editor(page).fill(JSON.stringify({ ...shown, content: 'edited in the console', done: true }, null, 2))
      await editor(page).press('Tab')
      expect(await submit(page, () => page.keyboard.press('Enter'))).toBe(303)
      expect(await page.getByRole('status').innerText()).toContain(`Saved Todo id ${String(todo.id)} through updateTodo`)

      expect((await client.get('Todo', { id: todo.id })).data).toMatchObject({ content: 'edited in the console', done: true, owner: todo.owner, createdAt: todo.createdAt })
      const event = await client.waitForEvent(updates, d => contentOf(d) === 'edited in the console')
      expect(event).toMatchObject({ item: { id: todo.id, done: true, owner: todo.owner } })
    }
    finally {
      await close()
      await client.unsubscribe(updates)
    }
  })

  it('keeps the text and shows why when it is not JSON, or the API refuses it', async () => {
    const todo = todos[4]!
    const { page, close } = await consoleTab(`/data/Todo/${String(todo.id)}`)
    try {
      const broken = '{\n  "content": "half'
      await editor(page).fill(broken)
      expect(await submit(page, () => page.getByRole('button', { name: 'Save' }).click())).toBe(400)
      expect(await page.getByRole('alert').innerText()).toContain('That is not JSON')
      expect(await editor(page).inputValue()).toBe(broken)

      // The model's own validation (amplify/data/resource.ts), run by the API's resolvers.
      const empty = '{ "content": "", "done": false }'
      await editor(page).fill(empty)
      expect(await submit(page, () => page.getByRole('button', { name: 'Save' }).click())).toBe(400)
      expect(await page.getByRole('alert').innerText()).toContain('A todo cannot be empty.')
      expect(await editor(page).inputValue()).toBe(empty)
      expect((await client.get('Todo', { id: todo.id })).data).toMatchObject({ content: todo.content })

      // A required field missing: GraphQL's own validation of the input.
      await page.goto(new URL('/data/Todo/new', url).href)
      const incomplete = '{ "done": true }'
      await editor(page).fill(incomplete)
      expect(await submit(page, () => page.getByRole('button', { name: 'Create' }).click())).toBe(400)
      expect(await page.getByRole('alert').innerText()).toMatch(/Field "content" of required type "String!" was not provided/)
      expect(await editor(page).inputValue()).toBe(incomplete)
    }
    finally {
      await close()
    }
  })

  it('creates an item from JSON, which the real client then reads', async () => {
    const { page, close } = await consoleTab('/data/SharedList/new')
    try {
      // The form starts with the fields the create input takes.
      expect(JSON.parse(await editor(page).inputValue())).toMatchObject({ title: '', items: [] })
      await editor(page).fill(JSON.stringify({ title: 'Made in the console', items: [{ id: '1', content: 'milk', done: false }] }))
      expect(await submit(page, () => page.getByRole('button', { name: 'Create' }).click())).toBe(303)
      expect(await page.getByRole('status').innerText()).toMatch(/^Created SharedList id [\w-]+ through createSharedList\.$/)
      const created = JSON.parse(await editor(page).inputValue()) as Record<string, unknown>
      expect(new URL(page.url()).pathname).toBe(`/data/SharedList/${String(created.id)}`)
      // Anyone with the id reads a shared list (allow.authenticated('identityPool').to(['get'])).
      expect((await client.get('SharedList', { id: created.id }, { authMode: 'identityPool' })).data).toMatchObject({ title: 'Made in the console', items: [{ id: '1', content: 'milk', done: false }] })

      // An item whose id is "new" is its own page, not the create form.
      await page.goto(new URL('/data/Todo/new', url).href)
      // Todo is owner-only, and no create input takes an owner: the form says what that means.
      expect(await page.locator('main').innerText()).toContain('Todo\'s owner rule reads owner, which the create input does not take: an item made here belongs to no one')
      await editor(page).fill('{ "id": "new", "content": "named new" }')
      expect(await submit(page, () => page.getByRole('button', { name: 'Create' }).click())).toBe(303)
      expect(new URL(page.url()).pathname).toBe('/data/Todo/~new')
      expect(JSON.parse(await editor(page).inputValue())).toMatchObject({ id: 'new', content: 'named new' })
      expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(1)
    }
    finally {
      await close()
    }
  })

  it('views, edits and deletes an item whose key is two fields, not id', async () => {
    const { page, close } = await consoleTab('/data/Visit/new')
    try {
      await editor(page).fill(JSON.stringify({ placeId: 'café/1', day: '2025-01-02', note: 'first' }))
      expect(await submit(page, () => page.getByRole('button', { name: 'Create' }).click())).toBe(303)
      expect(new URL(page.url()).pathname).toBe('/data/Visit/caf%C3%A9%2F1/2025-01-02')
      expect(JSON.parse(await editor(page).inputValue())).toMatchObject({ placeId: 'café/1', day: '2025-01-02', note: 'first' })

      await editor(page).fill(JSON.stringify({ placeId: 'café/1', day: '2025-01-02', note: 'second' }))
      expect(await submit(page, () => page.getByRole('button', { name: 'Save' }).click())).toBe(303)
      expect(JSON.parse(await editor(page).inputValue())).toMatchObject({ note: 'second' })
      // Another key would be another item: refused, the text kept.
      const moved = JSON.stringify({ placeId: 'café/1', day: '2025-01-03', note: 'moved' })
      await editor(page).fill(moved)
      expect(await submit(page, () => page.getByRole('button', { name: 'Save' }).click())).toBe(400)
      expect(await page.getByRole('alert').innerText()).toContain('The key cannot change')
      expect(await editor(page).inputValue()).toBe(moved)

      await page.goto(new URL('/data/Visit', url).href)
      expect(await page.locator('ul.items').innerText()).toContain('café/1 · 2025-01-02')
      await page.locator('ul.items > li', { hasText: 'café/1' }).getByRole('link').click()
      await page.getByText('Delete…').click()
      expect(await submit(page, () => page.getByRole('button', { name: /^Delete Visit .* for good$/ }).click())).toBe(303)
      expect(await page.getByRole('status').innerText()).toBe('Deleted Visit placeId café/1, day 2025-01-02 through deleteVisit.')
      expect(await page.locator('ul.items').count()).toBe(0)
    }
    finally {
      await close()
    }
  })

  it('deletes an item through the API: the real client no longer finds it, and its subscription sees it go', async () => {
    const todo = todos[5]!
    const deletes = await client.subscribe('Todo', 'onDelete')
    const { page, close } = await consoleTab(`/data/Todo/${String(todo.id)}`)
    try {
      await page.getByText('Delete…').click()
      expect(await submit(page, () => page.getByRole('button', { name: `Delete Todo id ${String(todo.id)} for good` }).click())).toBe(303)
      expect(new URL(page.url()).pathname).toBe('/data/Todo')
      expect(await page.getByRole('status').innerText()).toBe(`Deleted Todo id ${String(todo.id)} through deleteTodo.`)
      expect((await client.get('Todo', { id: todo.id })).data).toBeNull()
      expect(await client.waitForEvent(deletes, d => 'item' in d && d.item.id === todo.id)).toMatchObject({ item: { content: todo.content } })
    }
    finally {
      await close()
      await client.unsubscribe(deletes)
    }
  })

  it('refuses a POST to /data from another site, even with the secret cookie, and changes nothing', async () => {
    const body = 'action=wipe'
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: Number(url.port),
        path: '/data/Todo',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), 'cookie': `${secretCookieName(Number(url.port))}=${secret}`, 'origin': 'https://evil.example' },
      }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject).end(body)
    })
    expect(status).toBe(403)
    expect((await client.list('Todo', { limit: 1000 })).data).toHaveLength(24)
  })

  it('wipes a table one delete at a time, so the real client\'s subscription sees every item go', async () => {
    const remaining = (await client.list('Todo', { limit: 1000 })).data!.map(todo => todo.id)
    expect(remaining).toHaveLength(24)
    const deletes = await client.subscribe('Todo', 'onDelete')
    const { page, close } = await consoleTab('/data/Todo')
    try {
      await page.getByText('Wipe Todo…').click()
      expect(await submit(page, () => page.getByRole('button', { name: 'Delete every Todo for good' }).click())).toBe(303)
      // The user's 24, and the one the console made with the id "new" (it has no owner).
      expect(await page.getByRole('status').innerText()).toBe('Wiped Todo: deleted 25 items, each through deleteTodo.')
      expect(await page.locator('main').innerText()).toContain('No Todo items yet.')
      expect((await client.list('Todo', { limit: 1000 })).data).toEqual([])
      await expect.poll(() => client.events(deletes).length).toBe(24)
      expect(client.events(deletes).map(d => ('item' in d ? d.item.id : d.error)).sort()).toEqual([...remaining].sort())
    }
    finally {
      await close()
      await client.unsubscribe(deletes)
    }
  })
})
