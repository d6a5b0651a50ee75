import { defineAuth } from '@aws-amplify/backend'
import { postConfirmation } from '../functions/post-confirmation/resource'

/**
 * Email sign-in, with Amplify Gen 2's defaults for everything else. Members of `Admin` may see and
 * unpublish every shared list (`/admin`); everyone joins `Members` when they confirm their sign-up
 * (the postConfirmation trigger). Two-step sign-in is each user's choice, with an authenticator app
 * (TOTP, turned on at `/profile`): no text messages, which would need an SMS origination number.
 */
export const auth = defineAuth({
  loginWith: {
    email: true,
  },
  multifactor: { mode: 'OPTIONAL', totp: true },
  groups: ['Admin', 'Members'],
  triggers: { postConfirmation },
  access: allow => [allow.resource(postConfirmation).to(['addUserToGroup'])],
})
