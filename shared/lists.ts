/** Rules for shared lists, checked by the app and again by the data model (amplify/data/resource.ts). */
export const LIST_TITLE_MAX_LENGTH = 100
/** The most editors one list may have. */
const LIST_MAX_EDITORS = 20

/** The title to save, or the message that says why it cannot be saved. */
export function checkListTitle(input: string): { title: string, error?: undefined } | { title?: undefined, error: string } {
  const title = input.trim()
  if (!title) return { error: 'Give the list a title.' }
  if (title.length > LIST_TITLE_MAX_LENGTH) return { error: `Keep the title under ${LIST_TITLE_MAX_LENGTH} characters: this one has ${title.length}.` }
  return { title }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * An editor's address as the list stores it, or why it cannot be added. Lower case: the data API
 * compares it with the `email` claim of the editor's token exactly, and addresses are typed in any case.
 */
export function checkEditorEmail(input: string, editors: readonly string[], ownerEmail: string | null): { email: string, error?: undefined } | { email?: undefined, error: string } {
  const email = input.trim().toLowerCase()
  if (!EMAIL.test(email) || email.length > 254) return { error: 'That is not an email address.' }
  if (ownerEmail && email === ownerEmail.toLowerCase()) return { error: 'You own this list already.' }
  if (editors.includes(email)) return { error: `${email} can edit this list already.` }
  if (editors.length >= LIST_MAX_EDITORS) return { error: `A list can have at most ${LIST_MAX_EDITORS} editors.` }
  return { email }
}
