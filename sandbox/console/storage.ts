/**
 * The console's Storage: buckets, folders and files, with a preview for images, PDFs and text, and
 * upload, download and delete. Writes go through the running storage service as the sandbox's
 * admin, so they have an S3 write's effects (the bucket's triggers fire).
 *
 * A file's bytes are the user's, so they are served with care: only images (not SVG), PDFs and
 * text are shown inline, text always as `text/plain`; anything else is a download. The preview
 * page relaxes the console's CSP only as far as its one preview needs (`img-src 'self'` or
 * `frame-src 'self'`), and the bytes answer with a CSP of their own.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { declaredLength, headerValue, PayloadTooLargeError } from '../core/http'
import { BadContinuationToken } from '../storage/listing'
import { DEFAULT_CONTENT_TYPE, keyLength, MAX_KEY_BYTES } from '../storage/objects'
import { NoSuchBucketError, type BucketSettings, type LocalStorage } from '../storage'
import type { StoredObject } from '../storage/store'
import { CONSOLE_CSP, escapeHtml } from './pages'
import { FormError, readForm, redirect, type Panel, type PanelRequest } from './panel'

/** The largest upload the console takes (a form's files are held in memory while they are read). */
export const UPLOAD_LIMIT = 100 * 1024 * 1024
/** A text preview shows this much of a file. */
const TEXT_PREVIEW_BYTES = 100 * 1024
/** The delete form: one key (at most 1024 bytes, URL-encoded). */
const DELETE_FORM_LIMIT = 16 * 1024

const STYLE = `
.crumbs { overflow-wrap: anywhere; margin: 0 0 .5rem; }
.files li { display: grid; gap: .2rem; }
.upload { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; border: 1px dashed #8c959f; border-radius: 8px; padding: .6rem .9rem; margin: 0 0 1rem; }
.upload label { display: grid; gap: .2rem; font-size: .875rem; min-width: 0; flex: 1 1 12rem; }
.upload input { font: inherit; font-size: .875rem; min-width: 0; max-width: 100%; }
.upload input[type=text] { padding: .25rem .5rem; border: 1px solid #8c959f; border-radius: 6px; }
.preview img { display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; }
.preview iframe { width: 100%; height: 70vh; border: 1px solid #d0d7de; }
pre { font: .8125rem/1.4 ui-monospace, monospace; background: #f6f8fa; border-radius: 6px; padding: .5rem .75rem; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32rem; overflow: auto; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem .75rem; font-size: .875rem; }
dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
@media (prefers-color-scheme: dark) { pre { background: #161b22; } dt { color: #8b949e; } .upload input[type=text] { background: #0d1117; color: inherit; border-color: #30363d; } }
`

type Preview = { kind: 'image', contentType: string } | { kind: 'pdf' } | { kind: 'text' } | { kind: 'none' }

/** Image types a browser shows without running anything (SVG is a document that can: it is text here). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon'])
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript', 'application/x-javascript', 'application/x-ndjson', 'application/yaml', 'application/x-yaml', 'application/x-sh', 'application/sql', 'application/graphql'])
/** What a file's extension says, when its stored type says nothing (an upload that named none). */
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', bmp: 'image/bmp', ico: 'image/x-icon',
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', log: 'text/plain', json: 'application/json', xml: 'application/xml',
  yaml: 'application/yaml', yml: 'application/yaml', html: 'text/html', htm: 'text/html', svg: 'image/svg+xml', css: 'text/css', js: 'text/javascript', ts: 'text/plain',
}
const GENERIC_TYPES = new Set(['', DEFAULT_CONTENT_TYPE, 'application/octet-stream'])

