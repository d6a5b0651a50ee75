/**
 * What a todo may carry, checked in the browser before an upload starts. Storage's access rules
 * decide who may write where; they cannot limit size or type (IAM has no condition on an upload's
 * length or content type), so this is where those limits live.
 */
export const ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024

/** Pictures (shown as thumbnails), PDFs and plain text. */
export const ATTACHMENT_TYPES: Readonly<Record<string, string>> = {
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'application/pdf': 'PDF',
  'text/plain': 'text file',
}

/** `null` when the file may be attached, else the message that says why not. */
export function checkAttachment(file: { name: string, size: number, type: string }): string | null {
  if (!ATTACHMENT_TYPES[file.type]) {
    return `${file.name} is ${file.type ? `a ${file.type} file` : 'of an unknown type'}: attach pictures (PNG, JPEG, GIF, WebP), PDFs or text files.`
  }
  if (file.size > ATTACHMENT_MAX_BYTES) {
    return `${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB: attachments can be at most ${ATTACHMENT_MAX_BYTES / 1024 / 1024} MB.`
  }
  if (file.size === 0) return `${file.name} is empty.`
  return null
}

/**
 * The key a file gets: under the user's identity (which the storage rules require), then the todo,
 * then a name S3 and URLs take without surprises.
 */
export function attachmentPath(identityId: string, todoId: string, fileName: string): string {
  const safe = fileName.normalize('NFKC').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(-100) || 'file'
  return `attachments/${identityId}/${todoId}/${Date.now()}-${safe}`
}

/** The todo id and shown name of an attachment's key, or `undefined` for keys of another shape. */
export function parseAttachmentPath(path: string): { todoId: string, name: string } | undefined {
  const match = /^attachments\/[^/]+\/([^/]+)\/\d+-(.+)$/.exec(path)
  return match ? { todoId: match[1]!, name: match[2]! } : undefined
}
