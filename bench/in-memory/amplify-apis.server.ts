/**
 * The bench's stand-in for `plugins/01.amplify-apis.server.ts`: the same `$Amplify` shape, but
 * `Todo.list` answers from a list in memory (and `Storage.list` with no files). Built into a
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
      // No attachments in memory: the page lists none.
      Storage: { list: async () => ({ items: [] }), getUrl: notHere, getProperties: notHere, remove: notHere, copy: notHere, uploadData: undefined, downloadData: undefined },
    } as unknown as AmplifyApis
    return { provide: { Amplify: Amplify$ } }
  },
})
