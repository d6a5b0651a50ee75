import type { Schema } from '~~/amplify/data/resource'
import { CONNECTION_STATE_CHANGE, ConnectionState } from 'aws-amplify/data'
import { Hub } from 'aws-amplify/utils'
import { checkTodoContent } from '~~/shared/todo'
import { dataErrorMessage as messageOf, orThrow } from '~~/utils/data-errors'
import { UNTRUSTED_CERTIFICATE } from '~~/utils/sandbox-certificate'

export type Todo = Pick<Schema['Todo']['type'], 'id' | 'content' | 'done' | 'createdAt'>

/** What the page shows and sorts by, and no more: each field is fetched, parsed, rendered and sent in the payload. */
const fields = ['id', 'content', 'done', 'createdAt'] as const

/**
 * The signed-in user's todos: listed during server rendering (so they are in the HTML), changed
 * through the data API, and kept live in the browser by subscriptions, which also bring in changes
 * made in other tabs. Every failure ends up in `error`, `actionError` or `liveError` for the page.
 */
export function useTodos() {
  const { $Amplify } = useNuxtApp()
  const { Todo } = $Amplify.GraphQL.client.models

  const { data: todos, status, error, refresh } = useAsyncData('todos', async () => {
    const all: Todo[] = []
    let nextToken: string | null | undefined
    try {
      do {
        const page = await Todo.list({ selectionSet: fields, nextToken })
        all.push(...orThrow(page).map(plain))
        nextToken = page.nextToken
      } while (nextToken)
    }
    catch (cause) {
      throw new Error(messageOf(cause), { cause })
    }
    return all.sort(byCreation)
    // Shallow: the list is only ever replaced, never changed in place, so its todos need no reactive
    // proxies, which every render would go through for every field of every todo.
  }, { default: () => [] as Todo[], deep: false })

  const actionError = ref<string | null>(null)
  const liveError = ref<string | null>(null)
  const busy = ref(new Set<string>())

  function upsert(todo: Todo) {
    const others = todos.value.filter(item => item.id !== todo.id)
    todos.value = [...others, todo].sort(byCreation)
  }
  function forget(id: string) {
    todos.value = todos.value.filter(item => item.id !== id)
  }

  /** Runs one change; its failure is shown to the user, and the list is left as the server has it. */
  async function change(id: string, work: () => Promise<void>): Promise<boolean> {
    actionError.value = null
    busy.value.add(id)
    try {
      await work()
      return true
    }
    catch (cause) {
      actionError.value = messageOf(cause)
      return false
    }
    finally {
      busy.value.delete(id)
    }
  }

  /** Adds a todo; resolves to the message that refused it, or null once it is saved. */
  async function add(input: string): Promise<string | null> {
    const checked = checkTodoContent(input)
    if (checked.error !== undefined) return checked.error
    const saved = await change('new', async () => {
      const created = orThrow(await Todo.create({ content: checked.content, done: false }, { selectionSet: fields }))
      if (created) upsert(plain(created))
    })
    if (saved) return null
    // The form shows why its todo was refused, next to the field: not a second time above the list.
    const refusal = actionError.value
    actionError.value = null
    return refusal
  }

  const toggle = (todo: Todo) => change(todo.id, async () => {
    const updated = orThrow(await Todo.update({ id: todo.id, done: !todo.done }, { selectionSet: fields }))
    if (updated) upsert(plain(updated))
  })

  const remove = (todo: Todo) => change(todo.id, async () => {
    orThrow(await Todo.delete({ id: todo.id }, { selectionSet: ['id'] }))
    forget(todo.id)
  })

  // Subscriptions need the browser's WebSocket: they start once the page is hydrated.
  const subscriptions: Array<{ unsubscribe(): void }> = []
  const certificate = useSandboxCertificate()
  onMounted(() => {
    const live = $Amplify.GraphQL.realtime?.Todo
    if (!live) return
    const onError = (cause: unknown) => {
      liveError.value = `Live updates stopped: ${messageOf(cause)}. Reload the page to see changes from other tabs.`
    }
    // A connection that cannot be made (or drops) is retried quietly by Amplify; say so meanwhile.
    const stopWatching = Hub.listen('api', ({ payload }) => {
      if (payload.event !== CONNECTION_STATE_CHANGE) return
      const state = (payload.data as { connectionState?: ConnectionState }).connectionState
      if (state === ConnectionState.ConnectionDisrupted || state === ConnectionState.ConnectionDisruptedPendingNetwork) {
        liveError.value = 'Live updates are not connected, still trying. Changes from other tabs show after a reload.'
        // Against the offline sandbox, the usual reason is its certificate: say so, and the fix.
        void certificate.check().then((trust) => {
          if (trust === 'untrusted' && liveError.value) liveError.value = `Live updates cannot connect: ${UNTRUSTED_CERTIFICATE}`
        })
      }
      else if (state === ConnectionState.Connected) liveError.value = null
    })
    subscriptions.push({ unsubscribe: stopWatching })
    subscriptions.push(
      live.onCreate({ selectionSet: fields }).subscribe({ next: todo => upsert(plain(todo)), error: onError }),
      live.onUpdate({ selectionSet: fields }).subscribe({ next: todo => upsert(plain(todo)), error: onError }),
      live.onDelete({ selectionSet: ['id'] }).subscribe({ next: todo => forget(todo.id), error: onError }),
    )
  })
  onBeforeUnmount(() => subscriptions.splice(0).forEach(subscription => subscription.unsubscribe()))

  return { todos, status, error, refresh, actionError, liveError, busy, add, toggle, remove }
}

function plain(todo: Todo): Todo {
  return { id: todo.id, content: todo.content, done: todo.done ?? false, createdAt: todo.createdAt }
}

function byCreation(a: Todo, b: Todo) {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)
}
