/**
 * The one place that turns a request's cookies into an Amplify server context, for Nitro routes.
 * The Vue app reaches the same per-request object through `event.context.amplify`, which
 * `server/plugins/amplify.ts` puts there: it never imports this file (that would bundle a second
 * copy, with its own verifier and caches). The workings live in `server/amplify/`.
 */
import type { AmplifyContext } from 'aws-amplify'
import type { CookieStorage } from 'aws-amplify/adapter-core'
import { getCurrentUser } from 'aws-amplify/auth/server'
import type { H3Event } from 'h3'
import { createError, deleteCookie, getRequestProtocol, parseCookies, setCookie } from 'h3'
import outputs from '#amplify-outputs'
import type { SessionUser } from '~~/utils/session'
import { createRequestAmplify, createServerBackend, isSignedOutError, type RequestAmplify } from '../amplify/context'

const backend = createServerBackend(outputs)

/** The data client for server code: stateless, every call takes the request's context first. */
export const serverDataClient = backend.data

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

/** The verified user of this request, or `null` when it carries no usable session. */
export function getSessionUser(event: H3Event): Promise<SessionUser | null> {
  return useRequestAmplify(event).sessionUser()
}

/**
 * `getCurrentUser` for this request; 401 without a valid session, 503 when the session could not be
 * refreshed because the user pool did not answer.
 */
export async function requireUser(event: H3Event) {
  const amplify = useRequestAmplify(event)
  try {
    return await amplify.run(context => getCurrentUser(context))
  }
  catch (error) {
    if (!isSignedOutError(error)) throw error
    if (amplify.refreshFailure !== undefined) {
      throw createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'Your session could not be refreshed right now. Try again shortly.' })
    }
    throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'Sign in to continue.' })
  }
}

/**
 * The request's cookies, parsed on first read (most requests never ask); writes (a token refresh)
 * go back to the browser as `Set-Cookie`.
 */
function requestCookies(event: H3Event): CookieStorage.Adapter {
  let parsed: Map<string, string> | undefined
  const jar = () => (parsed ??= new Map(Object.entries(parseCookies(event))))
  return {
    get: (name) => {
      const value = jar().get(name)
      return value === undefined ? undefined : { name, value }
    },
    getAll: () => [...jar()].map(([name, value]) => ({ name, value })),
    set(name, value, options) {
      jar().set(name, value)
      setCookie(event, name, value, { ...options, httpOnly: false })
    },
    delete(name) {
      jar().delete(name)
      deleteCookie(event, name, { path: '/' })
    },
  }
}
