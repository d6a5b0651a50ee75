/**
 * The sandbox's user pool as an administrator reaches it: the real AWS SDK, signing with the
 * sandbox's admin credentials (`<dataDir>/admin-credentials`, profile `amplify-sandbox`), as a
 * developer's script or a function would.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AdminAddUserToGroupCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import { fromIni } from '@aws-sdk/credential-provider-ini'

export async function addUserToGroup(options: { dataDir: string, outputsPath: string, username: string, group: string }): Promise<void> {
  const outputs = JSON.parse(await readFile(options.outputsPath, 'utf8')) as { auth: { aws_region: string, user_pool_id: string }, custom: { offlineSandbox: { userPoolEndpoint: string } } }
  const client = new CognitoIdentityProviderClient({
    region: outputs.auth.aws_region,
    endpoint: outputs.custom.offlineSandbox.userPoolEndpoint,
    credentials: fromIni({ filepath: join(options.dataDir, 'admin-credentials'), profile: 'amplify-sandbox' }),
  })
  try {
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: outputs.auth.user_pool_id, Username: options.username, GroupName: options.group }))
  }
  finally {
    client.destroy()
  }
}
