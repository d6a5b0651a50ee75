import { a, defineData, type ClientSchema } from '@aws-amplify/backend'
import { TODO_MAX_LENGTH } from '../../shared/todo'

const schema = a.schema({
  Todo: a
    .model({
      // Enforced by the API itself, so a client that skips the app's own check is refused too.
      content: a.string().required().validate(v => v
        .minLength(1, 'A todo cannot be empty.')
        .maxLength(TODO_MAX_LENGTH, `A todo can be at most ${TODO_MAX_LENGTH} characters.`)),
      done: a.boolean(),
    })
    .authorization(allow => [allow.owner()]),
})

export type Schema = ClientSchema<typeof schema>

export const data = defineData({
  schema,
  authorizationModes: {
    defaultAuthorizationMode: 'userPool',
  },
})