/** How the console shows an object: by its stored Content-Type, or its extension when that says nothing. */
export function previewOf(object: Pick<StoredObject, 'key' | 'contentType'>): Preview {
  const stored = (object.contentType.split(';')[0] ?? '').trim().toLowerCase()
  const extension = /\.([\w]+)$/.exec(object.key)?.[1]?.toLowerCase() ?? ''
  const type = GENERIC_TYPES.has(stored) ? BY_EXTENSION[extension] ?? stored : stored
  if (IMAGE_TYPES.has(type)) return { kind: 'image', contentType: type }
  if (type === 'application/pdf') return { kind: 'pdf' }
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || /\+(?:json|xml)$/.test(type)) return { kind: 'text' }
  return { kind: 'none' }
}

export const storagePanel: Panel = {
  path: '/storage',
  name: 'Storage',
  async get(request) {
    const { subpath, refuse } = request
    const storage = request.sources.service('storage').storage
    if (!subpath) return request.page(200, 'Storage', bucketsContent(storage.buckets), { style: STYLE })
    const route = routeOf(subpath)
    const bucket = route && storage.buckets.find(b => b.name === route.bucket)
    if (!route || !bucket) return refuse(404, `Nothing at /storage${subpath.slice(0, 100)}.`)
    try {
      if (route.action === '') return folderPage(request, storage, bucket)
      if (route.action === 'file') return await filePage(request, storage, bucket)
      if (route.action === 'raw') return await sendRaw(request, storage, bucket)
    }
    catch (error) {
      if (error instanceof NoSuchBucketError) return refuse(404, `The bucket ${bucket.name} is no longer served.`)
      if (error instanceof BadContinuationToken) return refuse(400, 'That page of the folder cannot be found: start from its first page.')
      throw error
    }
    refuse(404, `Nothing at /storage${subpath.slice(0, 100)}.`)
  },
  /**
   * `POST /storage/<bucket>/upload` (multipart/form-data: prefix, then one or more `file`s) and
   * `POST /storage/<bucket>/delete` (key): the change, then the folder it was made in, with what it did.
   */
  async post(request) {
    const { req, res, subpath, refuse } = request
    const storage = request.sources.service('storage').storage
    const route = routeOf(subpath)
    const bucket = route && storage.buckets.find(b => b.name === route.bucket)
    if (!route || !bucket || (route.action !== 'upload' && route.action !== 'delete')) return refuse(404, `Nothing to post at /storage${subpath.slice(0, 100)}.`)
    try {
      if (route.action === 'delete') {
        const key = (await readForm(req, DELETE_FORM_LIMIT)).get('key') ?? ''
        if (!await storage.deleteObject(bucket.name, key)) return refuse(404, `There is no file ${key.slice(0, 200)} in ${bucket.friendlyName}.`)
        return redirect(res, folderHref(bucket.name, folderOf(key), `Deleted ${key}.`))
      }
      const form = await readUpload(req)
      let prefix = String(form.get('prefix') ?? '')
      if (prefix && !prefix.endsWith('/')) prefix += '/'
      const files = form.getAll('file').filter((file): file is File => typeof file !== 'string' && file.name !== '')
      if (files.length === 0) return refuse(400, 'Choose a file to upload.')
      const tooLong = files.find(file => keyLength(prefix + file.name) > MAX_KEY_BYTES)
      if (tooLong) return refuse(400, `The key of ${tooLong.name.slice(0, 100)} would be over S3's ${MAX_KEY_BYTES} bytes.`)
      for (const file of files) {
        const body = Readable.fromWeb(file.stream() as NodeReadableStream<Uint8Array>)
        await storage.putObject(bucket.name, prefix + file.name, body, { contentType: file.type || DEFAULT_CONTENT_TYPE, limit: UPLOAD_LIMIT })
      }
      const names = files.map(file => file.name).join(', ')
      redirect(res, folderHref(bucket.name, prefix, `Uploaded ${files.length === 1 ? names : `${files.length} files: ${names}`} to ${prefix || 'the top folder'}.`))
    }
    catch (error) {
      if (error instanceof NoSuchBucketError) return refuse(404, `The bucket ${bucket.name} is no longer served.`)
      throw error
    }
  },
}

