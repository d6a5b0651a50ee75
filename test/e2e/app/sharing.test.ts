/**
 * Shared lists over HTTP against the built app, and the rules the data API itself holds them to:
 * a guest reads a list by its URL (server-rendered, with guest credentials of its own), only the
 * owner and editors change it, only Admin sees all of them, and bad input changes nothing.
 */
import { randomUUID } from 'node:crypto'
import { createAmplifyContext, type AmplifyContext } from 'aws-amplify'
import { createAWSCredentialsAndIdentityIdProvider, createUserPoolsTokenProvider } from 'aws-amplify/adapter-core'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { generateClient } from 'aws-amplify/data/server'
import type { KeyValueStorageInterface } from 'aws-amplify/utils'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import type { Schema } from '../../../amplify/data/resource'
import { LIST_TITLE_MAX_LENGTH } from '../../../shared/lists'
import { amplifyContext, newSignedInUser, refreshSession, type SignedInUser } from '../../support/signed-in-user'
import { addUserToGroup } from '../../support/user-pool-admin'

const { baseUrl, messagesUrl, outputsPath, dataDir } = inject('e2e')

let owner: SignedInUser
let editor: SignedInUser
let stranger: SignedInUser
let admin: SignedInUser
let data: ReturnType<typeof generateClient<Schema>>
let listId: string
const items = [
  { id: randomUUID(), content: `Pack the tent ${randomUUID()}`, done: false },
  { id: randomUUID(), content: `Buy matches ${randomUUID()}`, done: true },
]

/** The id token, for calls that name editors by their email claim (as the app makes them). */
const asUser = async (user: SignedInUser) => ({ authMode: 'userPool' as const, authToken: (await fetchAuthSession(user.context)).tokens!.idToken!.toString() })

/** A context with no user: what a browser without a session holds. */
async function guestContext(): Promise<AmplifyContext> {
  const { config } = await amplifyContext(outputsPath)
  const jar = new Map<string, string>()
  const storage: KeyValueStorageInterface = {
    setItem: async (key, value) => void jar.set(key, value),
    getItem: async key => jar.get(key) ?? null,
    removeItem: async key => void jar.delete(key),
    clear: async () => jar.clear(),
  }
  return createAmplifyContext(config, {
    Auth: { tokenProvider: createUserPoolsTokenProvider(config.Auth!, storage), credentialsProvider: createAWSCredentialsAndIdentityIdProvider(config.Auth!, storage) },
  })
}

/** A page as a browser asks for it (Nuxt answers errors to other clients in JSON). */
function get(path: string, cookie?: string): Promise<Response> {
  return fetch(new URL(path, baseUrl), { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } })
}

/** The identity pool's identity the server gave this response's browser, from its `Set-Cookie`. */
function identityCookie(response: Response): string | undefined {
  const line = response.headers.getSetCookie().find(cookie => cookie.split('=')[0]!.endsWith('.identityId'))
  return line && decodeURIComponent(line.split(';')[0]!.split('=').slice(1).join('='))
}

beforeAll(async () => {
  const signUp = (name: string) => newSignedInUser(outputsPath, messagesUrl, name)
  ;[owner, editor, stranger, admin] = await Promise.all([signUp('owner'), signUp('editor'), signUp('stranger'), signUp('admin')])
  await addUserToGroup({ dataDir, outputsPath, username: admin.email, group: 'Admin' })
  await refreshSession(admin)
  data = generateClient<Schema>({ config: (await amplifyContext(outputsPath)).config })
  const { data: list, errors } = await data.models.SharedList.create(owner.context, { title: 'Camping', items, editors: [editor.email.toLowerCase()] })
  if (errors?.length || !list) throw new Error(`Publishing failed: ${JSON.stringify(errors)}`)
  listId = list.id
})

describe('a shared list\'s page', () => {
  it('is server-rendered for a guest, with its items and none of its editors, and guest credentials of the guest\'s own', async () => {
    const [first, second] = await Promise.all([get(`/lists/${listId}`), get(`/lists/${listId}`)])
    for (const response of [first, second]) {
      expect(response.status).toBe(200)
      const html = await response.text()
      for (const item of items) expect(html).toContain(item.content)
      expect(html).toContain('Read-only')
      expect(html).not.toContain(editor.email.toLowerCase())
    }
    // Two guests, two identities: nothing is shared between requests.
    const identities = [identityCookie(first), identityCookie(second)]
    expect(identities[0]).toMatch(/^us-east-1:[0-9a-f-]{36}$/)
    expect(identities[1]).toMatch(/^us-east-1:[0-9a-f-]{36}$/)
    expect(identities[0]).not.toBe(identities[1])
  })

  it('is server-rendered for any signed-in user, with what that user may do', async () => {
    const said = async (user: SignedInUser) => (await (await get(`/lists/${listId}`, user.cookieHeader)).text())
    expect(await said(owner)).toContain('You published this list.')
    expect(await said(owner)).toContain(editor.email.toLowerCase())
    expect(await said(editor)).toContain('You can edit this list.')
    const strangers = await said(stranger)
    expect(strangers).toContain('Read-only.')
    expect(strangers).toContain(items[0]!.content)
    expect(strangers).not.toContain(editor.email.toLowerCase())
  })

  it.each([
    ['an id no list has', () => randomUUID()],
    ['something that is not an id', () => 'not-an-id'],
  ])('is a 404 page for %s', async (_, id) => {
    const response = await get(`/lists/${id()}`, owner.cookieHeader)
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('There is no shared list at this address')
  })
})

