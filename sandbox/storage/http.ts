/**
 * The local S3's HTTP face: path-style requests (`/<bucket>/<key>`, what aws-amplify sends for a
 * bucket name with a dot) and virtual-hosted ones (`Host: <bucket>.<endpoint>`), CORS preflights
 * answered from each bucket's own rules, SigV4 (header or presigned query) verified by the
 * sandbox's IAM, then the operation. Errors are S3's XML documents with its codes and statuses.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { declaredLength, guard, headerValue, RequestAbortedError, send } from '../core/http'
import { ANONYMOUS, principalCaller, shortReason, type RequestCaller, type RequestLog } from '../core/requests'
import { PayloadRejected } from '../iam'
import { routeOf, type Operation } from './access'
import { corsHeaders, matchingRule, requestedHeaders } from './cors'
import * as errors from './errors'
import { listBuckets } from './operations/service'
import { deleteObjects, getBucketLocation, headBucket, listObjectsV2 } from './operations/buckets'
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart } from './operations/multipart'
import { copyObject, deleteObject, getObject, putObject } from './operations/objects'
import { newRequestIds, S3Request, XML, type ServedBucket, type StorageService } from './request'
import { renderXml } from './xml'

const OPERATIONS: Record<Exclude<Operation, 'ListBuckets'>, (request: S3Request) => Promise<void>> = {
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  ListObjectsV2: listObjectsV2,
  DeleteObjects: deleteObjects,
  GetObject: request => getObject(request),
  HeadObject: request => getObject(request, true),
  PutObject: putObject,
  CopyObject: copyObject,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
}

/** A refused body up to this size is read to its end before the answer; a bigger one is cut off. */
const DRAIN_LIMIT = 64 * 1024 * 1024

export interface StorageHandlerOptions {
  service: StorageService
  /** Called with what went wrong inside the sandbox (a 500), not with S3 errors. */
  onInternalError?: (error: unknown) => void
  /** Where each request's caller, operation and outcome are recorded. */
  requests?: RequestLog
}

export function createStorageHandler(options: StorageHandlerOptions): RequestListener {
  return guard(
    (req, res) => handle(options.service, req, res, options.requests),
    (res, error) => {
      options.onInternalError?.(error)
      sendError(res, errors.internalError())
    },
  )
}

/** Where a request goes: the bucket (when it names one) and the key, decoded from the raw target. */
interface Target {
  bucketName?: string
  key?: string
  /** Path and query exactly as received: what the signature covers. */
  rawPath: string
  rawQuery: string
}

function parseTarget(req: IncomingMessage, service: StorageService): Target {
  const raw = req.url ?? '/'
  const queryAt = raw.indexOf('?')
  const rawPath = queryAt < 0 ? raw : raw.slice(0, queryAt)
  const rawQuery = queryAt < 0 ? '' : raw.slice(queryAt + 1)
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    }
    catch {
      throw errors.invalidRequest('Couldn\'t parse the specified URI.')
    }
  }
  if (!rawPath.startsWith('/')) throw errors.invalidRequest('Couldn\'t parse the specified URI.')
  // Virtual-hosted style: the bucket is the host's first labels.
  const host = headerValue(req.headers.host).replace(/:\d+$/, '').toLowerCase()
  const hosted = service.buckets().find(bucket => host.startsWith(`${bucket.settings.name}.`))
  if (hosted) {
    const key = rawPath.length > 1 ? decode(rawPath.slice(1)) : undefined
    return { bucketName: hosted.settings.name, key, rawPath, rawQuery }
  }
  const slash = rawPath.indexOf('/', 1)
  const bucketPart = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash)
  const keyPart = slash < 0 ? '' : rawPath.slice(slash + 1)
  return { bucketName: bucketPart ? decode(bucketPart) : undefined, key: keyPart ? decode(keyPart) : undefined, rawPath, rawQuery }
}

