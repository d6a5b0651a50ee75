import { defineAuth } from '@aws-amplify/backend'
import { postConfirmation } from '../functions/post-confirmation/resource'

/**
 * Email sign-in, with Amplify Gen 2's defaults for everything else. Members of `Admin` may see and
 * unpublish every shared list (`/admin`); everyone joins `Members` when they confirm their sign-up
 * (the postConfirmation trigger).
 */
export const auth = defineAuth({
  loginWith: {
    email: true,
  },
  groups: ['Admin', 'Members'],
  triggers: { postConfirmation },
  access: allow => [allow.resource(postConfirmation).to(['addUserToGroup'])],
})
