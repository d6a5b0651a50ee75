/** The longest todo the app accepts; the data model enforces the same limit (amplify/data/resource.ts). */
export const TODO_MAX_LENGTH = 500

/** The content to save, or the message that says why it cannot be saved. */
export function checkTodoContent(input: string): { content: string, error?: undefined } | { content?: undefined, error: string } {
  const content = input.trim()
  if (!content) return { error: 'Write something first: a todo cannot be empty.' }
  if (content.length > TODO_MAX_LENGTH) return { error: `Keep it under ${TODO_MAX_LENGTH} characters: this one has ${content.length}.` }
  return { content }
}
