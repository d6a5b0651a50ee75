/**
 * The bench's stand-in for `plugins/01.amplify-apis.server.ts`: the same `$Amplify` shape, but
 * `Todo.list` answers from a list in memory (`Storage.list` with no files, `Storage.getUrl` with a
 * fixed URL). Built into a
 * second copy of the app (bench/run.ts), it renders the very same /todos page with no Amplify work
 * at all, which is the baseline that shows what Amplify costs a server render.
 */
import { inMemoryTodos } from './todos'
import type { AmplifyApis } from '~~/utils/amplify-apis'

const notHere = async () => {
  throw new Error('Not part of the in-memory bench app')
}

export default defineNuxtPlugin({
  name: 'amplify-apis',
  setup() {
    const Todo = { list: async () => ({ data: inMemoryTodos, nextToken: null }), get: notHere, create: notHere, update: notHere, delete: notHere }
    const Amplify$ = {
      Auth: { fetchAuthSession: notHere, fetchUserAttributes: notHere, getCurrentUser: notHere, signIn: undefined, signOut: undefined },
      GraphQL: { client: { models: { Todo }, queries: {}, mutations: {}, graphql: notHere }, realtime: undefined },
      API: {},
      // No attachments in memory: the page lists none. The home page's picture gets a fixed URL.
      Storage: { list: async () => ({ items: [] }), getUrl: async () => ({ url: new URL('https://bench.example/public/splash.png?X-Amz-Signature=0'), expiresAt: new Date(Date.now() + 3_600_000) }), getProperties: notHere, remove: notHere, copy: notHere, uploadData: undefined, downloadData: undefined },
    } as unknown as AmplifyApis
    return { provide: { Amplify: Amplify$ } }
  },
})
