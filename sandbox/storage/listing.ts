/**
 * ListObjectsV2 over a bucket's keys, as S3 pages it: keys in UTF-8 byte order, `prefix`,
 * `delimiter` rolling keys up into common prefixes (each counting as one key), `max-keys` (at most
 * 1000), `start-after`, and opaque continuation tokens that resume after the last key or common
 * prefix of the page. Pure: the caller hands over the keys, sorted with `compareKeys`.
 */

/** S3 never returns more than this many keys and prefixes in one page. */
export const MAX_KEYS = 1000

/** Orders keys as S3 does, by their UTF-8 bytes (which JavaScript's UTF-16 `<` gets wrong above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (U+D800-DFFF, the halves of code points above U+FFFF) sort after U+E000-FFFF in UTF-8.
    if (x >= 0xD800 && y >= 0xD800) {
      x = x >= 0xE000 ? x - 0x800 : x + 0x2000
      y = y >= 0xE000 ? y - 0x800 : y + 0x2000
    }
    return x - y
  }
  return a.length - b.length
}

/** The index of the first key greater than `key` in `sorted` (or equal, with `inclusive`). */
export function firstAfter(sorted: readonly string[], key: string, inclusive = false): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    const order = compareKeys(sorted[mid]!, key)
    if (order < 0 || (!inclusive && order === 0)) low = mid + 1
    else high = mid
  }
  return low
}

export interface ListParams {
  prefix: string
  delimiter?: string
  maxKeys: number
  startAfter?: string
  /** As the client sent it back; undefined for a first page. */
  continuationToken?: string
}

export interface ListPage {
  /** Keys in this page, in order. */
  keys: string[]
  commonPrefixes: string[]
  isTruncated: boolean
  nextContinuationToken?: string
}

export class BadContinuationToken extends Error {
  override name = 'BadContinuationToken'
}

const TOKEN_VERSION = '1'

/** Where a page ended: after a key, or after every key under a common prefix. */
interface Position {
  after: string
  rolledUp: boolean
}

export function encodeToken(position: Position): string {
  return Buffer.from(`${TOKEN_VERSION}${position.rolledUp ? 'p' : 'k'}${position.after}`, 'utf8').toString('base64url')
}

export function decodeToken(token: string): Position {
  const text = /^[\w-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : ''
  if (!text.startsWith(TOKEN_VERSION) || !['p', 'k'].includes(text[1] ?? '')) throw new BadContinuationToken('The continuation token provided is incorrect')
  return { rolledUp: text[1] === 'p', after: text.slice(2) }
}

/** One page of `sortedKeys`. Throws `BadContinuationToken` for a token it did not make. */
export function listPage(sortedKeys: readonly string[], params: ListParams): ListPage {
  const { prefix, delimiter } = params
  const maxKeys = Math.min(Math.max(params.maxKeys, 0), MAX_KEYS)
  // A token wins over start-after; both only move the start forward.
  const position: Position | undefined = params.continuationToken !== undefined
    ? decodeToken(params.continuationToken)
    : params.startAfter ? { after: params.startAfter, rolledUp: false } : undefined

  let index = firstAfter(sortedKeys, prefix, true)
  if (position && compareKeys(position.after, prefix) >= 0) index = Math.max(index, firstAfter(sortedKeys, position.after))
  const skipUnder = position?.rolledUp ? position.after : undefined

  const keys: string[] = []
  const commonPrefixes: string[] = []
  let last: Position | undefined
  for (; index < sortedKeys.length; index++) {
    const key = sortedKeys[index]!
    if (!key.startsWith(prefix)) break
    if (skipUnder !== undefined && key.startsWith(skipUnder)) continue
    const found = delimiter ? key.indexOf(delimiter, prefix.length) : -1
    const rolled = found >= 0 ? key.slice(0, found + delimiter!.length) : undefined
    if (rolled !== undefined && rolled === commonPrefixes.at(-1)) continue
    if (keys.length + commonPrefixes.length >= maxKeys) {
      return { keys, commonPrefixes, isTruncated: maxKeys > 0, nextContinuationToken: maxKeys > 0 && last ? encodeToken(last) : undefined }
    }
    if (rolled !== undefined) {
      commonPrefixes.push(rolled)
      last = { after: rolled, rolledUp: true }
      // Jump past every key under the prefix just rolled up.
      index = firstAfter(sortedKeys, `${rolled}\uFFFF`, false) - 1
      while (index + 1 < sortedKeys.length && sortedKeys[index + 1]!.startsWith(rolled)) index++
    }
    else {
      keys.push(key)
      last = { after: key, rolledUp: false }
    }
  }
  return { keys, commonPrefixes, isTruncated: false }
}
