/** The list the in-memory bench app renders, as many todos as the bench gives the real one. */
export const IN_MEMORY_TODOS = 50

const start = Date.UTC(2026, 0, 1)

export const inMemoryTodos = Array.from({ length: IN_MEMORY_TODOS }, (_, i) => {
  const at = new Date(start + i * 60_000).toISOString()
  return { id: `todo-${i}`, content: `In-memory todo number ${i}`, done: i % 3 === 0, createdAt: at, updatedAt: at }
})
