/**
 * Presigned Storage URLs kept between renders, so a page that shows the same picture again signs
 * nothing and asks S3 nothing.
 *
 * - **A URL is kept with the credentials that signed it**, in a `WeakMap` keyed by that credentials
 *   object (one per session in ./credentials-cache.ts). A URL therefore never reaches another
 *   session, and it goes when its session's credentials go: expired, evicted or signed out.
 * - **A URL is reused until shortly before it expires**: it must still work when the browser loads
 *   it. The same URL on every render also lets the browser keep the file in its cache.
 * - **A file that ships with the backend** (`custom.deployedFiles` in `amplify_outputs.json`,
 *   written by the `BucketDeployment` in amplify/backend.ts) is known to exist. With
 *   `validateObjectExistence`, S3 is asked again only once per `EXISTENCE_SECONDS` in this process,
 *   so a file removed from the bucket disappears from pages within that time. Any other file is
 *   checked on every call, as Amplify does.
 */
import type { AmplifyContext } from 'aws-amplify'
import type { CredentialsAndIdentityId } from 'aws-amplify/auth'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import type { GetUrlWithPathInput, GetUrlWithPathOutput } from 'aws-amplify/storage'
import { getUrl } from 'aws-amplify/storage/server'

/** How long the existence of a file that ships with the backend is taken as known. */
export const EXISTENCE_SECONDS = 5 * 60
/** A URL is not handed out in its last 5 minutes, or the last half of its life if that is shorter. */
const URL_MARGIN_MS = 5 * 60_000
/** URLs kept per session at most; the oldest go first. */
const MAX_URLS_PER_SESSION = 200

/** `custom.deployedFiles`: the paths each bucket (by its name in `storage.buckets`) ships with. */
export type DeployedFiles = Record<string, string[]>

export interface UrlCacheOptions {
  /** The default bucket's name (`storage.bucket_name`'s friendly name), for calls that name none. */
  defaultBucket?: string
  deployedFiles?: DeployedFiles
  now?: () => number
  /** Amplify's `getUrl`; tests count its calls. */
  sign?: typeof getUrl
}

export interface UrlCache {
  /** `getUrl` from `aws-amplify/storage/server`, answered from the cache where it can be. */
  getUrl(context: AmplifyContext, input: GetUrlWithPathInput): Promise<GetUrlWithPathOutput>
}

interface KeptUrl {
  url: string
  expiresAt: number
  reuseUntil: number
}

export function createUrlCache(options: UrlCacheOptions = {}): UrlCache {
  const now = options.now ?? Date.now
  const sign = options.sign ?? getUrl
  const bySession = new WeakMap<CredentialsAndIdentityId['credentials'], Map<string, KeptUrl>>()
  // Shipped with the backend, so known to exist from the start; the time it was last known.
  const started = now()
  const existence = new Map(Object.entries(options.deployedFiles ?? {}).flatMap(([bucket, paths]) => paths.map(path => [`${bucket}/${path}`, started])))

  return {
    async getUrl(context, input) {
      // The session's credentials (kept: no round trip once warm), and the identity id a path may name.
      const { credentials, identityId } = await fetchAuthSession(context)
      if (!credentials) return sign(context, input)
      const path = typeof input.path === 'function' ? input.path({ identityId }) : input.path
      const { validateObjectExistence: asked, ...rest } = input.options ?? {}
      // Amplify checks nothing for an upload URL.
      const validateObjectExistence = asked && rest.method !== 'PUT'
      const bucket = typeof rest.bucket === 'string' ? rest.bucket : rest.bucket ? undefined : options.defaultBucket
      const shipped = bucket === undefined ? undefined : `${bucket}/${path}`
      const knownAt = shipped === undefined ? undefined : existence.get(shipped)
      // A file not known to ship with the backend is checked every time, as Amplify does.
      if (validateObjectExistence && knownAt === undefined) return sign(context, input)
      const mustCheck = Boolean(validateObjectExistence) && now() - knownAt! >= EXISTENCE_SECONDS * 1000

      let urls = bySession.get(credentials)
      if (!urls) bySession.set(credentials, (urls = new Map()))
      const key = JSON.stringify([path, rest])
      const kept = urls.get(key)
      if (kept && kept.reuseUntil > now() && !mustCheck) return { url: new URL(kept.url), expiresAt: new Date(kept.expiresAt) }

      const signed = await sign(context, { ...input, path, options: { ...rest, validateObjectExistence: mustCheck } })
      if (mustCheck) existence.set(shipped!, now())
      const expiresAt = signed.expiresAt.getTime()
      const reuseUntil = expiresAt - Math.min(URL_MARGIN_MS, (expiresAt - now()) / 2)
      urls.delete(key)
      if (urls.size >= MAX_URLS_PER_SESSION) urls.delete(urls.keys().next().value!)
      urls.set(key, { url: signed.url.href, expiresAt, reuseUntil })
      return { url: new URL(signed.url.href), expiresAt: signed.expiresAt }
    },
  }
}