/** `/<bucket>` and `/<bucket>/<action>`, the bucket decoded; undefined when the path is not of that shape. */
function routeOf(subpath: string): { bucket: string, action: string } | undefined {
  const match = /^\/([^/]+)(?:\/([a-z]+))?$/.exec(subpath)
  if (!match) return undefined
  try {
    return { bucket: decodeURIComponent(match[1]!), action: match[2] ?? '' }
  }
  catch {
    return undefined
  }
}

const bucketPath = (bucket: string) => `/storage/${encodeURIComponent(bucket)}`
const folderHref = (bucket: string, prefix: string, done?: string) => {
  const query = new URLSearchParams({ ...(prefix ? { prefix } : {}), ...(done ? { done } : {}) }).toString()
  return `${bucketPath(bucket)}${query ? `?${query}` : ''}`
}
const fileHref = (bucket: string, key: string, action: 'file' | 'raw' = 'file', download = false) =>
  `${bucketPath(bucket)}/${action}?${new URLSearchParams({ key, ...(download ? { download: '1' } : {}) })}`
/** The folder a key is in: everything up to its last `/`. */
const folderOf = (key: string) => key.slice(0, key.lastIndexOf('/') + 1)

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

const modified = (iso: string) => `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time>`

function bucketsContent(buckets: readonly BucketSettings[]): string {
  if (buckets.length === 0) return '<h1>Storage</h1><p class="empty">The backend defines no buckets.</p>'
  const rows = buckets.map(bucket => [
    '<li>',
    `<a href="${escapeHtml(bucketPath(bucket.name))}"><b>${escapeHtml(bucket.friendlyName)}</b></a>`,
    bucket.internal ? ' <span class="state pending">the data API\'s own</span>' : '',
    `<div class="meta">${escapeHtml(bucket.name)}</div>`,
    '</li>',
  ].join(''))
  return `<h1>Storage</h1><ul class="files">${rows.join('')}</ul>`
}

/** The path to a folder, each part a link: Buckets / bucket / a / b /. */
function crumbs(bucket: BucketSettings, prefix: string): string {
  const links = ['<a href="/storage">Buckets</a>', `<a href="${escapeHtml(folderHref(bucket.name, ''))}">${escapeHtml(bucket.friendlyName)}</a>`]
  let at = 0
  while (at < prefix.length) {
    const end = prefix.indexOf('/', at)
    if (end < 0) break
    links.push(`<a href="${escapeHtml(folderHref(bucket.name, prefix.slice(0, end + 1)))}">${escapeHtml(prefix.slice(at, end) || '(empty name)')}</a>`)
    at = end + 1
  }
  return `<nav class="crumbs" aria-label="Folder">${links.join(' / ')}</nav>`
}

