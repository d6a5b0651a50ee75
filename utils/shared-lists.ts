import type { Schema } from '~~/amplify/data/resource'
import { checkListTitle } from '~~/shared/lists'
import type { AmplifyApis } from '~~/utils/amplify-apis'
import { orThrow } from '~~/utils/data-errors'

export type SharedItem = Schema['SharedItem']['type']
/** A shared list as everyone with its URL sees it: no owner, no editors. */
export type SharedListView = Pick<Schema['SharedList']['type'], 'id' | 'title' | 'createdAt' | 'updatedAt'> & { items: SharedItem[] }

/** What the public page reads: never `owner` or `editors`, which guests may not see. */
export const publicListFields = ['id', 'title', 'items.*', 'createdAt', 'updatedAt'] as const

/** Ids the data API gives lists (`$util.autoId()`); anything else names no list, so no call is made. */
export function isSharedListId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
}

/**
 * Options for calls as an owner or editor of a list. Editors are named by email, a claim only the
 * id token carries (the data client sends the access token by default), so these calls send the id
 * token; AppSync accepts either token of the user pool.
 */
export async function sharedAccess($Amplify: AmplifyApis): Promise<{ authMode: 'userPool', authToken?: string }> {
  const idToken = (await $Amplify.Auth.fetchTokens())?.idToken?.toString()
  return { authMode: 'userPool', ...(idToken ? { authToken: idToken } : {}) }
}

/**
 * Publishes todos as a new shared list, owned by the signed-in user; resolves to its id, or throws
 * the message that refused it. The list holds a copy of the todos as they are now.
 */
export async function publishTodos($Amplify: AmplifyApis, title: string, todos: ReadonlyArray<{ id: string, content: string, done?: boolean | null }>): Promise<string> {
  const checked = checkListTitle(title)
  if (checked.error !== undefined) throw new Error(checked.error)
  if (todos.length === 0) throw new Error('Add a todo first: an empty list is not worth sharing.')
  const items: SharedItem[] = todos.map(todo => ({ id: todo.id, content: todo.content, done: todo.done ?? false }))
  const email = (await $Amplify.Auth.fetchTokens())?.idToken?.payload.email
  const ownerEmail = typeof email === 'string' ? email : undefined
  const created = orThrow(await $Amplify.GraphQL.client.models.SharedList.create({ title: checked.title, items, editors: [], ownerEmail }, { authMode: 'userPool', selectionSet: ['id'] }))
  if (!created) throw new Error('The list was not saved.')
  return created.id
}
