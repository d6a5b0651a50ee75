/**
 * The one place that turns a request's cookies into an Amplify server context, for Nitro routes.
 * The Vue app reaches the same per-request object through `utils/request-amplify.ts`, where
 * `server/plugins/amplify.ts` registers `useRequestAmplify`: it never imports this file (that would
 * bundle a second copy, with its own verifier and caches). The workings live in `server/amplify/`.
 */
import type { AmplifyContext } from 'aws-amplify'
import type { CookieStorage } from 'aws-amplify/adapter-core'
import type { AuthUser } from 'aws-amplify/auth'
import type { H3Event } from 'h3'
import { createError, deleteCookie, getRequestProtocol, parseCookies, setCookie } from 'h3'
import outputs from '#amplify-outputs'
import type { SessionUser } from '~~/utils/session'
import { createRequestAmplify, createServerBackend, type RequestAmplify } from '../amplify/context'
import { createKnownUsers } from '../amplify/known-users'

export type { RequestAmplify }

const backend = createServerBackend(outputs)

/** The data client for server code: stateless, every call takes the request's context first. */
export const serverDataClient = backend.data

/** Who each Cookie header is, until its tokens expire (../amplify/known-users.ts). */
const knownUsers = createKnownUsers()

/** This request's Amplify, made on first use and kept on `event.context`. */
export function useRequestAmplify(event: H3Event): RequestAmplify {
  event.context.amplify ??= createRequestAmplify(backend, requestCookies(event), {
    secure: getRequestProtocol(event, { xForwardedProto: true }) === 'https',
  })
  return event.context.amplify
}

/**
 * Runs `operation` with this request's Amplify context. The context is made once per request from
 * its cookies, so several calls during one render share one session (and one token refresh), and
 * no two requests ever share one.
 */
export function runAmplifyApi<Result>(event: H3Event, operation: (context: AmplifyContext) => Result | Promise<Result>): Promise<Result> {
  return useRequestAmplify(event).run(operation)
}

/** Drops what the server keeps for this request's session (who it is, its credentials and signed URLs). */
export function forgetSession(event: H3Event): Promise<void> {
  const header = event.node.req.headers.cookie
  if (header !== undefined) knownUsers.forget(header)
  return useRequestAmplify(event).forgetSession()
}

/** The verified user of this request, or `null` when it carries no usable session. */
export function getSessionUser(event: H3Event): Promise<SessionUser | null> {
  return useRequestAmplify(event).sessionUser()
}

/**
 * `getCurrentUser` for this request; 401 without a valid session, 503 when the session could not be
 * refreshed because the user pool did not answer. Answered from the verified tokens as Amplify's
 * `getCurrentUser` answers (`cognito:username` and `sub` of the id token, and the sign-in details),
 * without the Amplify context that call needs: making one costs more than the rest of the request.
 */
export async function requireUser(event: H3Event): Promise<AuthUser> {
  const header = event.node.req.headers.cookie
  const known = header === undefined ? undefined : knownUsers.get(header)
  if (known) return known
  const amplify = useRequestAmplify(event)
  const tokens = await amplify.tokens()
  const { 'cognito:username': username, sub } = tokens?.idToken?.payload ?? {}
  if (typeof username === 'string' && typeof sub === 'string') {
    const user: AuthUser = tokens!.signInDetails ? { username, userId: sub, signInDetails: tokens!.signInDetails } : { username, userId: sub }
    // Only a session read as it came: one refreshed in this request is in new cookies, not `header`.
    if (header !== undefined && !event.node.res.hasHeader('set-cookie')) {
      knownUsers.set(header, user, Math.min(tokens!.accessToken.payload.exp!, tokens!.idToken!.payload.exp!) * 1000)
    }
    return user
  }
  if (amplify.refreshFailure !== undefined) {
    throw createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'Your session could not be refreshed right now. Try again shortly.' })
  }
  throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Sign in to continue.' })
}

/**
 * The request's cookies, parsed on first read (most requests never ask); writes (a token refresh)
 * go back to the browser as `Set-Cookie`.
 */
function requestCookies(event: H3Event): CookieStorage.Adapter {
  // h3's parse is a fresh object per call, this request's own: written in place, read with
  // `Object.hasOwn` (a cookie named `constructor` must not find the prototype's).
  let parsed: Record<string, string> | undefined
  const jar = () => (parsed ??= parseCookies(event))
  return {
    get: (name) => {
      const cookies = jar()
      return Object.hasOwn(cookies, name) ? { name, value: cookies[name]! } : undefined
    },
    getAll: () => Object.entries(jar()).map(([name, value]) => ({ name, value })),
    set(name, value, options) {
      jar()[name] = value
      setCookie(event, name, value, { ...options, httpOnly: false })
    },
    delete(name) {
      Reflect.deleteProperty(jar(), name)
      deleteCookie(event, name, { path: '/' })
    },
  }
}