function folderPage({ query, page }: PanelRequest, storage: LocalStorage, bucket: BucketSettings): void {
  const prefix = query.get('prefix') ?? ''
  const listed = storage.listFolder(bucket.name, prefix, query.get('page') ?? undefined)
  const notice = query.get('done')
  const folders = listed.folders.map(folder => `<li><a href="${escapeHtml(folderHref(bucket.name, folder))}">${escapeHtml(folder.slice(prefix.length))}</a></li>`)
  const files = listed.objects.map(object => [
    '<li>',
    `<a href="${escapeHtml(fileHref(bucket.name, object.key))}">${escapeHtml(object.key.slice(prefix.length) || object.key)}</a>`,
    `<div class="meta">${escapeHtml(size(object.size))} · ${escapeHtml(object.contentType)} · ${modified(object.lastModified)}</div>`,
    '</li>',
  ].join(''))
  const upload = [
    `<form class="upload" method="post" action="${escapeHtml(bucketPath(bucket.name))}/upload" enctype="multipart/form-data">`,
    `<label>Folder <input type="text" name="prefix" value="${escapeHtml(prefix)}" placeholder="(top folder)"></label>`,
    '<label>Files <input type="file" name="file" multiple required></label>',
    `<button type="submit">Upload</button>`,
    `<span class="meta">Up to ${size(UPLOAD_LIMIT)} at a time.</span>`,
    '</form>',
  ].join('')
  const next = listed.nextContinuationToken
    ? `<p><a href="${escapeHtml(`${bucketPath(bucket.name)}?${new URLSearchParams({ prefix, page: listed.nextContinuationToken })}`)}">Next page</a></p>`
    : ''
  const entries = folders.length + files.length
    ? `<ul class="files">${folders.join('')}${files.join('')}</ul>`
    : `<p class="empty">${prefix ? 'Nothing in this folder.' : 'This bucket is empty.'}</p>`
  page(200, `${bucket.friendlyName}${prefix ? `: ${prefix}` : ''}`, [
    crumbs(bucket, prefix),
    `<h1>${escapeHtml(prefix ? prefix.slice(folderOf(prefix.slice(0, -1)).length) : bucket.friendlyName)}</h1>`,
    notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : '',
    upload,
    entries,
    next,
  ].join(''), { style: STYLE })
}

