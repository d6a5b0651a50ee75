import type { AuthTokens } from 'aws-amplify/auth'

/** The signed-in user as pages show them, taken from tokens that were already verified. */
export interface SessionUser {
  userId: string
  username: string
  email: string | null
  /** The user pool groups the token names (`cognito:groups`): what the pages show or hide. The data API decides again. */
  groups: string[]
}

export function sessionUserFrom(tokens: AuthTokens | undefined | null): SessionUser | null {
  const access = tokens?.accessToken?.payload
  if (!access?.sub) return null
  const email = tokens?.idToken?.payload.email
  const groups = access['cognito:groups']
  return {
    userId: access.sub,
    username: String(access.username ?? access.sub),
    email: typeof email === 'string' ? email : null,
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [],
  }
}

/** Whether the user may use the admin area (the `Admin` user pool group of amplify/auth/resource.ts). */
export const isAdmin = (user: SessionUser | null): boolean => user?.groups.includes('Admin') ?? false

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
