import type { APIGatewayProxyHandler, APIGatewayProxyResult } from 'aws-lambda'
import { EXPORT_FORMATS, isExportFormat } from '../../../shared/todos-api'
import { toCsv } from '../shared/csv'
import { ownTodos } from '../shared/own-todos'
import { env } from '$amplify/env/export-todos'

const answer = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  // The browser calls from the app's origin; the API's CORS preflight allows it, these allow the
  // answer and let the page read the file name.
  headers: { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-disposition', 'content-type': 'application/json', ...headers },
  body,
})

/**
 * The caller's todos for download. API Gateway's user pool authorizer has verified the id token
 * and passes its claims; this trusts nothing else from the request.
 */
export const handler: APIGatewayProxyHandler = async (event) => {
  const claims = (event.requestContext.authorizer?.claims ?? {}) as Record<string, string | undefined>
  if (!claims.sub) return answer(401, JSON.stringify({ message: 'Unauthorized' }))
  const format = event.queryStringParameters?.format ?? 'json'
  if (!isExportFormat(format)) {
    return answer(400, JSON.stringify({ message: `format must be ${EXPORT_FORMATS.join(' or ')}, not "${format.slice(0, 20)}"` }))
  }
  const todos = await ownTodos(env, { sub: claims.sub, username: claims['cognito:username'] ?? claims.sub })
  const day = new Date().toISOString().slice(0, 10)
  const disposition = { 'content-disposition': `attachment; filename="todos-${day}.${format}"` }
  return format === 'csv'
    ? answer(200, toCsv(['content', 'done', 'createdAt'], todos), { 'content-type': 'text/csv; charset=utf-8', ...disposition })
    : answer(200, JSON.stringify({ exportedAt: new Date().toISOString(), todos }), disposition)
}
