/**
 * `BucketDeployment` (aws-cdk-lib/aws-s3-deployment) done locally: its sources, which the assembly
 * holds as folders (or zip files), copied into the bucket under the destination prefix, as CDK's
 * deployment handler does with `aws s3 sync`: markers replaced, filters applied, system and user
 * metadata set, and with `prune` (CDK's default) what is under the prefix and not in the sources
 * deleted. As CloudFormation runs it only when the deployment changed, so does the sandbox: an
 * object a user replaced or deleted since stays so until the sources change.
 */
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, join, relative, sep } from 'node:path'
import { Readable } from 'node:stream'
import { lookup } from 'mime-types'
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import { DEFAULT_CONTENT_TYPE, etagOf, STORED_HEADERS, type ObjectAttributes, type StoredHeader } from './objects'
import type { BucketDeploymentSettings } from './settings'
import { receiveBody, type BucketStore, type ObjectStore } from './store'

/** A file of a deployment's sources: its key under the prefix and how to read it. */
interface SourceFile {
  relativeKey: string
  open: () => Promise<Readable>
}

/**
 * Runs the deployments that changed since they last ran; returns one line for each that ran or
 * failed. A failed one is tried again at the next start or reload.
 */
export async function runDeployments(deployments: readonly BucketDeploymentSettings[], store: ObjectStore): Promise<string[]> {
  const ran = await store.deployedFingerprints()
  const lines: string[] = []
  const kept: Record<string, string> = {}
  for (const deployment of deployments) {
    const bucket = store.bucket(deployment.bucket)
    if (!bucket) continue
    if (ran[deployment.id] === deployment.fingerprint) {
      kept[deployment.id] = deployment.fingerprint
      continue
    }
    try {
      const { written, unchanged, pruned } = await deploy(deployment, bucket, store)
      kept[deployment.id] = deployment.fingerprint
      lines.push(`Storage: deployed ${deploymentName(deployment)} into ${deployment.bucket}/${deployment.prefix}: ${written} file${written === 1 ? '' : 's'} written, ${unchanged} unchanged${pruned ? `, ${pruned} pruned` : ''}`)
    }
    catch (error) {
      lines.push(`Storage: the BucketDeployment ${deploymentName(deployment)} could not copy its files (${(error as Error).message}); it is tried again at the next start or reload.`)
    }
  }
  await store.saveDeployedFingerprints(kept)
  return lines
}

/** The id the definition gave it (`new BucketDeployment(stack, 'Welcome', …)`), from CDK's logical id. */
function deploymentName(deployment: BucketDeploymentSettings): string {
  const logicalId = deployment.id.slice(deployment.id.lastIndexOf('/') + 1)
  return logicalId.replace(/CustomResource(?:\d+MiB)?[0-9A-F]{8}$/, '') || logicalId
}

async function deploy(deployment: BucketDeploymentSettings, bucket: BucketStore, store: ObjectStore): Promise<{ written: number, unchanged: number, pruned: number }> {
  const files = new Map<string, SourceFile>()
  const opened: ZipFile[] = []
  try {
    for (const source of deployment.sources) {
      for (const file of await sourceFiles(source.path, deployment.extract, opened)) {
        files.set(file.relativeKey, Object.keys(source.markers).length ? withMarkers(file, source.markers) : file)
      }
    }
    return await copyFiles(deployment, files, bucket, store)
  }
  finally {
    for (const zip of opened) zip.close()
  }
}

