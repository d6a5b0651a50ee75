import { TODOS_API, type ExportFormat } from '~~/shared/todos-api'
import { dataErrorMessage } from '~~/utils/data-errors'

/**
 * Downloads the signed-in user's todos from the todos REST API (`GET /export`, computed by a
 * function). The API's user pool authorizer takes the id token, sent as `Authorization` as the
 * Gen 2 docs show. Browser only: the file is handed to the browser as a download.
 */
export function useTodoExport() {
  const { $Amplify } = useNuxtApp()
  const busy = ref(false)
  const problem = ref<string>()

  async function download(format: ExportFormat): Promise<void> {
    busy.value = true
    problem.value = undefined
    try {
      const idToken = (await $Amplify.Auth.fetchTokens())?.idToken?.toString()
      if (!idToken) throw new Error('your session has ended, sign in again')
      const { body, headers } = await $Amplify.API.get({
        apiName: TODOS_API,
        path: 'export',
        options: { queryParams: { format }, headers: { Authorization: idToken } },
      }).response
      const name = /filename="([^"]+)"/.exec(headers['content-disposition'] ?? '')?.[1] ?? `todos.${format}`
      const file = new Blob([await body.blob()], { type: headers['content-type'] ?? 'application/octet-stream' })
      const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(file), download: name })
      link.click()
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
    }
    catch (cause) {
      problem.value = `The export failed: ${restErrorMessage(cause)}`
    }
    finally {
      busy.value = false
    }
  }

  return { busy, problem, download }
}

/** What the REST API said, when it said something; else what went wrong on the way. */
function restErrorMessage(cause: unknown): string {
  const response = (cause as { response?: { statusCode?: number, body?: string } }).response
  if (response?.body) {
    try {
      const { message } = JSON.parse(response.body) as { message?: string }
      if (message) return `${message} (${response.statusCode})`
    }
    catch {
      // Not JSON: the status says enough.
    }
  }
  return dataErrorMessage(cause)
}
