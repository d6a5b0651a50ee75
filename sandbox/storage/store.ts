/**
 * The local S3's state on disk, under `<dataDir>/storage/`:
 *
 *   buckets/<bucket>/data/<id>            an object's bytes (a new file for every write)
 *   buckets/<bucket>/meta/<sha256(key)>.json   its key, size, ETag, dates, headers, metadata, data file
 *   uploads/<upload id>/upload.json       a multipart upload in progress, and its parts
 *   tmp/                                  bodies being received
 *   deployments.json                      which BucketDeployments ran, as they were
 *
 * A write is acknowledged only once it is durable: the body goes to a temp file that is synced and
 * renamed into `data/`, then the metadata file is written the same way and renamed over the old one
 * (the commit), and both folders are synced. A crash leaves the old object or the new one, never a
 * mix; a data file no metadata names is removed at the next start. Writes to one key are serialized.
 */
import { randomBytes, createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable, type Duplex, type Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { readJsonIfExists, writeAtomically } from '../core/fs'
import { RequestAbortedError } from '../core/http'
import { compareKeys, firstAfter } from './listing'
import type { ObjectAttributes } from './objects'

export interface StoredObject extends ObjectAttributes {
  key: string
  size: number
  /** With its quotes: `"<md5>"`, or `"<md5>-<parts>"` for a multipart upload. */
  etag: string
  /** ISO 8601 with milliseconds. */
  lastModified: string
  /** Set for an object completed from a multipart upload. */
  partsCount?: number
  /** The data file's name in the bucket's `data/` folder. */
  file: string
}

export interface StoredPart {
  partNumber: number
  size: number
  etag: string
  lastModified: string
  file: string
}

/** Who started a multipart upload: only they may add parts, complete it, or (without more rights) list or abort it. */
export interface Initiator {
  userArn: string
  identityId?: string
}

export interface StoredUpload {
  uploadId: string
  bucket: string
  key: string
  attributes: ObjectAttributes
  initiator: Initiator
  initiated: string
  parts: Map<number, StoredPart>
}

/** A body being received into `tmp/`. */
export interface TempFile {
  path: string
  handle: FileHandle
}

/** What receiving a body produced: its size and MD5, and any other digests asked for. */
export interface ReceivedBody {
  size: number
  md5: Buffer
  digests: Record<string, string>
}

/** A digest computed while a body streams to disk (a checksum the client declared). */
export interface StreamDigest {
  name: string
  update(chunk: Buffer): void
  digest(): string
}

const FILE_VERSION = 1
const UPLOAD_ID = /^[\w-]{16,128}$/

const randomName = () => randomBytes(12).toString('base64url')
const metaName = (key: string) => `${createHash('sha256').update(key).digest('hex')}.json`

/** fsync a folder, so the renames into it survive a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  }
  finally {
    await handle.close()
  }
}

/** One bucket's objects: on disk, and in memory as a map and a sorted key list (for listings). */
export class BucketStore {
  private readonly objects = new Map<string, StoredObject>()
  private sorted: string[] = []
  private readonly locks = new Map<string, Promise<unknown>>()
  readonly dataDir: string
  private readonly metaDir: string

  private constructor(readonly name: string, readonly dir: string) {
    this.dataDir = join(dir, 'data')
    this.metaDir = join(dir, 'meta')
  }

  static async open(root: string, name: string): Promise<BucketStore> {
    const bucket = new BucketStore(name, join(root, 'buckets', name))
    await mkdir(bucket.dataDir, { recursive: true })
    await mkdir(bucket.metaDir, { recursive: true })
    const files = await readdir(bucket.metaDir)
    const referenced = new Set<string>()
    for (const file of files) {
      if (!file.endsWith('.json')) {
        // A metadata write cut short by a crash.
        await unlink(join(bucket.metaDir, file)).catch(() => {})
        continue
      }
      const stored = await readJsonIfExists<{ version?: number, object?: StoredObject }>(join(bucket.metaDir, file)).catch(() => undefined)
      const object = stored?.object
      if (stored?.version !== FILE_VERSION || typeof object?.key !== 'string' || typeof object.file !== 'string') continue
      bucket.objects.set(object.key, object)
      referenced.add(object.file)
    }
    for (const file of await readdir(bucket.dataDir)) {
      if (!referenced.has(file)) await unlink(join(bucket.dataDir, file)).catch(() => {})
    }
    bucket.sorted = [...bucket.objects.keys()].sort(compareKeys)
    return bucket
  }

  get size(): number {
    return this.objects.size
  }

  get(key: string): StoredObject | undefined {
    return this.objects.get(key)
  }

  /** Every key, in S3's order. */
  keys(): readonly string[] {
    return this.sorted
  }

  /** Opens an object's bytes; undefined when there is no such key. The handle reads this version even if it is replaced meanwhile. */
  async open(key: string): Promise<{ object: StoredObject, handle: FileHandle } | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const object = this.objects.get(key)
      if (!object) return undefined
      try {
        return { object, handle: await open(join(this.dataDir, object.file), 'r') }
      }
      catch (error) {
        // Replaced between the lookup and the open: look again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
    return undefined
  }

  /**
   * Makes the synced file at `tempPath` the object `key`, durably; `check` runs first under the
   * key's lock (a precondition) and may throw to refuse. Resolves with the stored object.
   */
  commit(key: string, tempPath: string, object: Omit<StoredObject, 'file' | 'key'>, check?: (current: StoredObject | undefined) => void): Promise<StoredObject> {
    return this.locked(key, async () => {
      try {
        check?.(this.objects.get(key))
      }
      catch (error) {
        await unlink(tempPath).catch(() => {})
        throw error
      }
      const stored: StoredObject = { ...object, key, file: randomName() }
      await rename(tempPath, join(this.dataDir, stored.file))
      await writeAtomically(join(this.metaDir, metaName(key)), JSON.stringify({ version: FILE_VERSION, object: stored }), 0o600)
      await Promise.all([syncDir(this.dataDir), syncDir(this.metaDir)])
      const previous = this.objects.get(key)
      this.objects.set(key, stored)
      if (!previous) this.sorted.splice(firstAfter(this.sorted, key, true), 0, key)
      if (previous) await unlink(join(this.dataDir, previous.file)).catch(() => {})
      return stored
    })
  }

  /** Deletes `key` durably; false when there was none (S3 answers the same either way). */
  delete(key: string): Promise<boolean> {
    return this.locked(key, async () => {
      const previous = this.objects.get(key)
      if (!previous) return false
      await unlink(join(this.metaDir, metaName(key)))
      await syncDir(this.metaDir)
      this.objects.delete(key)
      const at = firstAfter(this.sorted, key, true)
      if (this.sorted[at] === key) this.sorted.splice(at, 1)
      await unlink(join(this.dataDir, previous.file)).catch(() => {})
      return true
    })
  }

  /** Runs `work` once every earlier write to `key` has finished. */
  private locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve()
    const run = before.catch(() => {}).then(work)
    const settled = run.catch(() => {})
    this.locks.set(key, settled)
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key)
    })
    return run
  }
}

