import type { Client } from 'aws-amplify/data'
import type { SignInInput, SignInOutput, SignOutInput, fetchAuthSession, fetchUserAttributes, getCurrentUser } from 'aws-amplify/auth'
import type { Schema } from '~~/amplify/data/resource'

type BrowserClient = Client<Schema>
type Models = BrowserClient['models']

/** The model operations that run during server rendering and in the browser alike. */
export type UniversalModels = { [Model in keyof Models]: Pick<Models[Model], Extract<keyof Models[Model], 'list' | 'get' | 'create' | 'update' | 'delete'>> }

/** Subscriptions: they need a live WebSocket, so they exist only in the browser. */
export type RealtimeModels = { [Model in keyof Models]: Pick<Models[Model], Extract<keyof Models[Model], 'onCreate' | 'onUpdate' | 'onDelete' | 'observeQuery'>> }

/**
 * A browser-only API: `undefined` while rendering on the server, so TypeScript makes the caller
 * check (`if ($Amplify.Auth.signOut)`) or use it only where code runs in the browser.
 */
export type ClientOnly<T> = T | undefined

/**
 * `useNuxtApp().$Amplify`: the same shape on the server and in the browser, so one page's data
 * code runs in both. On the server every call runs in the current request's own session.
 */
export interface AmplifyApis {
  Auth: {
    fetchAuthSession: () => ReturnType<typeof fetchAuthSession>
    fetchUserAttributes: () => ReturnType<typeof fetchUserAttributes>
    getCurrentUser: () => ReturnType<typeof getCurrentUser>
    signIn: ClientOnly<(input: SignInInput) => Promise<SignInOutput>>
    signOut: ClientOnly<(input?: SignOutInput) => Promise<void>>
  }
  GraphQL: {
    client: {
      models: UniversalModels
      graphql: BrowserClient['graphql']
    }
    realtime: ClientOnly<RealtimeModels>
  }
}
