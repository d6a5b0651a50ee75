/**
 * ListObjectsV2 paging as S3 does it (sandbox/storage/listing.ts): UTF-8 key order, prefixes,
 * delimiters rolling keys into common prefixes that count towards max-keys, start-after, and
 * continuation tokens that resume exactly where a page ended.
 */
import { describe, expect, it } from 'vitest'
import { BadContinuationToken, compareKeys, listPage, type ListParams } from '../../../sandbox/storage/listing'

const keys = [
  'public/a.txt', 'public/b/1.txt', 'public/b/2.txt', 'public/c.txt', 'public/d/1.txt', 'public/e.txt',
  'private/x/1.txt', 'protected/y/1.txt',
].sort(compareKeys)

/** Every page of a listing, following continuation tokens. */
function allPages(params: Omit<ListParams, 'continuationToken'>) {
  const pages = []
  let token: string | undefined
  do {
    const page = listPage(keys, { ...params, continuationToken: token })
    pages.push({ keys: page.keys, prefixes: page.commonPrefixes, truncated: page.isTruncated })
    token = page.nextContinuationToken
    expect(Boolean(token)).toBe(page.isTruncated)
  } while (token)
  return pages
}

describe('key order', () => {
  it('is UTF-8 byte order: characters above U+FFFF after U+E000-FFFF, unlike JavaScript\'s <', () => {
    const sorted = ['a😀', 'a\uFF5E', 'a', 'aB', 'ab', 'a/'].sort(compareKeys)
    expect(sorted).toEqual(['a', 'a/', 'aB', 'ab', 'a\uFF5E', 'a😀'])
    expect(['a😀', 'a\uFF5E'].sort()).toEqual(['a😀', 'a\uFF5E'])
  })
})

describe('a listing', () => {
  it('lists keys under a prefix, page by page, each once', () => {
    expect(allPages({ prefix: 'public/', maxKeys: 2 })).toEqual([
      { keys: ['public/a.txt', 'public/b/1.txt'], prefixes: [], truncated: true },
      { keys: ['public/b/2.txt', 'public/c.txt'], prefixes: [], truncated: true },
      { keys: ['public/d/1.txt', 'public/e.txt'], prefixes: [], truncated: false },
    ])
  })

  it('rolls keys up into common prefixes with a delimiter, each counting as one key', () => {
    expect(allPages({ prefix: 'public/', delimiter: '/', maxKeys: 2 })).toEqual([
      { keys: ['public/a.txt'], prefixes: ['public/b/'], truncated: true },
      { keys: ['public/c.txt'], prefixes: ['public/d/'], truncated: true },
      { keys: ['public/e.txt'], prefixes: [], truncated: false },
    ])
    expect(listPage(keys, { prefix: '', delimiter: '/', maxKeys: 1000 }).commonPrefixes).toEqual(['private/', 'protected/', 'public/'])
  })

  it('starts after start-after, and a token wins over it', () => {
    expect(listPage(keys, { prefix: 'public/', maxKeys: 1000, startAfter: 'public/c.txt' }).keys).toEqual(['public/d/1.txt', 'public/e.txt'])
    const first = listPage(keys, { prefix: 'public/', maxKeys: 1 })
    expect(listPage(keys, { prefix: 'public/', maxKeys: 1, startAfter: 'public/d', continuationToken: first.nextContinuationToken }).keys).toEqual(['public/b/1.txt'])
  })

  it('returns nothing for max-keys 0 and for a prefix with no keys, not truncated', () => {
    expect(listPage(keys, { prefix: 'public/', maxKeys: 0 })).toEqual({ keys: [], commonPrefixes: [], isTruncated: false })
    expect(listPage(keys, { prefix: 'nothing/', maxKeys: 10 })).toEqual({ keys: [], commonPrefixes: [], isTruncated: false })
  })

  it('never returns more than 1000 at once', () => {
    const many = Array.from({ length: 1500 }, (_, i) => `k/${String(i).padStart(4, '0')}`)
    const page = listPage(many, { prefix: 'k/', maxKeys: 5000 })
    expect(page.keys).toHaveLength(1000)
    expect(page.isTruncated).toBe(true)
  })

  it('refuses a continuation token it did not make', () => {
    expect(() => listPage(keys, { prefix: '', maxKeys: 10, continuationToken: 'not-a-token' })).toThrow(BadContinuationToken)
    expect(() => listPage(keys, { prefix: '', maxKeys: 10, continuationToken: '%%%' })).toThrow(BadContinuationToken)
  })
})
