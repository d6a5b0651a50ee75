/**
 * Many users at once on one server: every response must be about its own caller only. A context,
 * token or render state shared between concurrent requests would show up here as another user's
 * name or todos in a response.
 */
import { randomUUID } from 'node:crypto'
import { generateClient } from 'aws-amplify/data/server'
import { decodeJwt } from 'jose'
import { beforeAll, expect, inject, it } from 'vitest'
import type { Schema } from '../../../amplify/data/resource'
import { amplifyContext, newSignedInUser, type SignedInUser } from '../../support/signed-in-user'

const { baseUrl, messagesUrl, outputsPath } = inject('e2e')

const USERS = 20
const REQUESTS_PER_USER = 10
/** Sign-ups run a few at a time: each one's SRP maths is CPU-bound, in this process. */
const SIGN_UP_BATCH = 5

interface Tenant {
  user: SignedInUser
  sub: string
  todos: Array<{ id: string, content: string }>
  /** Everything that would betray this user in someone else's response. */
  marks: string[]
}

let tenants: Tenant[] = []

beforeAll(async () => {
  const users: SignedInUser[] = []
  for (let start = 0; start < USERS; start += SIGN_UP_BATCH) {
    const batch = Array.from({ length: Math.min(SIGN_UP_BATCH, USERS - start) }, (_, i) => newSignedInUser(outputsPath, messagesUrl, `tenant${start + i}`))
    users.push(...await Promise.all(batch))
  }
  const { config } = await amplifyContext(outputsPath)
  const data = generateClient<Schema>({ config })
  tenants = await Promise.all(users.map(async (user, index) => {
    const todos = []
    // One or two todos each, so a list that leaked or dropped an item also changes its length.
    for (let n = 0; n <= index % 2; n++) {
      const { data: todo, errors } = await data.models.Todo.create(user.context, { content: `tenant${index} todo${n} ${randomUUID()}`, done: false })
      if (errors?.length || !todo) throw new Error(`Creating a todo failed: ${JSON.stringify(errors)}`)
      todos.push({ id: todo.id, content: todo.content })
    }
    const sub = decodeJwt(user.cookies.get([...user.cookies.keys()].find(key => key.endsWith('.accessToken'))!)!).sub!
    return { user, sub, todos, marks: [sub, user.email, ...todos.flatMap(todo => [todo.id, todo.content])] }
  }))
})

it(`answers ${USERS * REQUESTS_PER_USER} interleaved concurrent requests each for its own user only`, async () => {
  const requests = Array.from({ length: REQUESTS_PER_USER }, (_, round) => tenants.map((tenant, index) => ({
    tenant,
    path: ['/todos', '/api/current-user', '/api/todos'][(round + index) % 3]!,
  }))).flat()

  const responses = await Promise.all(requests.map(async ({ tenant, path }) => {
    const response = await fetch(new URL(path, baseUrl), { redirect: 'manual', headers: { cookie: tenant.user.cookieHeader } })
    return { tenant, path, status: response.status, body: await response.text() }
  }))

  for (const { tenant, path, status, body } of responses) {
    const who = `${path} for ${tenant.user.email}`
    expect(status, who).toBe(200)
    if (path === '/api/current-user') {
      expect(JSON.parse(body), who).toMatchObject({ userId: tenant.sub, signInDetails: { loginId: tenant.user.email } })
    }
    else if (path === '/api/todos') {
      const listed = (JSON.parse(body) as Array<{ id: string, content: string }>).map(({ id, content }) => ({ id, content }))
      expect(listed.sort((a, b) => a.id.localeCompare(b.id)), who).toEqual([...tenant.todos].sort((a, b) => a.id.localeCompare(b.id)))
    }
    else {
      expect(body, who).toContain(tenant.user.email)
      for (const todo of tenant.todos) expect(body, who).toContain(todo.content)
    }
    for (const other of tenants) {
      if (other === tenant) continue
      const leaked = other.marks.filter(mark => body.includes(mark))
      expect(leaked, `${who} shows ${other.user.email}'s data`).toEqual([])
    }
  }
})
