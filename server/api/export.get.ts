import { get } from 'aws-amplify/api/server'
import { fetchAuthSession } from 'aws-amplify/auth/server'
import { TODOS_API, isExportFormat } from '~~/shared/todos-api'

/**
 * `GET /api/export?format=csv|json`: the signed-in user's todos as a download, fetched from the
 * todos REST API on the server with the request's own session (its id token for the API's user
 * pool authorizer). 401 without a session; the API's own refusals are passed on.
 */
export default defineEventHandler(async (event) => {
  await requireUser(event)
  const format = getQuery(event).format ?? 'csv'
  if (!isExportFormat(format)) throw createError({ statusCode: 400, statusMessage: 'format must be csv or json' })
  const answer = await runAmplifyApi(event, async (context) => {
    const idToken = (await fetchAuthSession(context)).tokens?.idToken?.toString()
    if (!idToken) throw createError({ statusCode: 401, statusMessage: 'Sign in first' })
    try {
      return await get(context, { apiName: TODOS_API, path: 'export', options: { queryParams: { format }, headers: { Authorization: idToken } } }).response
    }
    catch (cause) {
      const response = (cause as { response?: { statusCode?: number } }).response
      throw createError({ statusCode: response?.statusCode && response.statusCode < 500 ? response.statusCode : 502, statusMessage: 'The todos API refused the export' })
    }
  })
  for (const name of ['content-type', 'content-disposition']) {
    if (answer.headers[name]) setResponseHeader(event, name, answer.headers[name])
  }
  return await answer.body.text()
})
