/** The bench's stand-in for `plugins/02.session.server.ts`: a fixed user, no cookies read. */
export default defineNuxtPlugin({
  name: 'session',
  dependsOn: ['amplify-apis'],
  setup() {
    useAuth().user.value = { userId: 'in-memory-user', username: 'in-memory-user', email: 'bench@example.com', groups: [] }
  },
})
