/**
 * A client error (4xx) answered as JSON carries no stack: a missing session or a bad request is an
 * answer, not a crash, and its stack only shows the server's files. Runs after Nuxt's handler,
 * which leaves JSON requests alone, in dev only (nuxt.config.ts): production answers never carry
 * one. Server errors (5xx) keep Nitro's own dev answer, stack included.
 */
export default defineNitroErrorHandler(async (error, event, { defaultHandler }) => {
  if (event.handled || (error.statusCode ?? 500) >= 500) return
  const { status, statusText, headers, body } = await defaultHandler(error, event, { json: true })
  if (typeof body === 'object') delete body.stack
  setResponseHeaders(event, headers)
  setResponseStatus(event, status, statusText)
  return send(event, typeof body === 'string' ? body : JSON.stringify(body, null, 2))
})
