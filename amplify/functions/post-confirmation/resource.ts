import { defineFunction } from '@aws-amplify/backend'

/** Every user who confirms their sign-up joins `Members` (the docs' "add user to group" trigger). */
export const postConfirmation = defineFunction({
  name: 'post-confirmation',
  environment: { GROUP_NAME: 'Members' },
  // Cognito waits 5 s for a trigger; one call to the user pool takes far less.
  timeoutSeconds: 5,
})
