/**
 * The local S3's files (sandbox/storage/store.ts) and BucketDeployment (seed.ts): objects committed
 * durably and found again after a restart, what a crash leaves behind cleaned up, an aborted
 * multipart upload leaving nothing; folder and zip assets copied in with markers, metadata and
 * prune, `aws s3 sync`'s filters and CDK's marker encodings.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { crc32 } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isIncluded, runDeployments } from '../../../sandbox/storage/seed'
import { encodeMarker, type BucketDeploymentSettings } from '../../../sandbox/storage/settings'
import { ObjectStore, receiveBody } from '../../../sandbox/storage/store'

describe('the object store', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storage-store-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const attributes = { contentType: 'text/plain', headers: {}, metadata: { a: 'b' } }
  const put = async (store: ObjectStore, key: string, text: string) => {
    const temp = await store.tempFile()
    const body = await receiveBody(Readable.from([Buffer.from(text)]), [], temp, { limit: 1e6, onTooLarge: () => new Error('too large') })
    return store.bucket('files.x')!.commit(key, temp.path, { ...attributes, size: body.size, etag: `"${body.md5.toString('hex')}"`, lastModified: new Date().toISOString() })
  }

  it('keeps objects in key order across a restart, one data file each, and forgets deleted ones', async () => {
    let store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    await put(store, 'b.txt', 'bee')
    await put(store, 'a.txt', 'ay')
    await put(store, 'a.txt', 'ay again')
    await put(store, 'c.txt', 'see')
    expect(await store.bucket('files.x')!.delete('c.txt')).toBe(true)
    expect(await store.bucket('files.x')!.delete('c.txt')).toBe(false)

    store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    const bucket = store.bucket('files.x')!
    expect(bucket.keys()).toEqual(['a.txt', 'b.txt'])
    expect(bucket.get('a.txt')).toMatchObject({ size: 8, metadata: { a: 'b' }, contentType: 'text/plain' })
    expect(await readdir(bucket.dataDir)).toHaveLength(2)
  })

  it('removes at start what a crash left: bodies being received, data files no object names', async () => {
    let store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    await put(store, 'kept.txt', 'kept')
    await writeFile(join(store.bucket('files.x')!.dataDir, 'orphan'), 'written, never committed')
    await writeFile(join(store.tmpDir, 'half'), 'half a body')
    store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    expect(await readdir(store.bucket('files.x')!.dataDir)).toHaveLength(1)
    expect(await readdir(store.tmpDir)).toEqual([])
  })

  it('leaves nothing of an aborted multipart upload, and refuses its late parts', async () => {
    const store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    const upload = await store.createUpload('files.x', 'big.bin', attributes, { userArn: 'arn:aws:sts::0:assumed-role/r/s' })
    const part = async () => {
      const temp = await store.tempFile()
      await receiveBody(Readable.from([Buffer.alloc(10)]), [], temp, { limit: 100, onTooLarge: () => new Error('too large') })
      return store.commitPart(upload, temp.path, { partNumber: 1, size: 10, etag: '"x"', lastModified: new Date().toISOString() })
    }
    expect(await part()).toMatchObject({ partNumber: 1 })
    await store.removeUpload(upload)
    expect(store.upload(upload.uploadId)).toBeUndefined()
    expect(await part()).toBeUndefined()
    expect(await readdir(join(dir, 'uploads'))).toEqual([])
    expect(await readdir(store.tmpDir)).toEqual([])
    expect((await ObjectStore.open(dir)).upload(upload.uploadId)).toBeUndefined()
  })

  it('keeps an unserved bucket\'s objects on disk and says so', async () => {
    const store = await ObjectStore.open(dir)
    await store.serve(['files.x'])
    await put(store, 'a.txt', 'a')
    await store.serve(['other.x'])
    expect(store.bucket('files.x')).toBeUndefined()
    expect(await store.unservedOnDisk()).toEqual([{ name: 'files.x', objects: 1 }])
  })
})

describe('BucketDeployment', () => {
  it('filters as aws s3 sync does: excludes, then includes, the last match deciding', () => {
    const filters = { exclude: ['*'], include: ['*.png', 'docs/*'] }
    expect(isIncluded('splash.png', filters)).toBe(true)
    expect(isIncluded('img/splash.png', filters)).toBe(true)
    expect(isIncluded('docs/a.txt', filters)).toBe(true)
    expect(isIncluded('notes.txt', filters)).toBe(false)
    expect(isIncluded('a.txt', { exclude: ['?.txt'], include: [] })).toBe(false)
    expect(isIncluded('ab.txt', { exclude: ['?.txt'], include: [] })).toBe(true)
    expect(isIncluded('anything', { exclude: [], include: [] })).toBe(true)
  })

  it('encodes deploy-time values as CDK\'s handler does', () => {
    expect(encodeMarker('a "quoted" value', 'LITERAL')).toBe('a "quoted" value')
    expect(encodeMarker('a "quoted" value', 'UNQUOTED_JSON_VALUE')).toBe('a \\"quoted\\" value')
    expect(encodeMarker('x', 'JSON_VALUE')).toBe('"x"')
    expect(encodeMarker('plain', 'YAML_STRING')).toBe('plain')
    expect(encodeMarker('yes', 'YAML_STRING')).toBe('"yes"')
  })
})

describe('running a BucketDeployment', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storage-seed-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const deployment = (sources: BucketDeploymentSettings['sources'], extra: Partial<BucketDeploymentSettings> = {}): BucketDeploymentSettings => {
    const settings = { id: 'storage/WelcomeCustomResource282A2CD5', bucket: 'files.x', prefix: 'public/', sources, prune: true, extract: true, exclude: [], include: [], userMetadata: {}, systemMetadata: {}, ...extra }
    return { ...settings, fingerprint: JSON.stringify(settings) }
  }

  it('copies a folder asset and a zip asset in, with markers replaced and content types guessed, then only when it changed', async () => {
    await mkdir(join(dir, 'folder', 'img'), { recursive: true })
    await writeFile(join(dir, 'folder', 'img', 'splash.png'), 'not really a png')
    await writeFile(join(dir, 'config.zip'), zip({ 'config.json': '{"api":"<<marker:0xbaba:0>>"}', 'docs/readme.txt': 'read me' }))
    const store = await ObjectStore.open(join(dir, 'storage'))
    await store.serve(['files.x'])
    const welcome = deployment([{ path: join(dir, 'folder'), markers: {} }, { path: join(dir, 'config.zip'), markers: { '<<marker:0xbaba:0>>': 'https://api.example.com' } }], { systemMetadata: { 'cache-control': 'max-age=300' }, userMetadata: { origin: 'deploy' } })

    expect(await runDeployments([welcome], store)).toEqual(['Storage: deployed Welcome into files.x/public/: 3 files written, 0 unchanged'])
    const bucket = store.bucket('files.x')!
    expect(bucket.keys()).toEqual(['public/config.json', 'public/docs/readme.txt', 'public/img/splash.png'])
    expect(bucket.get('public/img/splash.png')).toMatchObject({ contentType: 'image/png', headers: { 'cache-control': 'max-age=300' }, metadata: { origin: 'deploy' } })
    const opened = await bucket.open('public/config.json')
    expect(await opened!.handle.readFile('utf8')).toBe('{"api":"https://api.example.com"}')
    await opened!.handle.close()

    // Unchanged since it ran: not run again (a file removed since stays removed, as after a deploy).
    await bucket.delete('public/docs/readme.txt')
    expect(await runDeployments([welcome], store)).toEqual([])
    expect(bucket.get('public/docs/readme.txt')).toBeUndefined()
  })

  it('prunes what is under its prefix and not in its sources, unless told not to', async () => {
    await mkdir(join(dir, 'folder'))
    await writeFile(join(dir, 'folder', 'a.txt'), 'a')
    const store = await ObjectStore.open(join(dir, 'storage'))
    await store.serve(['files.x'])
    const bucket = store.bucket('files.x')!
    const temp = await store.tempFile()
    await receiveBody(Readable.from([Buffer.from('uploaded by a user')]), [], temp, { limit: 100, onTooLarge: () => new Error('too large') })
    await bucket.commit('public/user.txt', temp.path, { contentType: 'text/plain', headers: {}, metadata: {}, size: 18, etag: '"x"', lastModified: new Date().toISOString() })

    expect(await runDeployments([deployment([{ path: join(dir, 'folder'), markers: {} }], { prune: false })], store)).toEqual(['Storage: deployed Welcome into files.x/public/: 1 file written, 0 unchanged'])
    expect(bucket.keys()).toEqual(['public/a.txt', 'public/user.txt'])
    expect(await runDeployments([deployment([{ path: join(dir, 'folder'), markers: {} }])], store)).toEqual(['Storage: deployed Welcome into files.x/public/: 0 files written, 1 unchanged, 1 pruned'])
    expect(bucket.keys()).toEqual(['public/a.txt'])
  })
})

/** A zip archive of `files`, stored without compression (what yauzl reads as any zip). */
function zip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text)
    const nameBytes = Buffer.from(name)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034B50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014B50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, data)
    centrals.push(central, nameBytes)
    offset += local.length + nameBytes.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054B50, 0)
  end.writeUInt16LE(Object.keys(files).length, 8)
  end.writeUInt16LE(Object.keys(files).length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
