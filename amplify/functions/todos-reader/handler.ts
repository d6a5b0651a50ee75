import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'
import type { Schema } from '../../data/resource'
import { EXPORT_FORMATS, isExportFormat } from '../../../shared/todos-api'
import { toCsv } from '../shared/csv'
import { ownTodos, type OwnTodo } from '../shared/own-todos'
import { env } from '$amplify/env/todos-reader'

type SummaryEvent = Parameters<Schema['todoSummary']['functionHandler']>[0]

/** The caller's todos counted: the `todoSummary` query. */
async function summary(event: SummaryEvent) {
  const identity = event.identity as { sub?: string, username?: string } | null
  if (!identity?.sub) throw new Error('Sign in to see your summary')
  const todos = await ownTodos(env, { sub: identity.sub, username: identity.username ?? identity.sub })
  const done = todos.filter(todo => todo.done).length
  const oldestOpen = todos.find(todo => !todo.done)?.createdAt ?? null
  return { total: todos.length, done, open: todos.length - done, oldestOpen }
}

const answer = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  // The browser calls from the app's origin; the API's CORS preflight allows it, these allow the
  // answer and let the page read the file name.
  headers: { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-disposition', 'content-type': 'application/json', ...headers },
  body,
})

/**
 * `GET /export?format=csv|json`: the caller's todos for download. API Gateway's user pool
 * authorizer has verified the id token and passes its claims; nothing else of the request is trusted.
 */
async function exportTodos(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const claims = (event.requestContext.authorizer?.claims ?? {}) as Record<string, string | undefined>
  if (!claims.sub) return answer(401, JSON.stringify({ message: 'Unauthorized' }))
  const format = event.queryStringParameters?.format ?? 'json'
  if (!isExportFormat(format)) {
    return answer(400, JSON.stringify({ message: `format must be ${EXPORT_FORMATS.join(' or ')}, not "${format.slice(0, 20)}"` }))
  }
  const todos: OwnTodo[] = await ownTodos(env, { sub: claims.sub, username: claims['cognito:username'] ?? claims.sub })
  const day = new Date().toISOString().slice(0, 10)
  const disposition = { 'content-disposition': `attachment; filename="todos-${day}.${format}"` }
  return format === 'csv'
    ? answer(200, toCsv(['content', 'done', 'createdAt'], todos), { 'content-type': 'text/csv; charset=utf-8', ...disposition })
    : answer(200, JSON.stringify({ exportedAt: new Date().toISOString(), todos }), disposition)
}

/** API Gateway's proxy events carry `httpMethod`; AppSync's carry the field being resolved. */
export const handler = async (event: SummaryEvent | APIGatewayProxyEvent) =>
  'httpMethod' in event ? exportTodos(event) : summary(event)
