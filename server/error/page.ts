import { joinURL, withQuery, withoutBase, type QueryValue } from 'ufo'

/**
 * An expected client error (4xx) asked for as a page gets the app's error page (`error.vue`), as
 * in production. In dev, Nuxt's own handler before 4.6 renders the same page and adds its error
 * overlay to it, a 403 or 404 included (https://github.com/nuxt/nuxt/issues/33573), so an answer the
 * visitor should get looks like a crash. This renders it the way that handler does, through Nuxt's
 * `/__nuxt_error` route, without the overlay; anything else goes on to Nuxt's handler. It runs
 * before that one in dev, on the Nuxt versions that need it (nuxt.config.ts).
 */
export default defineNitroErrorHandler(async (error, event) => {
  const statusCode = error.statusCode ?? 500
  const headers = getRequestHeaders(event)
  // `x-nuxt-error`: rendering the error page failed too; Nuxt's handler has a page for that.
  if (event.handled || statusCode >= 500 || !headers.accept?.includes('text/html') || headers['x-nuxt-error']) return

  const { baseURL } = useRuntimeConfig(event).app
  const { pathname, search } = getRequestURL(event)
  const details = { url: withoutBase(pathname, baseURL) + search, statusCode, statusMessage: error.statusMessage, message: error.message, data: error.data as QueryValue }
  const page = await useNitroApp().localFetch(withQuery(joinURL(baseURL, '/__nuxt_error'), details), {
    headers: { ...headers, 'x-nuxt-error': 'true' },
    redirect: 'manual',
  }).catch(() => null)
  if (!page || event.handled) return

  for (const [name, value] of page.headers) {
    // A session refreshed while rendering the page keeps its cookies.
    if (name === 'set-cookie') appendResponseHeader(event, name, value)
    else setResponseHeader(event, name, value)
  }
  setResponseStatus(event, page.status === 200 ? statusCode : page.status, error.statusMessage)
  return send(event, await page.text())
})
