import type { AuthTokens } from 'aws-amplify/auth'

/** The signed-in user as pages show them, taken from tokens that were already verified. */
export interface SessionUser {
  userId: string
  username: string
  email: string | null
}

export function sessionUserFrom(tokens: AuthTokens | undefined | null): SessionUser | null {
  const access = tokens?.accessToken?.payload
  if (!access?.sub) return null
  const email = tokens?.idToken?.payload.email
  return { userId: access.sub, username: String(access.username ?? access.sub), email: typeof email === 'string' ? email : null }
}

/**
 * Where to go after signing in: a path on this site, or `/todos`. Anything that could leave the
 * site (`//evil.example`, `/\evil.example`, `https://…`) or is not a string falls back.
 */
export function safeRedirect(target: unknown, fallback = '/todos'): string {
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return fallback
  // Browsers drop tabs and newlines inside URLs, so `/\t/evil.example` would become `//evil.example`.
  if (/[\t\n\r]/.test(target)) return fallback
  return target
}
