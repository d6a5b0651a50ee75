import { defineAuth } from '@aws-amplify/backend'

/**
 * Email sign-in, with Amplify Gen 2's defaults for everything else. Members of `Admin` may see and
 * unpublish every shared list (`/admin`).
 */
export const auth = defineAuth({
  loginWith: {
    email: true,
  },
  groups: ['Admin'],
})