async function copyFiles(deployment: BucketDeploymentSettings, files: Map<string, SourceFile>, bucket: BucketStore, store: ObjectStore): Promise<{ written: number, unchanged: number, pruned: number }> {
  const attributes = deploymentAttributes(deployment)
  let written = 0
  let unchanged = 0
  for (const [relativeKey, file] of files) {
    if (!isIncluded(relativeKey, deployment)) continue
    const key = deployment.prefix + relativeKey
    const temp = await store.tempFile()
    try {
      const body = await receiveBody(await file.open(), [], temp, { limit: Number.MAX_SAFE_INTEGER, onTooLarge: () => new Error('too large') })
      const contentType = attributes.contentType ?? (lookup(relativeKey) || DEFAULT_CONTENT_TYPE)
      const current = bucket.get(key)
      const etag = etagOf(body.md5)
      if (current && current.etag === etag && current.contentType === contentType && JSON.stringify(current.headers) === JSON.stringify(attributes.headers) && JSON.stringify(current.metadata) === JSON.stringify(attributes.metadata)) {
        await store.discard(temp)
        unchanged++
        continue
      }
      await bucket.commit(key, temp.path, { contentType, headers: attributes.headers, metadata: attributes.metadata, size: body.size, etag, lastModified: new Date().toISOString() })
      written++
    }
    catch (error) {
      await store.discard(temp)
      throw error
    }
  }
  let pruned = 0
  if (deployment.prune) {
    for (const key of [...bucket.keys()]) {
      if (!key.startsWith(deployment.prefix)) continue
      const relativeKey = key.slice(deployment.prefix.length)
      if (files.has(relativeKey) || !isIncluded(relativeKey, deployment)) continue
      await bucket.delete(key)
      pruned++
    }
  }
  return { written, unchanged, pruned }
}

/** `SystemMetadata` and `UserMetadata` as an object's attributes (Content-Type only when given). */
function deploymentAttributes(deployment: BucketDeploymentSettings): Omit<ObjectAttributes, 'contentType'> & { contentType?: string } {
  const headers: ObjectAttributes['headers'] = {}
  for (const name of STORED_HEADERS) {
    const value = deployment.systemMetadata[name]
    if (value !== undefined) headers[name as StoredHeader] = value
  }
  return { contentType: deployment.systemMetadata['content-type'], headers, metadata: { ...deployment.userMetadata } }
}

/** `aws s3 sync` filters: everything is in, then each exclude and include in order, the last that matches deciding. */
export function isIncluded(relativeKey: string, filters: Pick<BucketDeploymentSettings, 'exclude' | 'include'>): boolean {
  let included = true
  for (const pattern of filters.exclude) if (globMatch(pattern, relativeKey)) included = false
  for (const pattern of filters.include) if (globMatch(pattern, relativeKey)) included = true
  return included
}

/** fnmatch as the AWS CLI uses it: `*` any run (slashes too), `?` one character, `[...]` a set. */
function globMatch(pattern: string, text: string): boolean {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end < 0) source += '\\['
      else {
        const set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\')
        source += set.startsWith('!') ? `[^${set.slice(1)}]` : `[${set}]`
        i = end
      }
    }
    else source += char.replace(/[.+^${}()|\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 's').test(text)
}

/** The files of an asset: a folder's, recursively, or a zip's entries (or the zip itself, without `extract`). */
async function sourceFiles(path: string, extract: boolean, opened: ZipFile[]): Promise<SourceFile[]> {
  const info = await stat(path)
  if (info.isDirectory()) {
    if (!extract) throw new Error('extract: false with a folder source is not served offline')
    const files: SourceFile[] = []
    for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue
      const full = join(entry.parentPath, entry.name)
      files.push({ relativeKey: relative(path, full).split(sep).join('/'), open: async () => createReadStream(full) })
    }
    return files
  }
  if (!extract) return [{ relativeKey: basename(path).replace(/^asset\./, ''), open: async () => createReadStream(path) }]
  return zipEntries(path, opened)
}

function zipEntries(path: string, opened: ZipFile[]): Promise<SourceFile[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error(`cannot open ${path}`))
      opened.push(zip)
      const entries: Entry[] = []
      zip.on('entry', (entry: Entry) => {
        if (!entry.fileName.endsWith('/')) entries.push(entry)
        zip.readEntry()
      })
      zip.on('end', () => resolve(entries.map(entry => ({ relativeKey: entry.fileName, open: () => openEntry(zip, entry) }))))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error('unreadable entry')) : resolve(stream))))
}

/** The file with every marker replaced (CDK does it in every file of a source that has markers). */
function withMarkers(file: SourceFile, markers: Record<string, string>): SourceFile {
  return {
    relativeKey: file.relativeKey,
    open: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of await file.open()) chunks.push(chunk as Buffer)
      let text = Buffer.concat(chunks).toString('latin1')
      for (const [marker, value] of Object.entries(markers)) text = text.split(marker).join(Buffer.from(value, 'utf8').toString('latin1'))
      return Readable.from([Buffer.from(text, 'latin1')])
    },
  }
}
