import { a, defineData, type ClientSchema } from '@aws-amplify/backend'
import { LIST_TITLE_MAX_LENGTH } from '../../shared/lists'
import { TODO_MAX_LENGTH } from '../../shared/todo'
import { todosReader } from '../functions/todos-reader/resource'

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

  /** One item of a shared list: a copy of a todo at the time the list was published. */
  SharedItem: a.customType({
    id: a.id().required(),
    content: a.string().required(),
    done: a.boolean().required(),
  }),

  /**
   * Todos published under a shareable URL (`/lists/<id>`). Anyone with the URL reads it: guests and
   * signed-in users through the identity pool, by id only (no one can list them but Admin). Its
   * owner and the editors the owner adds by email change it; Admin may unpublish any list.
   */
  SharedList: a
    .model({
      title: a.string().required().validate(v => v
        .minLength(1, 'A list needs a title.')
        .maxLength(LIST_TITLE_MAX_LENGTH, `A list title can be at most ${LIST_TITLE_MAX_LENGTH} characters.`)),
      items: a.ref('SharedItem').required().array().required(),
      // Editors' email addresses, matched against the `email` claim of their id token. Only the
      // owner may change who edits; the public never sees who does. (Admin needs `delete` here
      // too: a rule may delete an item only if it may delete every field with rules of its own.)
      // Who published it, for the admin area and the editors: written by the app from the owner's id
      // token at publishing (the API takes it as given; `owner` is what rules trust) and never changed.
      ownerEmail: a.email()
        .authorization(allow => [
          allow.owner().to(['create', 'read', 'delete']),
          allow.ownersDefinedIn('editors').identityClaim('email').to(['read']),
          allow.groups(['Admin']).to(['read', 'delete']),
        ]),
      editors: a.string().required().array()
        .authorization(allow => [
          allow.owner(),
          allow.ownersDefinedIn('editors').identityClaim('email').to(['read']),
          allow.groups(['Admin']).to(['read', 'delete']),
        ]),
    })
    .authorization(allow => [
      allow.owner(),
      allow.ownersDefinedIn('editors').identityClaim('email').to(['read', 'update']),
      allow.guest().to(['get']),
      allow.authenticated('identityPool').to(['get']),
      allow.groups(['Admin']).to(['read', 'delete']),
    ]),

  TodoSummary: a.customType({
    total: a.integer().required(),
    done: a.integer().required(),
    open: a.integer().required(),
    /** When the oldest todo still open was added (ISO time); null when none is open. */
    oldestOpen: a.datetime(),
  }),

  /** The caller's todos counted, by a function (amplify/functions/todos-reader). */
  todoSummary: a
    .query()
    .returns(a.ref('TodoSummary').required())
    .handler(a.handler.function(todosReader))
    .authorization(allow => [allow.authenticated()]),
})
  // The function behind the summary and the REST export reads todos through the data API with its own role.
  .authorization(allow => [allow.resource(todosReader).to(['query'])])

export type Schema = ClientSchema<typeof schema>

export const data = defineData({
  schema,
  authorizationModes: {
    defaultAuthorizationMode: 'userPool',
  },
})
