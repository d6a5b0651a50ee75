import { dataErrorMessage, orThrow } from '~~/utils/data-errors'
import { sharedAccess } from '~~/utils/shared-lists'

export interface SharedListSummary {
  id: string
  title: string
  itemCount: number
  /** `<sub>::<username>` of its owner. */
  owner: string | null
  /** Its owner's email as they published it; lists published before it was kept have none. */
  ownerEmail: string | null
  mine: boolean
  createdAt: string
}

const summaryFields = ['id', 'title', 'owner', 'ownerEmail', 'items.id', 'createdAt'] as const

/**
 * Shared lists, server-rendered: `mine` are the lists the user owns or edits (the data API filters
 * by owner and by the editors' emails); `all` is every published list, for Admin. Either can be
 * unpublished from here; the data API decides who may. With `when`, nothing is asked until it holds
 * (Admin's list, for a user whose session may not carry the group yet), and it loads once it does.
 */
export function useSharedLists(scope: 'mine' | 'all', options: { when?: Ref<boolean> } = {}) {
  const { $Amplify } = useNuxtApp()
  const { SharedList } = $Amplify.GraphQL.client.models
  const { user } = useAuth()

  const { data: lists, status, error, refresh } = useAsyncData(`shared-lists:${scope}`, async () => {
    if (options.when && !options.when.value) return []
    // Editors match on the email claim of the id token; Admin's group is in either token.
    const access = scope === 'mine' ? await sharedAccess($Amplify) : { authMode: 'userPool' as const }
    const all: SharedListSummary[] = []
    let nextToken: string | null | undefined
    do {
      const page = await SharedList.list({ ...access, selectionSet: summaryFields, nextToken })
      for (const list of orThrow(page)) {
        all.push({
          id: list.id,
          title: list.title,
          itemCount: list.items.length,
          owner: list.owner ?? null,
          ownerEmail: list.ownerEmail ?? null,
          mine: list.owner?.split('::')[0] === user.value?.userId,
          createdAt: list.createdAt,
        })
      }
      nextToken = page.nextToken
    } while (nextToken)
    return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
    // Shallow: the list is replaced, never changed in place.
  }, { default: () => [] as SharedListSummary[], watch: options.when ? [options.when] : undefined, deep: false })

  const busy = ref(new Set<string>())
  const actionError = ref<string | null>(null)

  async function unpublish(list: SharedListSummary): Promise<void> {
    actionError.value = null
    busy.value.add(list.id)
    try {
      orThrow(await SharedList.delete({ id: list.id }, { authMode: 'userPool', selectionSet: ['id'] }))
      lists.value = lists.value.filter(other => other.id !== list.id)
    }
    catch (cause) {
      actionError.value = `“${list.title}” could not be unpublished: ${dataErrorMessage(cause)}`
    }
    finally {
      busy.value.delete(list.id)
    }
  }

  return { lists, status, error, refresh, busy, actionError, unpublish }
}
