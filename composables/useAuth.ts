import type { SessionUser } from '~~/utils/session'

/**
 * The signed-in user, loaded on the server from the request's verified cookies
 * (`plugins/02.session.server.ts`) and kept current in the browser from Amplify's auth events
 * (`plugins/02.session.client.ts`).
 */
export function useAuth() {
  const user = useState<SessionUser | null>('auth:user', () => null)
  return { user, signedIn: computed(() => user.value !== null) }
}