describe('the data API\'s rules for shared lists', () => {
  it('lets a guest get a list by id, and nothing else', async () => {
    const guest = await guestContext()
    const read = await data.models.SharedList.get(guest, { id: listId }, { authMode: 'identityPool', selectionSet: ['id', 'title'] })
    expect(read.data).toMatchObject({ id: listId, title: 'Camping' })
    expect((await data.models.SharedList.list(guest, { authMode: 'identityPool' })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    expect((await data.models.SharedList.update(guest, { id: listId, title: 'Mine now' }, { authMode: 'identityPool' })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    expect((await data.models.SharedList.get(guest, { id: listId }, { authMode: 'identityPool', selectionSet: ['id', 'editors'] })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
  })

  it('lets an editor change items but not who edits, and a stranger neither', async () => {
    const changed = items.map(item => ({ ...item, done: !item.done }))
    const byEditor = await data.models.SharedList.update(editor.context, { id: listId, items: changed }, await asUser(editor))
    expect(byEditor.errors).toBeUndefined()
    expect(byEditor.data?.items.map(item => item.done)).toEqual(changed.map(item => item.done))

    const takeover = await data.models.SharedList.update(editor.context, { id: listId, editors: [editor.email.toLowerCase(), stranger.email.toLowerCase()] }, await asUser(editor))
    expect(takeover.errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    const byStranger = await data.models.SharedList.update(stranger.context, { id: listId, items: [] }, await asUser(stranger))
    expect(byStranger.errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    expect((await data.models.SharedList.delete(stranger.context, { id: listId }, { authMode: 'userPool' })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })

    const now = await data.models.SharedList.get(owner.context, { id: listId }, { selectionSet: ['items.*', 'editors'] })
    expect(now.data?.items.map(item => item.done)).toEqual(changed.map(item => item.done))
    expect(now.data?.editors).toEqual([editor.email.toLowerCase()])
  })

  it('refuses an empty or overlong title, changing nothing', async () => {
    for (const title of ['', 'x'.repeat(LIST_TITLE_MAX_LENGTH + 1)]) {
      const refused = await data.models.SharedList.update(owner.context, { id: listId, title })
      expect(refused.errors?.[0]?.message).toMatch(/title/)
    }
    const created = await data.models.SharedList.create(owner.context, { title: 'x'.repeat(LIST_TITLE_MAX_LENGTH + 1), items })
    expect(created.errors?.[0]?.message).toMatch(/title/)
    expect((await data.models.SharedList.get(owner.context, { id: listId })).data?.title).toBe('Camping')
  })

  it('lists a user\'s own and edited lists, and every list only for Admin', async () => {
    const ids = async (user: SignedInUser, access: object) => (await data.models.SharedList.list(user.context, { ...access, limit: 1000 })).data.map(list => list.id)
    expect(await ids(owner, await asUser(owner))).toContain(listId)
    expect(await ids(editor, await asUser(editor))).toContain(listId)
    expect(await ids(stranger, await asUser(stranger))).not.toContain(listId)
    expect(await ids(admin, { authMode: 'userPool' })).toContain(listId)
  })
})

describe('the admin area', () => {
  it('sends a signed-out visitor to sign in, and turns away a signed-in user outside the Admin group with a 403', async () => {
    const signedOut = await get('/admin')
    expect(signedOut.status).toBe(302)
    expect(signedOut.headers.get('location')).toBe('/sign-in?redirect=/admin')
    const refused = await get('/admin', stranger.cookieHeader)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('Not allowed')
  })

  it('shows Admin every list, whose ever it is', async () => {
    const response = await get('/admin', admin.cookieHeader)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain(`/lists/${listId}`)
  })

  it('lets Admin unpublish another user\'s list, after which its page is a 404 for its owner too', async () => {
    const { data: other } = await data.models.SharedList.create(stranger.context, { title: 'Short-lived', items })
    expect((await data.models.SharedList.delete(owner.context, { id: other!.id }, { authMode: 'userPool' })).errors?.[0]).toMatchObject({ errorType: 'Unauthorized' })
    const deleted = await data.models.SharedList.delete(admin.context, { id: other!.id }, { authMode: 'userPool', selectionSet: ['id'] })
    expect(deleted.errors).toBeUndefined()
    expect((await get(`/lists/${other!.id}`, stranger.cookieHeader)).status).toBe(404)
  })
})
