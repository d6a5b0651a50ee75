/**
 * `GET /api/todos`: the signed-in user's todos as JSON, read through the data API with the
 * request's own session (the API's owner rule decides what is theirs). 401 without a session.
 */
export default defineEventHandler(async (event) => {
  await requireUser(event)
  const { data, errors } = await runAmplifyApi(event, context => serverDataClient.models.Todo.list(context, { selectionSet: ['id', 'content', 'done', 'createdAt'] }))
  if (errors?.length) throw createError({ statusCode: 502, statusMessage: 'The data API refused the list', message: errors.map(error => error.message).join('; ') })
  return data
})
