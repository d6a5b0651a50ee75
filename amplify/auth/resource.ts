import { defineAuth } from '@aws-amplify/backend'

/** Email sign-in, with Amplify Gen 2's defaults for everything else. */
export const auth = defineAuth({
  loginWith: {
    email: true,
  },
})
