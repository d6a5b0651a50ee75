/**
 * How the Vue app reaches the current request's Amplify on the server without importing server
 * code. A Vue plugin that imported `server/utils` would get a copy of it of its own (the app and
 * Nitro are bundled apart), with a second verifier and second caches. Instead Nitro registers its
 * accessor here once, at start (server/plugins/amplify.ts), and the Vue plugins call it: a request
 * that renders no page (`/api/health`) pays nothing for Amplify, and one that does makes its
 * Amplify on first use, kept on `event.context.amplify`.
 *
 * The accessor lives on `globalThis` under a registered symbol: this module, too, is bundled twice,
 * and a module variable would be two variables.
 */
import type { H3Event } from 'h3'
import type { RequestAmplify } from '~~/server/utils/amplifyUtils'

type Accessor = (event: H3Event) => RequestAmplify

const ACCESSOR = Symbol.for('nuxt-amplify-gen2.requestAmplify')
const registry = globalThis as typeof globalThis & { [ACCESSOR]?: Accessor }

/** Nitro, at start: how a request's Amplify is made (once per request, from its own cookies). */
export function provideRequestAmplify(accessor: Accessor): void {
  registry[ACCESSOR] = accessor
}

/** This request's Amplify, for the Vue app's server plugins. */
export function requestAmplify(event: H3Event): RequestAmplify {
  const accessor = registry[ACCESSOR]
  if (!accessor) throw new Error('No Amplify on the server: server/plugins/amplify.ts registers it at start')
  return accessor(event)
}
