import { defineFunction } from '@aws-amplify/backend'

/** Computes the `todoSummary` query: the caller's todos counted (amplify/data/resource.ts). */
export const todoSummary = defineFunction({
  name: 'todo-summary',
  timeoutSeconds: 10,
})
