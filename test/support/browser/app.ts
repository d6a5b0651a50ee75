/**
 * A bare page that uses the offline sandbox the way a web app does: the real aws-amplify client,
 * configured from the sandbox's amplify_outputs.json, in a real browser. Tests drive it through
 * `window.sandboxApp`.
 */
import { Amplify } from 'aws-amplify'
import { confirmSignUp, getCurrentUser, signIn, signUp } from 'aws-amplify/auth'
import { generateClient } from 'aws-amplify/data'
import { Hub } from 'aws-amplify/utils'
import type { Schema } from '../../../amplify/data/resource'
import { amplifyConfigFromOutputs } from '../../../utils/amplify-config'

const outputs = await (await fetch('/amplify_outputs.json')).json()
Amplify.configure(amplifyConfigFromOutputs(outputs))
const client = generateClient<Schema>()
const received: string[] = []

/** Subscribes to new todos; resolves once AppSync acknowledged the subscription over wss://. */
function watchTodos(): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = Hub.listen('api', ({ payload }) => {
      if (payload.event === 'Subscription ack') {
        stop()
        resolve()
      }
    })
    client.models.Todo.onCreate().subscribe({
      next: todo => received.push(todo.content),
      error: (error: unknown) => {
        stop()
        reject(new Error(JSON.stringify(error)))
      },
    })
  })
}

const app = {
  signUp: (email: string, password: string) => signUp({ username: email, password, options: { userAttributes: { email } } }),
  confirmSignUp: (email: string, code: string) => confirmSignUp({ username: email, confirmationCode: code }),
  signIn: (email: string, password: string) => signIn({ username: email, password }),
  currentUserId: async () => (await getCurrentUser()).userId,
  create: async (content: string) => {
    const { data, errors } = await client.models.Todo.create({ content })
    if (errors) throw new Error(JSON.stringify(errors))
    return data?.content
  },
  list: async () => (await client.models.Todo.list()).data.map(t => t.content),
  watchTodos,
  received: () => [...received],
}

declare global {
  interface Window {
    sandboxApp: typeof app
  }
}
window.sandboxApp = app
