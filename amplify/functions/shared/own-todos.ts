import { getAmplifyDataClientConfig } from '@aws-amplify/backend/function/runtime'
import { Amplify } from 'aws-amplify'
import { generateClient } from 'aws-amplify/data'
import type { Schema } from '../../data/resource'

export interface OwnTodo {
  content: string
  done: boolean
  createdAt: string
}

/** What a function's environment holds for data access (`$amplify/env/<name>`). */
type DataEnv = Parameters<typeof getAmplifyDataClientConfig>[0]

let client: ReturnType<typeof generateClient<Schema>> | undefined

/**
 * A user's own todos, read by a function through the data API with its own role (the docs'
 * `getAmplifyDataClientConfig(env)` pattern; the schema grants it `allow.resource(fn)`). The role
 * may read every todo, so the user's are selected by the owner value AppSync stores for them:
 * `<sub>::<username>`.
 */
export async function ownTodos(env: DataEnv, user: { sub: string, username: string }): Promise<OwnTodo[]> {
  if (!client) {
    const { resourceConfig, libraryOptions } = await getAmplifyDataClientConfig(env)
    Amplify.configure(resourceConfig, libraryOptions)
    client = generateClient<Schema>()
  }
  const todos: OwnTodo[] = []
  let nextToken: string | null | undefined
  do {
    const page = await client.models.Todo.list({
      filter: { owner: { eq: `${user.sub}::${user.username}` } },
      selectionSet: ['content', 'done', 'createdAt'],
      limit: 1000,
      nextToken,
    })
    if (page.errors?.length) throw new Error(page.errors.map(error => error.message).join('; '))
    for (const todo of page.data) todos.push({ content: todo.content, done: todo.done ?? false, createdAt: todo.createdAt })
    nextToken = page.nextToken
  } while (nextToken)
  return todos.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}
