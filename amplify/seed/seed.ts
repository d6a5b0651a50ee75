/**
 * A small populated app: two users, Ann (an Admin) and Bob, with todos, a picture attached to one of
 * Ann's, and a list Ann published with Bob as its editor. `npm run sandbox:seed` runs it against the
 * offline sandbox; `npx ampx sandbox seed` runs it against a cloud sandbox. Run again, it adds
 * nothing: users that exist are signed in, and a user who has todos gets no more.
 */
import { readFile } from 'node:fs/promises'
import { addToUserGroup, createAndSignUpUser, signInUser } from '@aws-amplify/seed'
import { Amplify } from 'aws-amplify'
import { fetchAuthSession, signOut } from 'aws-amplify/auth'
import { generateClient } from 'aws-amplify/data'
import { uploadData } from 'aws-amplify/storage'
import { attachmentPath } from '../../shared/attachments'
import type { Schema } from '../data/resource'
import { SEED_PASSWORD, SEED_USERS } from './people'

// The sandbox writes amplify_outputs.json at the project's root; AMPLIFY_OUTPUTS names another.
const outputs = JSON.parse(await readFile(process.env.AMPLIFY_OUTPUTS ?? new URL('../../amplify_outputs.json', import.meta.url), 'utf8'))
Amplify.configure(outputs)
const data = generateClient<Schema>()

/** Signed in as `username`: made first if they do not exist yet. */
async function signInAs(username: string): Promise<void> {
  try {
    await createAndSignUpUser({ username, password: SEED_PASSWORD, signInAfterCreation: true, signInFlow: 'Password', userAttributes: { email: username } })
    console.log(`Created ${username} (password ${SEED_PASSWORD}).`)
  }
  catch (error) {
    if ((error as Error).name !== 'UsernameExistsError') throw error
    await signInUser({ username, password: SEED_PASSWORD, signInFlow: 'Password' })
  }
}

/** The user's todos, made unless they have some already; the first one's id. */
async function todosFor(contents: Array<[string, boolean]>): Promise<string | undefined> {
  const { data: existing, errors } = await data.models.Todo.list()
  if (errors?.length) throw new Error(`Listing todos failed: ${errors[0]!.message}`)
  if (existing.length > 0) return undefined
  const ids: string[] = []
  for (const [content, done] of contents) {
    const { data: todo, errors } = await data.models.Todo.create({ content, done })
    if (!todo) throw new Error(`Creating a todo failed: ${errors?.[0]?.message}`)
    ids.push(todo.id)
  }
  return ids[0]
}

await signInAs(SEED_USERS.bob)
await todosFor([['Water the plants', false], ['Call the bank', true]])

await signInAs(SEED_USERS.ann)
await addToUserGroup({ username: SEED_USERS.ann }, 'Admin')
const first = await todosFor([['Plan the team offsite', false], ['Book the venue', false], ['Send the invitations', true]])
if (first) {
  // The home page's picture, attached to Ann's first todo under her own identity (the storage rules' path).
  const { identityId } = await fetchAuthSession()
  const picture = await readFile(new URL('../storage/public/splash.png', import.meta.url))
  await uploadData({ path: attachmentPath(identityId!, first, 'venue.png'), data: picture, options: { contentType: 'image/png' } }).result
  const { data: list, errors } = await data.models.SharedList.create({
    title: 'Offsite checklist',
    items: [{ id: 'venue', content: 'Book the venue', done: false }, { id: 'invites', content: 'Send the invitations', done: true }],
    editors: [SEED_USERS.bob],
    ownerEmail: SEED_USERS.ann,
  })
  if (!list) throw new Error(`Publishing a list failed: ${errors?.[0]?.message}`)
  console.log(`Ann published "${list.title}": /lists/${list.id}`)
}
await signOut()