async function filePage({ res, query, page, refuse }: PanelRequest, storage: LocalStorage, bucket: BucketSettings): Promise<void> {
  const key = query.get('key') ?? ''
  const opened = await storage.openObject(bucket.name, key)
  if (!opened) return refuse(404, `There is no file ${key.slice(0, 200)} in ${bucket.friendlyName}.`)
  const { object, handle } = opened
  let preview: string
  const shown = previewOf(object)
  try {
    const name = escapeHtml(object.key.slice(folderOf(object.key).length) || object.key)
    const raw = escapeHtml(fileHref(bucket.name, object.key, 'raw'))
    if (shown.kind === 'image') {
      preview = `<img src="${raw}" alt="${name}">`
      res.setHeader('content-security-policy', `${CONSOLE_CSP}; img-src 'self'`)
    }
    else if (shown.kind === 'pdf') {
      preview = `<iframe src="${raw}" title="${name}"></iframe><p><a href="${raw}">Open the PDF</a></p>`
      res.setHeader('content-security-policy', `${CONSOLE_CSP}; frame-src 'self'`)
    }
    else if (shown.kind === 'text') {
      const length = Math.min(object.size, TEXT_PREVIEW_BYTES)
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, 0)
      const text = new TextDecoder('utf-8').decode(buffer.subarray(0, bytesRead))
      const cut = object.size > TEXT_PREVIEW_BYTES ? `<p class="meta">The first ${size(TEXT_PREVIEW_BYTES)} of ${size(object.size)}.</p>` : ''
      preview = `<pre class="text">${escapeHtml(text)}</pre>${cut}`
    }
    else {
      preview = `<p class="empty">No preview for ${escapeHtml(object.contentType)}: download it to open it.</p>`
    }
  }
  finally {
    await handle.close()
  }
  const metadata = Object.entries(object.metadata).map(([name, value]) => `<dt>x-amz-meta-${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
  const remove = [
    '<details><summary>Delete…</summary>',
    `<form class="inline" method="post" action="${escapeHtml(bucketPath(bucket.name))}/delete"><input type="hidden" name="key" value="${escapeHtml(object.key)}">`,
    `<button type="submit">Delete ${escapeHtml(object.key.slice(folderOf(object.key).length) || object.key)} for good</button></form>`,
    '</details>',
  ].join('')
  page(200, object.key, [
    crumbs(bucket, folderOf(object.key)),
    `<h1>${escapeHtml(object.key.slice(folderOf(object.key).length) || object.key)}</h1>`,
    `<div class="preview">${preview}</div>`,
    '<dl>',
    `<dt>Key</dt><dd>${escapeHtml(object.key)}</dd>`,
    `<dt>Size</dt><dd>${escapeHtml(size(object.size))} (${object.size} bytes)</dd>`,
    `<dt>Type</dt><dd>${escapeHtml(object.contentType)}</dd>`,
    `<dt>Modified</dt><dd>${modified(object.lastModified)}</dd>`,
    `<dt>ETag</dt><dd>${escapeHtml(object.etag)}</dd>`,
    ...metadata,
    '</dl>',
    `<div class="actions"><a href="${escapeHtml(fileHref(bucket.name, object.key, 'raw', true))}" download>Download</a>${remove}</div>`,
  ].join(''), { style: STYLE })
}

/** `filename*` as RFC 6266 / 5987 write it, with a plain ASCII `filename` for old clients. */
function disposition(kind: 'inline' | 'attachment', key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1) || 'file'
  const ascii = name.replace(/[^\x20-\x7E]|["\\]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/** The bytes: inline only for what previews (images, PDFs, text as text/plain), else, or with `download=1`, an attachment. */
async function sendRaw({ req, res, query, refuse }: PanelRequest, storage: LocalStorage, bucket: BucketSettings): Promise<void> {
  const key = query.get('key') ?? ''
  const opened = await storage.openObject(bucket.name, key)
  if (!opened) return refuse(404, `There is no file ${key.slice(0, 200)} in ${bucket.friendlyName}.`)
  const { object, handle } = opened
  try {
    const shown = previewOf(object)
    const inline = query.get('download') !== '1' && shown.kind !== 'none'
    const contentType = !inline ? 'application/octet-stream' : shown.kind === 'image' ? shown.contentType : shown.kind === 'pdf' ? 'application/pdf' : 'text/plain; charset=utf-8'
    res.writeHead(200, {
      'content-type': contentType,
      'content-length': String(object.size),
      'content-disposition': disposition(inline ? 'inline' : 'attachment', object.key),
      'x-content-type-options': 'nosniff',
      // Framed by the console's own preview page only; nothing in the bytes runs (a PDF viewer refuses a sandbox).
      'content-security-policy': `default-src 'none'; frame-ancestors 'self'${shown.kind === 'pdf' && inline ? '' : '; sandbox'}`,
    })
    if (req.method === 'HEAD' || object.size === 0) {
      res.end()
      return
    }
    await pipeline(handle.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false }), res)
  }
  finally {
    await handle.close()
  }
}

/**
 * The upload form's fields, parsed by the platform's own multipart reader (undici's
 * `Request.formData()`, which holds the files in memory: hence UPLOAD_LIMIT, checked on the
 * declared size before a byte is read and on the bytes as they arrive).
 */
async function readUpload(req: PanelRequest['req']): Promise<FormData> {
  const type = headerValue(req.headers['content-type'])
  if (!type.startsWith('multipart/form-data')) throw new FormError(415, 'Send the files as multipart/form-data, as the upload form does.')
  const tooLarge = () => new FormError(413, `That upload is larger than the console takes (${size(UPLOAD_LIMIT)} at a time): upload it with the app or a script.`)
  if ((declaredLength(req) ?? 0) > UPLOAD_LIMIT) throw tooLarge()
  let received = 0
  let over = false
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (over) return
        received += chunk.length
        if (received <= UPLOAD_LIMIT) return controller.enqueue(chunk)
        // The rest is read and dropped, so the refusal reaches the browser rather than a reset.
        over = true
        controller.error(new PayloadTooLargeError(UPLOAD_LIMIT))
      })
      req.on('end', () => over || controller.close())
      req.on('error', error => over || controller.error(error))
    },
  })
  try {
    return await new Request('http://console/upload', { method: 'POST', headers: { 'content-type': type }, body, duplex: 'half' } as RequestInit).formData()
  }
  catch (error) {
    if (over) throw tooLarge()
    if (req.destroyed) throw error
    throw new FormError(400, 'That upload could not be read as multipart/form-data.')
  }
}
