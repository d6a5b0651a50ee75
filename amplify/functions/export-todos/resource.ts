import { defineFunction } from '@aws-amplify/backend'

/** `GET /export` of the todos REST API (amplify/backend.ts): the caller's todos as CSV or JSON. */
export const exportTodos = defineFunction({
  name: 'export-todos',
  timeoutSeconds: 10,
})