async function handle(service: StorageService, req: IncomingMessage, res: ServerResponse, requests?: RequestLog): Promise<void> {
  const { requestId, hostId } = newRequestIds()
  res.setHeader('x-amz-request-id', requestId)
  res.setHeader('x-amz-id-2', hostId)
  const method = (req.method ?? 'GET').toUpperCase()
  const head = method === 'HEAD'
  // Whether a body comes with the request: one refused before it was read is dropped or cut off below.
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined
  // For the request log: never the query, which carries a presigned URL's signature and session token.
  let who: RequestCaller = ANONYMOUS
  let what = `${method} ${(req.url ?? '/').split('?')[0]!.slice(0, 300)}`
  let signatureRefused = false
  try {
    const target = parseTarget(req, service)
    const query = new URLSearchParams(target.rawQuery)
    let bucket = target.bucketName === undefined ? undefined : service.bucket(target.bucketName)
    if (target.bucketName !== undefined && !bucket) throw errors.noSuchBucket(target.bucketName)

    if (method === 'OPTIONS') {
      if (!bucket) throw errors.methodNotAllowed(method, 'SERVICE')
      return preflight(req, res, bucket)
    }
    const origin = headerValue(req.headers.origin)
    if (bucket && origin) {
      const rule = matchingRule(bucket.settings.cors, origin, method)
      if (rule) for (const [name, value] of Object.entries(corsHeaders(rule, origin))) res.setHeader(name, value)
    }

    // aws-amplify's folder removal (aws-amplify/amplify-js#14671) sends DeleteObjects to `/?delete`,
    // dropping a path-style bucket from the path: with one app bucket served, it can only be that one.
    if (!bucket && method === 'POST' && query.has('delete')) {
      const all = service.buckets().filter(served => !served.settings.internal)
      if (all.length !== 1) throw errors.deleteWithoutBucket()
      bucket = all[0]!
    }

    const routed = routeOf(method, bucket?.settings.name, target.key, query, req.headers)
    if ('methodNotAllowed' in routed) throw errors.methodNotAllowed(method, routed.methodNotAllowed)
    if ('operation' in routed) what = describeOperation(routed.operation, bucket?.settings.name, target.key, query)

    const verified = await service.iam.verify({ method, path: target.rawPath, query: target.rawQuery, headers: req.headers }, 's3')
    if (!verified.ok) {
      signatureRefused = true
      throw errors.signatureRefused(verified)
    }
    who = principalCaller(verified.principal)
    // Only after the signature: S3 tells no anonymous caller which features a request touches.
    if ('unsupported' in routed) throw errors.notImplemented(routed.unsupported)
    // Awaited here, every one: a returned promise would reject outside this try, as a 500.
    if (routed.operation === 'ListBuckets') await listBuckets(service, verified.principal, req, res)
    else await OPERATIONS[routed.operation](new S3Request(req, res, service, bucket!, target.key, query, verified.principal, verified.payload))
    requests?.record({ service: 'storage', who, what, decision: 'allowed', status: res.statusCode })
  }
  catch (caught) {
    if (caught instanceof RequestAbortedError || (req.destroyed && !req.complete)) throw new RequestAbortedError()
    const error = caught instanceof PayloadRejected ? errors.signatureRefused(caught.failure) : caught
    if (!(error instanceof errors.S3Error)) throw error
    if (method !== 'OPTIONS') {
      const refused = signatureRefused || caught instanceof PayloadRejected || error.status === 403
      requests?.record({ service: 'storage', who, what, decision: refused ? 'refused' : 'failed', status: error.status, reason: shortReason(error.reason ?? `${error.code}: ${error.message}`) })
    }
    // A client still sending a body it was refused is answered once it is done (it might not read
    // an answer before), unless that is a lot to wait for: then the answer closes the connection.
    const unread = hasBody && !req.complete
    if (unread && (declaredLength(req) ?? Number.POSITIVE_INFINITY) <= DRAIN_LIMIT && await drained(req)) return sendError(res, error, { head })
    sendError(res, error, { head, close: unread })
  }
}

/** The operation on one line: `PutObject bucket/key`, `ListObjectsV2 bucket (prefix public/)`. */
function describeOperation(operation: Operation, bucket: string | undefined, key: string | undefined, query: URLSearchParams): string {
  if (bucket === undefined) return operation
  if (key !== undefined) return `${operation} ${bucket}/${key}`
  const prefix = operation === 'ListObjectsV2' ? query.get('prefix') : null
  return prefix === null ? `${operation} ${bucket}` : `${operation} ${bucket} (prefix ${prefix})`
}

/** Reads what is left of a request body and drops it; false when the client went away instead. */
function drained(req: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    if (req.complete) return resolve(true)
    req.once('end', () => resolve(true))
    req.once('close', () => resolve(req.complete))
    req.resume()
  })
}

function preflight(req: IncomingMessage, res: ServerResponse, bucket: ServedBucket): void {
  const origin = headerValue(req.headers.origin)
  const method = headerValue(req.headers['access-control-request-method'])
  if (!origin || !method) throw errors.invalidRequest('Insufficient information. Origin request header needed.')
  if (bucket.settings.cors.length === 0) throw errors.corsNotEnabled()
  const asked = requestedHeaders(headerValue(req.headers['access-control-request-headers']))
  const rule = matchingRule(bucket.settings.cors, origin, method, asked)
  if (!rule) throw errors.corsNotAllowed()
  res.writeHead(200, { ...corsHeaders(rule, origin, { requestHeaders: asked }), 'content-length': 0 }).end()
}

/** S3's error document (no body for HEAD, whose answers have none). */
function sendError(res: ServerResponse, error: errors.S3Error, options: { head?: boolean, close?: boolean } = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const requestId = String(res.getHeader('x-amz-request-id') ?? '')
  const hostId = String(res.getHeader('x-amz-id-2') ?? '')
  if (options.head) {
    if (options.close) res.setHeader('connection', 'close')
    res.writeHead(error.status, { 'content-length': 0 }).end()
    return
  }
  const body = renderXml('Error', { Code: error.code, Message: error.message, ...error.details, RequestId: requestId, HostId: hostId }, null)
  send(res, error.status, body, { contentType: XML, close: options.close })
}
