import { defineStorage } from '@aws-amplify/backend'

/**
 * Files next to the data: `public/` for everyone to read (the home page's picture, deployed from
 * amplify/storage/public/ by backend.ts), and each user's todo attachments under their own identity.
 */
export const storage = defineStorage({
  name: 'todoFiles',
  access: allow => ({
    'public/*': [
      allow.guest.to(['read']),
      allow.authenticated.to(['read']),
    ],
    'attachments/{entity_id}/*': [
      allow.entity('identity').to(['read', 'write', 'delete']),
    ],
  }),
})
