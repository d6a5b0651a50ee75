export default defineNuxtRouteMiddleware((to) => {
  if (!useAuth().signedIn.value) return navigateTo({ path: '/sign-in', query: { redirect: to.fullPath } })
})
