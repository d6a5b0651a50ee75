/**
 * Which resource and method a REST request reaches, as API Gateway picks them: literal parts before
 * `{param}`s before a greedy `{proxy+}`, `ANY` for methods a resource lacks, nothing at all (403
 * Missing Authentication Token) otherwise; and the ARN IAM policies are checked against.
 */
import { describe, expect, it } from 'vitest'
import { executeApiArn, matchRoute, methodFor, pathSegments } from '../../../sandbox/rest/routing'
import type { ApiResource, MethodSettings } from '../../../sandbox/rest/settings'

const method = (httpMethod: string): MethodSettings => ({ httpMethod, authorization: { type: 'NONE' }, apiKeyRequired: false, integration: { type: 'UNSUPPORTED' } })

/** A tree from `{ part: subtree }`; `$` lists a resource's methods. */
function tree(spec: Record<string, unknown>, path = ''): ApiResource[] {
  return Object.entries(spec).filter(([part]) => part !== '$').map(([part, children]) => {
    const childPath = `${path}/${part}`
    const sub = (children ?? {}) as Record<string, unknown>
    return { id: childPath, pathPart: part, path: childPath, children: tree(sub, childPath), methods: new Map(((sub.$ ?? []) as string[]).map(m => [m, method(m)])) }
  })
}
const root: ApiResource = {
  id: 'root',
  pathPart: '',
  path: '/',
  methods: new Map([['GET', method('GET')]]),
  children: tree({
    'items': { '$': ['GET', 'POST'], '{proxy+}': { $: ['ANY'] }, 'special': { $: ['GET'] }, '{itemId}': { $: ['PUT'], tags: { $: ['GET'] } } },
    'books': { '{bookId}': { $: ['GET'], reviews: { $: ['GET'] } }, 'new': { other: { $: ['GET'] } } },
    '{proxy+}': { $: ['OPTIONS'] },
  }),
}
const route = (path: string) => {
  const found = matchRoute(root, pathSegments(path)!)
  return found && { resource: found.resource.path, pathParameters: found.pathParameters }
}

describe('pathSegments', () => {
  it('decodes each segment on its own and drops empty ones (a trailing slash, //)', () => {
    expect(pathSegments('/items/a%20b/c%2Fd/')).toEqual(['items', 'a b', 'c/d'])
    expect(pathSegments('//items')).toEqual(['items'])
    expect(pathSegments('')).toEqual([])
  })

  it('refuses a path that does not decode', () => {
    expect(pathSegments('/items/%E0%A4%A')).toBeUndefined()
  })
})

describe('matchRoute', () => {
  it('reaches the root and literal resources', () => {
    expect(route('/')).toEqual({ resource: '/', pathParameters: {} })
    expect(route('/items')).toEqual({ resource: '/items', pathParameters: {} })
  })

  it('prefers a literal part to a {param}, and a {param} to a {proxy+}', () => {
    expect(route('/items/special')).toEqual({ resource: '/items/special', pathParameters: {} })
    expect(route('/items/42')).toEqual({ resource: '/items/{itemId}', pathParameters: { itemId: '42' } })
    expect(route('/items/42/tags')).toEqual({ resource: '/items/{itemId}/tags', pathParameters: { itemId: '42' } })
  })

  it('gives {proxy+} the rest of the path, decoded, when nothing more specific matches', () => {
    expect(route('/items/42/other/x%20y')).toEqual({ resource: '/items/{proxy+}', pathParameters: { proxy: '42/other/x y' } })
    expect(route('/anything/at/all')).toEqual({ resource: '/{proxy+}', pathParameters: { proxy: 'anything/at/all' } })
  })

  it('tries the next candidate when a deeper part fails', () => {
    // books/new has no `reviews` child: {bookId} does.
    expect(route('/books/new/reviews')).toEqual({ resource: '/books/{bookId}/reviews', pathParameters: { bookId: 'new' } })
  })

  it('matches a resource without methods (the method check refuses it) and nothing past the tree without a proxy', () => {
    expect(route('/books')).toEqual({ resource: '/books', pathParameters: {} })
    expect(route('/books/1/reviews/2')?.resource).toBe('/{proxy+}')
    const noProxy: ApiResource = { ...root, children: root.children.filter(child => child.pathPart !== '{proxy+}') }
    expect(matchRoute(noProxy, ['books', '1', 'reviews', '2'])).toBeUndefined()
    expect(matchRoute(noProxy, ['nothing'])).toBeUndefined()
  })
})

describe('methodFor', () => {
  it('takes the request\'s method, else ANY, else none', () => {
    const items = matchRoute(root, ['items'])!.resource
    expect(methodFor(items, 'post')?.httpMethod).toBe('POST')
    expect(methodFor(items, 'PATCH')).toBeUndefined()
    const proxy = matchRoute(root, ['items', 'a', 'b'])!.resource
    expect(methodFor(proxy, 'PATCH')?.httpMethod).toBe('ANY')
    expect(methodFor(matchRoute(root, ['books'])!.resource, 'GET')).toBeUndefined()
  })
})

describe('executeApiArn', () => {
  it('names the stage, method and path as requested, which policies written with arnForExecuteApi match', () => {
    const where = { region: 'us-east-1', accountId: '000000000000', apiId: 'abc123defg', stage: 'dev' }
    expect(executeApiArn(where, 'get', ['items', 'a b'])).toBe('arn:aws:execute-api:us-east-1:000000000000:abc123defg/dev/GET/items/a b')
    expect(executeApiArn(where, 'GET', [])).toBe('arn:aws:execute-api:us-east-1:000000000000:abc123defg/dev/GET/')
  })
})
