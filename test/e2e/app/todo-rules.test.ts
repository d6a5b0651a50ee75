/**
 * The data API itself enforces the todo rule (`amplify/data/resource.ts`), so a client that skips
 * the app's own check is refused too, with the model's message, and nothing is stored.
 */
import { generateClient } from 'aws-amplify/data/server'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import type { Schema } from '../../../amplify/data/resource'
import { TODO_MAX_LENGTH } from '../../../shared/todo'
import { amplifyContext, newSignedInUser, type SignedInUser } from '../../support/signed-in-user'

const { messagesUrl, outputsPath } = inject('e2e')

let user: SignedInUser
let data: ReturnType<typeof generateClient<Schema>>

beforeAll(async () => {
  user = await newSignedInUser(outputsPath, messagesUrl, 'rules')
  data = generateClient<Schema>({ config: (await amplifyContext(outputsPath)).config })
})

describe('the Todo model, called directly', () => {
  it.each([
    ['empty content', '', 'A todo cannot be empty.'],
    ['content one character too long', 'x'.repeat(TODO_MAX_LENGTH + 1), `A todo can be at most ${TODO_MAX_LENGTH} characters.`],
  ])('refuses %s and stores nothing', async (_, content, message) => {
    const { data: todo, errors } = await data.models.Todo.create(user.context, { content })
    expect(todo).toBeNull()
    expect(errors?.map(error => error.message)).toEqual([message])
    const { data: stored } = await data.models.Todo.list(user.context)
    expect(stored.map(item => item.content)).not.toContain(content)
  })

  it('accepts the longest allowed todo, and refuses an update past the limit without changing it', async () => {
    const longest = 'y'.repeat(TODO_MAX_LENGTH)
    const { data: todo, errors } = await data.models.Todo.create(user.context, { content: longest })
    expect(errors).toBeUndefined()
    expect(todo?.content).toBe(longest)

    const update = await data.models.Todo.update(user.context, { id: todo!.id, content: `${longest}!` })
    expect(update.errors?.map(error => error.message)).toEqual([`A todo can be at most ${TODO_MAX_LENGTH} characters.`])
    const { data: stored } = await data.models.Todo.get(user.context, { id: todo!.id })
    expect(stored?.content).toBe(longest)
  })
})
