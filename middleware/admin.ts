import { isAdmin } from '~~/utils/session'

// After `auth`: a signed-in user outside the Admin group gets a 403 page, not a redirect loop.
export default defineNuxtRouteMiddleware(() => {
  if (isAdmin(useAuth().user.value)) return
  // The server has rendered the 403 page the browser is hydrating: showing it again would report
  // an expected answer as "error caught during app initialization".
  if (import.meta.client && useNuxtApp().isHydrating && useError().value) return
  const forbidden = createError({ statusCode: 403, statusMessage: 'Forbidden', message: 'Only members of the Admin group may open this page.' })
  // On the server the error renders as the page. In the browser an aborted navigation would only
  // leave the user where they were, with no word why: show the same 403 page there.
  if (import.meta.client) return showError(forbidden)
  return abortNavigation(forbidden)
})
