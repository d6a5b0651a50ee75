import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import type { PostConfirmationTriggerHandler } from 'aws-lambda'
import { env } from '$amplify/env/post-confirmation'

const client = new CognitoIdentityProviderClient()

/**
 * Puts the newly confirmed user in the default group. A failure fails the confirmation (Cognito
 * answers UserLambdaValidationException), so nobody ends up confirmed outside the group.
 */
export const handler: PostConfirmationTriggerHandler = async (event) => {
  await client.send(new AdminAddUserToGroupCommand({
    GroupName: env.GROUP_NAME,
    Username: event.userName,
    UserPoolId: event.userPoolId,
  }))
  return event
}
