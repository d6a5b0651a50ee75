/**
 * `npm run sandbox:group -- add|remove <email> <group>` and `list <email>`: puts a user of the
 * running offline sandbox in a group of the definition, or takes them out. It talks to the sandbox
 * as any AWS client would (what a script or a function does in the cloud): the Cognito SDK, signed
 * with the sandbox's admin credentials, against the endpoint in `amplify_outputs.json`. It imports
 * nothing of the sandbox.
 */
import {
  AdminAddUserToGroupCommand, AdminListGroupsForUserCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient,
  ListGroupsCommand, ListUsersCommand, type GroupType,
} from '@aws-sdk/client-cognito-identity-provider'
import { adminConnection, CommandError, explainAdminError } from './admin-connection'

const USAGE = `Usage: npm run sandbox:group -- <command>

  add <email> <group>      put the user in the group
  remove <email> <group>   take the user out of the group
  list <email>             the user's groups

Groups come from defineAuth({ groups }) in amplify/auth/resource.ts. The user's next token refresh
(or sign-in) carries the change in cognito:groups. Needs the offline sandbox running (npm run sandbox).`

type Command = { action: 'add' | 'remove', email: string, group: string } | { action: 'list', email: string }

function parse(argv: string[]): Command | undefined {
  const [action, email, group, ...rest] = argv
  if (rest.length > 0 || !email) return undefined
  if ((action === 'add' || action === 'remove') && group) return { action, email, group }
  if (action === 'list' && group === undefined) return { action, email }
  return undefined
}

/** The sandbox's pool, from the outputs the running sandbox wrote, and a client signed as its admin. */
async function connect(projectDir: string): Promise<{ client: CognitoIdentityProviderClient, userPoolId: string }> {
  const { outputs, endpoint, region, credentials } = await adminConnection(projectDir, 'for a cloud pool use the AWS console or `aws cognito-idp admin-add-user-to-group`.')
  const userPoolId = outputs.auth?.user_pool_id
  if (!userPoolId) throw new CommandError('The offline sandbox\'s amplify_outputs.json names no user pool.')
  return { client: new CognitoIdentityProviderClient({ endpoint, region, credentials, maxAttempts: 1 }), userPoolId }
}

async function findUsername(client: CognitoIdentityProviderClient, userPoolId: string, email: string): Promise<string> {
  const { Users = [] } = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email.replace(/["\\]/g, '\\$&')}"`, Limit: 2 }))
  const [user] = Users
  if (!user?.Username) throw new CommandError(`No user with the e-mail ${email} in the offline sandbox (sign up first).`)
  return user.Username
}

async function definedGroups(client: CognitoIdentityProviderClient, userPoolId: string): Promise<GroupType[]> {
  const groups: GroupType[] = []
  let NextToken: string | undefined
  do {
    const page = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, NextToken }))
    groups.push(...(page.Groups ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return groups
}

const names = (groups: GroupType[]) => groups.map(group => group.GroupName).join(', ')

async function run(command: Command, projectDir: string): Promise<string> {
  const { client, userPoolId } = await connect(projectDir)
  const username = await findUsername(client, userPoolId, command.email)
  if (command.action === 'list') {
    const { Groups = [] } = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username }))
    if (Groups.length > 0) return `${command.email} is in ${names(Groups)}.`
    const defined = await definedGroups(client, userPoolId)
    return `${command.email} is in no group${defined.length ? ` (the backend defines ${names(defined)})` : ''}.`
  }
  const input = { UserPoolId: userPoolId, Username: username, GroupName: command.group }
  try {
    await client.send(command.action === 'add' ? new AdminAddUserToGroupCommand(input) : new AdminRemoveUserFromGroupCommand(input))
  }
  catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException' || !/group/i.test((error as Error).message)) throw error
    const defined = await definedGroups(client, userPoolId)
    throw new CommandError(defined.length
      ? `No group "${command.group}": the backend defines ${names(defined)} (amplify/auth/resource.ts).`
      : `No group "${command.group}": the backend defines no groups (add them with defineAuth({ groups }) in amplify/auth/resource.ts).`)
  }
  return command.action === 'add'
    ? `Added ${command.email} to ${command.group}. Their next token refresh (or sign-in) carries it in cognito:groups.`
    : `Removed ${command.email} from ${command.group}. Their next token refresh (or sign-in) no longer carries it.`
}

/** One line for what went wrong. */
function explain(error: unknown): string {
  if ((error as Error).name === 'AccessDeniedException') return `The sandbox refused the admin credentials (${(error as Error).message}): restart the sandbox to write them again.`
  return explainAdminError(error)
}

async function main(): Promise<void> {
  // Node-version notices from the SDK are noise in a one-line answer.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    return
  }
  const command = parse(argv)
  if (!command) {
    console.error(`${USAGE}\n`)
    process.exitCode = 1
    return
  }
  try {
    console.log(await run(command, process.cwd()))
  }
  catch (error) {
    console.error(explain(error))
    process.exitCode = 1
  }
}

await main()
