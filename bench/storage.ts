/**
 * Storage throughput of the offline sandbox: a 50 MB object uploaded (one PutObject) and downloaded
 * through the local S3 over TLS on loopback, SigV4-signed with the sandbox's admin credentials as
 * aws-amplify signs uploads of a File (`UNSIGNED-PAYLOAD`; the bytes are still MD5-hashed for the
 * ETag and synced to disk before the answer). Best of a few rounds, in MB/s (1 MB = 2^20 bytes).
 *
 * `storageThroughput(sandbox)` is what `npm run bench` calls; `node --import tsx bench/storage.ts`
 * starts a sandbox of its own (a scratch copy of `amplify/` with a bucket, on free ports) and prints the numbers.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Sha256 } from '@aws-crypto/sha256-js'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { startSandbox, type Sandbox } from '../sandbox'

const MB = 1024 * 1024

export interface StorageThroughputOptions {
  /** Size of the object; default 50 MB. */
  megabytes?: number
  /** Measured rounds after one warm-up; default 3 (the best counts). */
  rounds?: number
  /** Default: the outputs' default bucket. */
  bucket?: string
}

export interface StorageThroughput {
  uploadMBps: number
  downloadMBps: number
}

export async function storageThroughput(sandbox: Sandbox, options: StorageThroughputOptions = {}): Promise<StorageThroughput> {
  const bucket = options.bucket ?? (sandbox.outputs.storage as { bucket_name?: string } | undefined)?.bucket_name
  if (!bucket) throw new Error('The sandbox\'s backend defines no storage: add defineStorage to amplify/ to measure it')
  const [hostname, port] = sandbox.storageEndpoint.split(':') as [string, string]
  const key = `bench/throughput-${Date.now()}.bin`
  const path = `/${bucket}/${key}`
  // Presigned here, used in the client thread: every request is still a SigV4-verified one.
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: sandbox.iam.admin, sha256: Sha256, uriEscapePath: false })
  const presign = async (method: string) => {
    // As S3 presigners do: the payload is UNSIGNED-PAYLOAD, and that header is neither signed nor sent.
    const unsigned = new Set(['x-amz-content-sha256'])
    const request = new HttpRequest({ method, protocol: 'https:', hostname, port: Number(port), path, headers: { 'host': sandbox.storageEndpoint, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
    const signed = await signer.presign(request, { expiresIn: 3600, unsignableHeaders: unsigned, unhoistableHeaders: unsigned })
    return `${path}?${Object.entries(signed.query ?? {}).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`).join('&')}`
  }
  const job: ClientJob = {
    hostname,
    port: Number(port),
    ca: await readFile(sandbox.certificatePath, 'utf8'),
    put: await presign('PUT'),
    get: await presign('GET'),
    delete: await presign('DELETE'),
    bytes: (options.megabytes ?? 50) * MB,
    rounds: options.rounds ?? 3,
  }
  // The client runs on its own thread, as a browser would run in its own process: its TLS and
  // copying then take the machine's other core, not the sandbox's.
  const worker = new Worker(CLIENT, { eval: true, workerData: job })
  const result = await new Promise<{ upload: number[], download: number[] }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', code => reject(new Error(`The bench client exited (${code})`)))
  })
  await worker.terminate()
  const mbps = (seconds: number[]) => Math.max(...seconds.map(s => job.bytes / MB / s))
  return { uploadMBps: mbps(result.upload), downloadMBps: mbps(result.download) }
}

interface ClientJob {
  hostname: string
  port: number
  ca: string
  /** Presigned paths (with their queries). */
  put: string
  get: string
  delete: string
  bytes: number
  rounds: number
}

/** The client thread: one warm-up round, then `rounds` timed uploads and downloads of `bytes`; seconds each. */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads')
const { request, Agent } = require('node:https')
const job = workerData
const agent = new Agent({ ca: job.ca, keepAlive: true })
const body = Buffer.alloc(job.bytes, 0x61)
function send(method, path, data) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let received = 0
    const req = request({ method, hostname: job.hostname, port: job.port, path, agent, headers: data ? { 'content-length': data.length } : {} }, (res) => {
      res.on('data', (chunk) => { received += chunk.length })
      res.on('end', () => res.statusCode < 300 ? resolve({ seconds: (performance.now() - started) / 1000, received }) : reject(new Error(method + ' answered ' + res.statusCode)))
    })
    req.on('error', reject)
    req.end(data)
  })
}
;(async () => {
  const upload = []
  const download = []
  for (let round = 0; round <= job.rounds; round++) {
    const up = await send('PUT', job.put, body)
    const down = await send('GET', job.get)
    if (down.received !== job.bytes) throw new Error('downloaded ' + down.received + ' of ' + job.bytes + ' bytes')
    if (round > 0) { upload.push(up.seconds); download.push(down.seconds) }
  }
  await send('DELETE', job.delete)
  agent.destroy()
  parentPort.postMessage({ upload, download })
})().catch((error) => { throw error })
`

/** Standalone: a sandbox of its own on a scratch copy of `amplify/` with one bucket, on free ports. */
async function main(): Promise<void> {
  const { scratchProject } = await import('../test/support/project')
  const project = await scratchProject()
  const work = await mkdtemp(join(tmpdir(), 'bench-storage-'))
  let sandbox: Sandbox | undefined
  try {
    // Amplify insists storage is defined in amplify/storage/resource.ts.
    await mkdir(join(project.dir, 'amplify', 'storage'), { recursive: true })
    await writeFile(join(project.dir, 'amplify', 'storage', 'resource.ts'), [
      'import { defineStorage } from \'@aws-amplify/backend\'',
      'export const benchStorage = defineStorage({ name: \'bench\', access: allow => ({ \'bench/*\': [allow.authenticated.to([\'read\', \'write\'])] }) })',
      '',
    ].join('\n'))
    // A backend of its own: the app's may or may not define storage.
    await writeFile(join(project.dir, 'amplify', 'backend.ts'), [
      'import { defineBackend } from \'@aws-amplify/backend\'',
      'import { auth } from \'./auth/resource\'',
      'import { data } from \'./data/resource\'',
      'import { benchStorage } from \'./storage/resource\'',
      'defineBackend({ auth, data, benchStorage })',
      '',
    ].join('\n'))
    console.log('· starting a sandbox with one bucket (synth takes about 10 s)')
    sandbox = await startSandbox({ projectDir: project.dir, dataDir: join(work, 'data'), outputsPath: join(work, 'amplify_outputs.json'), ports: { auth: 0, data: 0, storage: 0, rest: 0 }, watch: false })
    console.log(`· 50 MB up and down through https://${sandbox.storageEndpoint}, signed with the admin credentials`)
    const { uploadMBps, downloadMBps } = await storageThroughput(sandbox)
    const verdict = (value: number) => (value >= 100 ? 'PASS' : 'MISS')
    console.log(`Storage upload    ${uploadMBps.toFixed(0).padStart(5)} MB/s   target ≥ 100   ${verdict(uploadMBps)}`)
    console.log(`Storage download  ${downloadMBps.toFixed(0).padStart(5)} MB/s   target ≥ 100   ${verdict(downloadMBps)}`)
  }
  finally {
    await sandbox?.close()
    await project.remove()
    await rm(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
