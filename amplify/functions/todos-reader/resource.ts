import { defineFunction } from '@aws-amplify/backend'

/**
 * Reads the caller's todos for two callers: the `todoSummary` query (amplify/data/resource.ts) and
 * `GET /export` of the todos REST API (amplify/backend.ts). One function for both keeps one bundle
 * and one role with data access, and the offline sandbox's cold start short.
 */
export const todosReader = defineFunction({
  name: 'todos-reader',
  timeoutSeconds: 10,
})
