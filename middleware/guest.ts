import { safeRedirect } from '~~/utils/session'

export default defineNuxtRouteMiddleware((to) => {
  if (useAuth().signedIn.value) return navigateTo(safeRedirect(to.query.redirect))
})
