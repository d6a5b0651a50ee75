/**
 * How API Gateway picks the resource and method a REST request goes to, as pure functions: the
 * path after the stage is matched against the resource tree, a literal part before a `{param}`
 * and a `{param}` before a greedy `{proxy+}` (which takes one or more segments), trying the next
 * candidate when a deeper part fails. The method is the request's own, else `ANY`. Nothing
 * matching is API Gateway's 403 Missing Authentication Token, for a method missing on a resource too.
 */
import type { ApiResource, MethodSettings } from './settings'

export interface Route {
  resource: ApiResource
  /** Decoded values of the `{param}`s and `{proxy+}` on the way (`proxy` holds the rest of the path, `/`-joined). */
  pathParameters: Record<string, string>
}

/**
 * The segments of a request path (after the stage), percent-decoded one by one. Empty segments
 * (a trailing slash, `//`) are dropped, as API Gateway ignores them. Undefined for a path that
 * does not decode.
 */
export function pathSegments(rawPath: string): string[] | undefined {
  const segments: string[] = []
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue
    try {
      segments.push(decodeURIComponent(raw))
    }
    catch {
      return undefined
    }
  }
  return segments
}

/** The resource `segments` reach, with its path parameters; undefined when none does. */
export function matchRoute(root: ApiResource, segments: readonly string[]): Route | undefined {
  return match(root, segments, 0, {})
}

function match(node: ApiResource, segments: readonly string[], index: number, parameters: Record<string, string>): Route | undefined {
  if (index === segments.length) return { resource: node, pathParameters: parameters }
  const segment = segments[index]!
  for (const child of ordered(node.children)) {
    const greedy = /^\{(.+)\+\}$/.exec(child.pathPart)?.[1]
    if (greedy) return { resource: child, pathParameters: { ...parameters, [greedy]: segments.slice(index).join('/') } }
    const name = /^\{(.+)\}$/.exec(child.pathPart)?.[1]
    if (name === undefined && child.pathPart !== segment) continue
    const found = match(child, segments, index + 1, name === undefined ? parameters : { ...parameters, [name]: segment })
    if (found) return found
  }
  return undefined
}

/** Literal parts first, then `{param}`s, then `{proxy+}`: the order API Gateway prefers them in. */
function ordered(children: readonly ApiResource[]): ApiResource[] {
  const rank = (child: ApiResource) => (/^\{.+\+\}$/.test(child.pathPart) ? 2 : /^\{.+\}$/.test(child.pathPart) ? 1 : 0)
  return [...children].sort((a, b) => rank(a) - rank(b))
}

/** The method a request's HTTP method runs on `resource`: its own, else `ANY`. */
export function methodFor(resource: ApiResource, httpMethod: string): MethodSettings | undefined {
  return resource.methods.get(httpMethod.toUpperCase()) ?? resource.methods.get('ANY')
}

/**
 * The resource of `execute-api:Invoke` for a request: `arn:aws:execute-api:<region>:<account>:<api
 * id>/<stage>/<METHOD>/<path>`, the path as requested (decoded, no leading slash), which is what
 * IAM policies name (`arnForExecuteApi('*', '/items/*', 'dev')`).
 */
export function executeApiArn(where: { region: string, accountId: string, apiId: string, stage: string }, httpMethod: string, segments: readonly string[]): string {
  return `arn:aws:execute-api:${where.region}:${where.accountId}:${where.apiId}/${where.stage}/${httpMethod.toUpperCase()}/${segments.join('/')}`
}
