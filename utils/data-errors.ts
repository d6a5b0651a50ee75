/** A data API result's value, or its errors thrown as one readable error. */
export function orThrow<T>(result: { data: T, errors?: ReadonlyArray<{ message: string }> }): T {
  if (result.errors?.length) throw new Error(result.errors.map(error => error.message).join('; '))
  return result.data
}

/**
 * How Amplify says "this browser has no usable session" (it ended in another tab, or expired):
 * auth error names, and the data client's `GraphQLAuthError` messages.
 */
const SESSION_ENDED = new Set(['UserUnAuthenticatedException', 'TokenRefreshException', 'No current user', 'No federated jwt', 'No auth token specified'])

/** What to tell the user about a failed data call. */
export function dataErrorMessage(cause: unknown): string {
  const { name, message } = (cause ?? {}) as { name?: string, message?: string }
  if (SESSION_ENDED.has(name ?? '') || SESSION_ENDED.has(message ?? '')) return 'your session has ended, sign in again'
  return cause instanceof Error ? cause.message : String(cause)
}