/** Every bucket's store, multipart uploads, temp files and the record of deployments. */
export class ObjectStore {
  private readonly buckets = new Map<string, BucketStore>()
  private readonly uploads = new Map<string, StoredUpload>()
  readonly tmpDir: string
  private readonly uploadsDir: string
  private readonly deploymentsFile: string

  private constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp')
    this.uploadsDir = join(root, 'uploads')
    this.deploymentsFile = join(root, 'deployments.json')
  }

  static async open(root: string): Promise<ObjectStore> {
    const store = new ObjectStore(root)
    // Bodies whose requests never finished.
    await rm(store.tmpDir, { recursive: true, force: true })
    await mkdir(store.tmpDir, { recursive: true })
    await mkdir(store.uploadsDir, { recursive: true })
    await mkdir(join(root, 'buckets'), { recursive: true })
    await store.loadUploads()
    return store
  }

  /** Serves exactly `names` from now on (loading any not loaded); others stay on disk, unserved. */
  async serve(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (!this.buckets.has(name)) this.buckets.set(name, await BucketStore.open(this.root, name))
    }
    for (const name of this.buckets.keys()) {
      if (!names.includes(name)) this.buckets.delete(name)
    }
  }

  bucket(name: string): BucketStore | undefined {
    return this.buckets.get(name)
  }

  /** Buckets on disk that are not served, with how many objects each keeps. */
  async unservedOnDisk(): Promise<Array<{ name: string, objects: number }>> {
    const found: Array<{ name: string, objects: number }> = []
    for (const name of await readdir(join(this.root, 'buckets')).catch(() => [] as string[])) {
      if (this.buckets.has(name)) continue
      const objects = (await readdir(join(this.root, 'buckets', name, 'meta')).catch(() => [] as string[])).filter(f => f.endsWith('.json')).length
      found.push({ name, objects })
    }
    return found
  }

  /** A new temp file for a body; remove it with `discard` unless it is committed. */
  async tempFile(): Promise<TempFile> {
    const path = join(this.tmpDir, randomName())
    return { path, handle: await open(path, 'w', 0o600) }
  }

  async discard(temp: TempFile): Promise<void> {
    await temp.handle.close().catch(() => {})
    await unlink(temp.path).catch(() => {})
  }

  // Multipart uploads ----------------------------------------------------------------------------

  /** The upload, if it exists (an id that is not one of ours is no upload). */
  upload(uploadId: string): StoredUpload | undefined {
    return UPLOAD_ID.test(uploadId) ? this.uploads.get(uploadId) : undefined
  }

  async createUpload(bucket: string, key: string, attributes: ObjectAttributes, initiator: Initiator): Promise<StoredUpload> {
    const upload: StoredUpload = { uploadId: randomBytes(36).toString('base64url'), bucket, key, attributes, initiator, initiated: new Date().toISOString(), parts: new Map() }
    const dir = join(this.uploadsDir, upload.uploadId)
    await mkdir(dir)
    const { parts: _parts, ...saved } = upload
    await writeAtomically(join(dir, 'upload.json'), JSON.stringify({ version: FILE_VERSION, upload: saved }))
    await Promise.all([syncDir(dir), syncDir(this.uploadsDir)])
    this.uploads.set(upload.uploadId, upload)
    return upload
  }

  /** Makes a received part part of the upload, replacing a part with its number; false if the upload went meanwhile. */
  async commitPart(upload: StoredUpload, tempPath: string, part: Omit<StoredPart, 'file'>): Promise<StoredPart | undefined> {
    const dir = join(this.uploadsDir, upload.uploadId)
    const stored: StoredPart = { ...part, file: `part-${part.partNumber}.${randomName()}` }
    try {
      if (this.uploads.get(upload.uploadId) !== upload) throw Object.assign(new Error('aborted'), { code: 'ENOENT' })
      await rename(tempPath, join(dir, stored.file))
      await writeAtomically(join(dir, `part-${part.partNumber}.json`), JSON.stringify({ version: FILE_VERSION, part: stored }))
      await syncDir(dir)
    }
    catch (error) {
      await unlink(tempPath).catch(() => {})
      // Aborted or completed while the part arrived: its folder is gone.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    if (this.uploads.get(upload.uploadId) !== upload) return undefined
    const previous = upload.parts.get(part.partNumber)
    upload.parts.set(part.partNumber, stored)
    if (previous && previous.file !== stored.file) await unlink(join(dir, previous.file)).catch(() => {})
    return stored
  }

  /** Where a part's bytes are. */
  partPath(upload: StoredUpload, part: StoredPart): string {
    return join(this.uploadsDir, upload.uploadId, part.file)
  }

  /** Forgets the upload at once (later parts and completions find nothing) and deletes its parts. */
  async removeUpload(upload: StoredUpload): Promise<void> {
    if (this.uploads.get(upload.uploadId) !== upload) return
    this.uploads.delete(upload.uploadId)
    // Renamed out of the way first: a part arriving now finds no folder to land in.
    const trash = join(this.tmpDir, `upload-${upload.uploadId}`)
    await rename(join(this.uploadsDir, upload.uploadId), trash)
    await syncDir(this.uploadsDir)
    await rm(trash, { recursive: true, force: true })
  }

  /** Takes the upload out of service for completing it; `removeUpload` or `restoreUpload` after. */
  claimUpload(upload: StoredUpload): boolean {
    if (this.uploads.get(upload.uploadId) !== upload) return false
    this.uploads.delete(upload.uploadId)
    return true
  }

  /** Puts back an upload whose completion failed for a reason of the sandbox's own. */
  restoreUpload(upload: StoredUpload): void {
    this.uploads.set(upload.uploadId, upload)
  }

  /** Deletes a claimed upload's folder. */
  async dropClaimedUpload(upload: StoredUpload): Promise<void> {
    this.uploads.set(upload.uploadId, upload)
    await this.removeUpload(upload)
  }

  /** Uploads in progress for a bucket (an upload of a bucket no longer served stays on disk). */
  uploadsOf(bucket: string): StoredUpload[] {
    return [...this.uploads.values()].filter(upload => upload.bucket === bucket)
  }

  private async loadUploads(): Promise<void> {
    for (const id of await readdir(this.uploadsDir)) {
      const dir = join(this.uploadsDir, id)
      const saved = await readJsonIfExists<{ version?: number, upload?: Omit<StoredUpload, 'parts'> }>(join(dir, 'upload.json')).catch(() => undefined)
      if (saved?.version !== FILE_VERSION || saved.upload?.uploadId !== id) {
        // Its creation never finished: it was never acknowledged.
        await rm(dir, { recursive: true, force: true })
        continue
      }
      const upload: StoredUpload = { ...saved.upload, parts: new Map() }
      const files = await readdir(dir)
      for (const file of files.filter(f => /^part-\d+\.json$/.test(f))) {
        const part = (await readJsonIfExists<{ part?: StoredPart }>(join(dir, file)).catch(() => undefined))?.part
        if (part && files.includes(part.file)) upload.parts.set(part.partNumber, part)
      }
      const kept = new Set(['upload.json', ...[...upload.parts.values()].flatMap(part => [part.file, `part-${part.partNumber}.json`])])
      for (const file of files) {
        if (!kept.has(file)) await unlink(join(dir, file)).catch(() => {})
      }
      this.uploads.set(id, upload)
    }
  }

  // Deployments ----------------------------------------------------------------------------------

  async deployedFingerprints(): Promise<Record<string, string>> {
    const saved = await readJsonIfExists<{ version?: number, deployed?: Record<string, string> }>(this.deploymentsFile).catch(() => undefined)
    return saved?.version === FILE_VERSION && saved.deployed ? saved.deployed : {}
  }

  async saveDeployedFingerprints(deployed: Record<string, string>): Promise<void> {
    await writeAtomically(this.deploymentsFile, JSON.stringify({ version: FILE_VERSION, deployed }))
  }
}

