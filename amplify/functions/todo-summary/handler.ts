import type { Schema } from '../../data/resource'
import { ownTodos } from '../shared/own-todos'
import { env } from '$amplify/env/todo-summary'

/** The caller's todos counted: the `todoSummary` query (amplify/data/resource.ts). */
export const handler: Schema['todoSummary']['functionHandler'] = async (event) => {
  const identity = event.identity as { sub?: string, username?: string } | null
  if (!identity?.sub) throw new Error('Sign in to see your summary')
  const todos = await ownTodos(env, { sub: identity.sub, username: identity.username ?? identity.sub })
  const done = todos.filter(todo => todo.done).length
  const oldestOpen = todos.find(todo => !todo.done)?.createdAt ?? null
  return { total: todos.length, done, open: todos.length - done, oldestOpen }
}
