import { isCancelError } from 'aws-amplify/storage'
import { attachmentPath, checkAttachment, parseAttachmentPath } from '~~/shared/attachments'

export interface Attachment {
  path: string
  todoId: string
  name: string
  size: number
  /** A signed URL to show or open the file, made when the list was read. */
  url: string
  image: boolean
}

export interface Upload {
  name: string
  /** 0 to 1. */
  progress: number
  cancel(): void
}

/** How long a listed file's URL works; a click on a file asks for a fresh one anyway. */
const URL_SECONDS = 60 * 60
const IMAGE = /\.(png|jpe?g|gif|webp)$/i

/**
 * The signed-in user's todo attachments, stored under their own identity
 * (`attachments/<identity id>/<todo id>/…`): listed with signed URLs during server rendering (so
 * thumbnails are in the HTML), uploaded from the browser with progress and cancel, opened with a
 * fresh URL, and removed one by one or with their todo.
 */
export function useAttachments() {
  const { $Amplify } = useNuxtApp()
  // Failures say why in words: a browser that does not trust the offline sandbox is told how to fix it.
  const { explain } = useSandboxCertificate()

  const { data: attachments, error, refresh } = useAsyncData('attachments', async () => {
    const { items } = await $Amplify.Storage.list({ path: ({ identityId }) => `attachments/${identityId}/`, options: { listAll: true } })
    const listed = await Promise.all(items.map(item => withUrl(item.path, item.size ?? 0)))
    return listed.filter(item => item !== undefined).sort((a, b) => a.path.localeCompare(b.path))
    // Shallow, like the todos: the list is replaced, never changed in place.
  }, { default: () => [] as Attachment[], deep: false })

  async function withUrl(path: string, size: number): Promise<Attachment | undefined> {
    const parsed = parseAttachmentPath(path)
    if (!parsed) return undefined
    const { url } = await $Amplify.Storage.getUrl({ path, options: { expiresIn: URL_SECONDS } })
    return { path, ...parsed, size, url: url.toString(), image: IMAGE.test(parsed.name) }
  }

  const uploads = ref(new Map<string, Upload>())
  const problems = ref(new Map<string, string>())
  const of = (todoId: string) => attachments.value.filter(attachment => attachment.todoId === todoId)

  /** Uploads `file` to a todo; what went wrong is in `problems` under the todo's id. */
  async function upload(todoId: string, file: File): Promise<void> {
    problems.value.delete(todoId)
    const refused = checkAttachment(file)
    if (refused) {
      problems.value.set(todoId, refused)
      return
    }
    const uploadData = $Amplify.Storage.uploadData
    if (!uploadData || uploads.value.has(todoId)) return
    let path = ''
    // A Cancel pressed before the first bytes move is held until they do. aws-amplify creates a
    // multipart upload first, and a cancel while that request is in flight aborts only the client's
    // side of it: with no upload id yet it cannot abort the upload the server made, which stays,
    // parts and all (in S3 too). Once bytes move, the id is known and cancel() aborts it.
    let cancelled = false
    let moving = false
    const transfer = uploadData({
      path: ({ identityId }) => (path = attachmentPath(identityId!, todoId, file.name)),
      data: file,
      options: {
        contentType: file.type,
        onProgress: ({ transferredBytes, totalBytes }) => {
          moving = true
          if (cancelled) return transfer.cancel()
          const current = uploads.value.get(todoId)
          if (current && totalBytes) current.progress = transferredBytes / totalBytes
        },
      },
    })
    const cancelledMessage = `Upload of ${file.name} cancelled: nothing was kept.`
    uploads.value.set(todoId, {
      name: file.name,
      progress: 0,
      cancel: () => {
        cancelled = true
        if (moving) transfer.cancel()
      },
    })
    try {
      await transfer.result
      // Done before the held cancel could act (a small file): honour it by removing what was stored.
      if (cancelled) {
        await $Amplify.Storage.remove({ path })
        problems.value.set(todoId, cancelledMessage)
        return
      }
      const added = await withUrl(path, file.size)
      if (added) attachments.value = [...attachments.value.filter(other => other.path !== path), added].sort((a, b) => a.path.localeCompare(b.path))
    }
    catch (cause) {
      problems.value.set(todoId, isCancelError(cause) ? cancelledMessage : `${file.name} could not be uploaded: ${await explain(cause)}`)
    }
    finally {
      uploads.value.delete(todoId)
    }
  }

  /** Opens a file with a URL made now: an old one may have expired, and the file may be gone. */
  async function open(attachment: Attachment): Promise<void> {
    problems.value.delete(attachment.todoId)
    try {
      const { url } = await $Amplify.Storage.getUrl({
        path: attachment.path,
        options: { validateObjectExistence: true, expiresIn: 60, contentDisposition: { type: 'attachment', filename: attachment.name } },
      })
      window.location.assign(url.toString())
    }
    catch (cause) {
      if (await isGone(attachment, cause)) {
        forget(attachment.path)
        problems.value.set(attachment.todoId, `${attachment.name} is gone: it was removed elsewhere.`)
      }
      else problems.value.set(attachment.todoId, `${attachment.name} could not be opened: ${await explain(cause)}`)
    }
  }

  /**
   * Whether `cause` (from checking that the file exists) means it is gone. S3 answers a missing key
   * with 404 only to callers who may list the whole bucket; Gen 2's roles may list only under their
   * own prefixes, so they get a 403 (with no body: a HEAD's error has none). Listing the todo's
   * folder, which the owner may, tells the two apart.
   */
  async function isGone(attachment: Attachment, cause: unknown): Promise<boolean> {
    const name = (cause as { name?: string }).name
    if (name === 'NotFound' || name === 'NoSuchKey') return true
    if (name !== '403' && name !== 'AccessDenied') return false
    const folder = attachment.path.slice(0, attachment.path.lastIndexOf('/') + 1)
    const { items } = await $Amplify.Storage.list({ path: folder, options: { listAll: true } }).catch(() => ({ items: [{ path: attachment.path }] }))
    return !items.some(item => item.path === attachment.path)
  }

  async function remove(attachment: Attachment): Promise<boolean> {
    problems.value.delete(attachment.todoId)
    try {
      await $Amplify.Storage.remove({ path: attachment.path })
      forget(attachment.path)
      return true
    }
    catch (cause) {
      problems.value.set(attachment.todoId, `${attachment.name} could not be removed: ${await explain(cause)}`)
      return false
    }
  }

  /**
   * Removes every file of a todo, before the todo itself goes: listed afresh, so files added to it
   * from another tab go too. A todo that had no files when the list loaded (and none uploaded here
   * since) is deleted without asking Storage: deleting it must not depend on Storage being
   * reachable, and a file added to it in another tab meanwhile is the rare price. False (with the
   * reason in `problems`) when one could not be removed.
   */
  async function removeAll(todoId: string): Promise<boolean> {
    problems.value.delete(todoId)
    if (!error.value && of(todoId).length === 0) return true
    try {
      const { items } = await $Amplify.Storage.list({ path: ({ identityId }) => `attachments/${identityId}/${todoId}/`, options: { listAll: true } })
      for (const item of items) {
        await $Amplify.Storage.remove({ path: item.path })
        forget(item.path)
      }
      return true
    }
    catch (cause) {
      problems.value.set(todoId, `The todo's files could not all be removed, so the todo stays: ${await explain(cause)}`)
      return false
    }
  }

  function forget(path: string) {
    attachments.value = attachments.value.filter(attachment => attachment.path !== path)
  }

  return { attachments, error, refresh, of, uploads, problems, upload, open, remove, removeAll }
}