/**
 * Streams `source` (through `transforms`, e.g. the signature's payload decoder) into `temp`,
 * computing its MD5 (and `digests`) on the way, and syncs it. Rejects when a transform fails, the
 * body passes `limit` bytes (with `onTooLarge`'s error) or a request's client goes away
 * (`RequestAbortedError`). The source is only unpiped on failure, never destroyed, so an HTTP
 * request can still be answered; `temp` is left for the caller to discard.
 */
export async function receiveBody(
  source: Readable,
  transforms: Duplex[],
  temp: TempFile,
  options: { limit: number, onTooLarge: (size: number) => Error, digests?: StreamDigest[] },
): Promise<ReceivedBody> {
  // Gone before a listener below could hear it (while the signature or the temp file was awaited).
  if (source.destroyed && !source.readableEnded) throw new RequestAbortedError()
  const sink = new FileSink(temp.handle, options.limit, options.onTooLarge, options.digests ?? [])
  const head = transforms[0] ?? sink
  // pipeline's types have no overload for a spread of streams.
  const chain = transforms.length ? (pipeline as (...streams: unknown[]) => Promise<void>)(...transforms, sink) : finished(sink)
  const sourceFailed = new Promise<never>((_, reject) => {
    source.once('error', reject)
    // Closed before its end: a request whose client went away, or whose connection was cut after its
    // body arrived but before it was read (it is then `complete` and still never ends).
    source.once('close', () => {
      if (!source.readableEnded) reject(new RequestAbortedError())
    })
  })
  sourceFailed.catch(() => {})
  source.pipe(head)
  try {
    await Promise.race([chain, sourceFailed])
  }
  catch (error) {
    source.unpipe(head)
    head.destroy()
    throw error
  }
  await temp.handle.sync()
  await temp.handle.close()
  return { size: sink.size, md5: sink.md5.digest(), digests: Object.fromEntries((options.digests ?? []).map(d => [d.name, d.digest()])) }
}

