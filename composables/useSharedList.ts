import { checkEditorEmail } from '~~/shared/lists'
import { isAdmin } from '~~/utils/session'
import { dataErrorMessage, orThrow } from '~~/utils/data-errors'
import { isSharedListId, publicListFields, sharedAccess, type SharedItem, type SharedListView } from '~~/utils/shared-lists'

/** What the signed-in user may do with a list; the data API enforces the same rules. */
export type ListRole = 'owner' | 'editor' | 'admin' | 'reader'

/**
 * One shared list at `/lists/<id>`, rendered on the server for anyone with the URL: a guest or any
 * signed-in user reads it through the identity pool. Its owner and editors change it (and see each
 * other's changes live); its owner and Admin can unpublish it. An id that names no list, or a list
 * that was unpublished, is a 404 for everyone.
 */
export async function useSharedList(id: string) {
  const nuxtApp = useNuxtApp()
  const { $Amplify } = nuxtApp
  const { SharedList } = $Amplify.GraphQL.client.models
  const { user } = useAuth()

  // Not awaited yet: the lifecycle hooks below must be registered while setup still runs synchronously.
  const loaded = useAsyncData(`shared-list:${id}`, async () => {
    if (!isSharedListId(id)) return null
    // The same call for a guest and a signed-in user: the identity pool hands each the credentials
    // of their role (unauthenticated or authenticated), and both roles may `get` a list.
    const list = orThrow(await SharedList.get({ id }, { authMode: 'identityPool', selectionSet: publicListFields }))
    if (!list) return null
    return { list: list as SharedListView, ...(await accessOf(id)) }
    // Shallow: a change replaces the whole value (applyItems), so its items need no reactive proxies.
  }, { deep: false })

  /** Who the signed-in user is to this list, and its editors if they may see them. */
  async function accessOf(listId: string): Promise<{ role: ListRole, editors: string[] }> {
    if (!user.value) return { role: 'reader', editors: [] }
    // Owners, editors and Admin read the list's access fields with the user pool; anyone else is
    // refused them, which is the answer too.
    const { data: access } = await SharedList.get({ id: listId }, { ...(await sharedAccess($Amplify)), selectionSet: ['id', 'owner', 'editors'] })
    const editors = (access?.editors ?? []).filter((email): email is string => typeof email === 'string')
    if (access?.owner?.split('::')[0] === user.value.userId) return { role: 'owner', editors }
    if (user.value.email && editors.includes(user.value.email.toLowerCase())) return { role: 'editor', editors }
    return { role: isAdmin(user.value) ? 'admin' : 'reader', editors }
  }

  const { data, error, refresh } = loaded
  const list = computed(() => data.value?.list ?? null)
  const role = computed<ListRole>(() => data.value?.role ?? 'reader')
  const editors = computed(() => data.value?.editors ?? [])
  const canEdit = computed(() => role.value === 'owner' || role.value === 'editor')
  const canUnpublish = computed(() => role.value === 'owner' || role.value === 'admin')
  const busy = ref(false)
  const actionError = ref<string | null>(null)
  /** Set once the list is gone (unpublished here or elsewhere) while the page is open. */
  const unpublished = ref(false)

  async function act(work: () => Promise<void>): Promise<boolean> {
    actionError.value = null
    busy.value = true
    try {
      await work()
      return true
    }
    catch (cause) {
      actionError.value = dataErrorMessage(cause)
      return false
    }
    finally {
      busy.value = false
    }
  }

  function applyItems(items: SharedItem[], updatedAt: string) {
    if (data.value) data.value = { ...data.value, list: { ...data.value.list, items, updatedAt } }
  }

  /** Ticks an item or clears it: the owner's or an editor's change, seen live by the others. */
  const toggle = (item: SharedItem) => act(async () => {
    const current = list.value
    if (!current) return
    const items = current.items.map(other => other.id === item.id ? { ...other, done: !other.done } : other)
    const updated = orThrow(await SharedList.update({ id: current.id, items }, { ...(await sharedAccess($Amplify)), selectionSet: publicListFields }))
    if (updated) applyItems(updated.items as SharedItem[], updated.updatedAt)
  })

  /** Adds an editor by email; resolves to the message that refused it, or null once saved. */
  async function addEditor(input: string): Promise<string | null> {
    const checked = checkEditorEmail(input, editors.value, user.value?.email ?? null)
    if (checked.error !== undefined) return checked.error
    const saved = await act(() => saveEditors([...editors.value, checked.email]))
    const refusal = saved ? null : actionError.value
    actionError.value = null
    return refusal
  }

  const removeEditor = (email: string) => act(() => saveEditors(editors.value.filter(other => other !== email)))

  async function saveEditors(next: string[]) {
    // AppSync leaves fields with their own read rules out of a mutation's answer (the generated
    // field resolver returns null for them there), so what was saved is what was sent.
    orThrow(await SharedList.update({ id, editors: next }, { ...(await sharedAccess($Amplify)), selectionSet: ['id'] }))
    if (data.value) data.value = { ...data.value, editors: next }
  }

  const unpublish = () => act(async () => {
    // The owner by ownership, Admin by group: both with the user pool's access token.
    orThrow(await SharedList.delete({ id }, { authMode: 'userPool', selectionSet: ['id'] }))
    unpublished.value = true
  })

  // The owner and editors follow each other's changes live. A guest's view is a snapshot: it has
  // no user pool session to subscribe with, and the page says so.
  const subscriptions: Array<{ unsubscribe(): void }> = []
  const liveError = ref<string | null>(null)
  let unmounted = false
  onMounted(async () => {
    const live = $Amplify.GraphQL.realtime?.SharedList
    if (!live || !canEdit.value) return
    const access = await sharedAccess($Amplify)
    // Left before the token came: nothing to follow any more.
    if (unmounted) return
    const onError = (cause: unknown) => {
      liveError.value = `Live updates stopped: ${dataErrorMessage(cause)}. Reload the page to see other editors' changes.`
    }
    subscriptions.push(
      live.onUpdate({ filter: { id: { eq: id } }, ...access, selectionSet: publicListFields }).subscribe({
        next: updated => applyItems(updated.items as SharedItem[], updated.updatedAt),
        error: onError,
      }),
      live.onDelete({ filter: { id: { eq: id } }, ...access, selectionSet: ['id'] }).subscribe({
        next: () => (unpublished.value = true),
        error: onError,
      }),
    )
  })
  onBeforeUnmount(() => {
    unmounted = true
    subscriptions.splice(0).forEach(subscription => subscription.unsubscribe())
  })

  await loaded
  // The error page says why the list is gone, and 404 is the status for everyone. Shown, not thrown:
  // after a client-side navigation Vue only logs a non-fatal error that a page throws, and a fatal
  // one would have its message hidden.
  if (!error.value && data.value === null) {
    nuxtApp.runWithContext(() => showError(createError({ statusCode: 404, statusMessage: 'Not Found', message: 'There is no shared list at this address: it was never published, or it was unpublished.' })))
  }

  return { list, role, editors, error, refresh, canEdit, canUnpublish, busy, actionError, liveError, unpublished, toggle, addEditor, removeEditor, unpublish }
}