/** Copies files one after another into `temp` (a multipart upload's parts), synced. */
export async function concatenate(paths: readonly string[], temp: TempFile): Promise<number> {
  let size = 0
  for (const path of paths) {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      const buffer = chunk as Buffer
      let written = 0
      while (written < buffer.length) written += (await temp.handle.write(buffer, written)).bytesWritten
      size += buffer.length
    }
  }
  await temp.handle.sync()
  await temp.handle.close()
  return size
}

/** Writes to a file handle, hashing on the way; batches what piles up while a write is in flight. */
class FileSink extends Writable {
  readonly md5 = createHash('md5')
  size = 0

  constructor(
    private readonly handle: FileHandle,
    private readonly limit: number,
    private readonly onTooLarge: (size: number) => Error,
    private readonly digests: StreamDigest[],
  ) {
    super({ highWaterMark: 8 * 1024 * 1024 })
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => done(), done)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (error?: Error | null) => void): void {
    this.writeAll(chunks.map(c => c.chunk)).then(() => done(), done)
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let total = 0
    for (const buffer of buffers) {
      total += buffer.length
      this.md5.update(buffer)
      for (const digest of this.digests) digest.update(buffer)
    }
    this.size += total
    if (this.size > this.limit) throw this.onTooLarge(this.size)
    let written = (await this.handle.writev(buffers)).bytesWritten
    // A short write (a full disk will say so on the next one): write the rest.
    while (written < total) {
      const rest = Buffer.concat(buffers).subarray(written)
      written += (await this.handle.write(rest)).bytesWritten
    }
  }
}
