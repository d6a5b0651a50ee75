/**
 * `npm run sandbox:group -- add|remove <email> <group>` and `list <email>`: puts a user of the
 * running offline sandbox in a group of the definition, or takes them out. It talks to the sandbox
 * as any AWS client would (what a script or a function does in the cloud): the Cognito SDK, signed
 * with the sandbox's admin credentials, against the endpoint in `amplify_outputs.json`. It imports
 * nothing of the sandbox.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import {
  AdminAddUserToGroupCommand, AdminListGroupsForUserCommand, AdminRemoveUserFromGroupCommand, CognitoIdentityProviderClient,
  ListGroupsCommand, ListUsersCommand, type GroupType,
} from '@aws-sdk/client-cognito-identity-provider'
import { fromIni } from '@aws-sdk/credential-provider-ini'

const USAGE = `Usage: npm run sandbox:group -- <command>

  add <email> <group>      put the user in the group
  remove <email> <group>   take the user out of the group
  list <email>             the user's groups

Groups come from defineAuth({ groups }) in amplify/auth/resource.ts. The user's next token refresh
(or sign-in) carries the change in cognito:groups. Needs the offline sandbox running (npm run sandbox).`

/** Where the sandbox keeps its admin credentials (never in amplify_outputs.json, which browsers get). */
const CREDENTIALS_FILE = join('.amplify', 'sandbox', 'admin-credentials')
const PROFILE = 'amplify-sandbox'

/** A failure the user can act on: printed as one line, without a stack. */
class GroupCommandError extends Error {
  override name = 'GroupCommandError'
}

interface Outputs {
  auth?: { user_pool_id?: string, aws_region?: string }
  custom?: { offlineSandbox?: { userPoolEndpoint?: string } }
}

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
  const outputsPath = resolve(projectDir, process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json')
  const shown = relative(projectDir, outputsPath) || outputsPath
  if (!existsSync(outputsPath)) throw new GroupCommandError(`No ${shown}: start the offline sandbox first (npm run sandbox).`)
  let outputs: Outputs
  try {
    outputs = JSON.parse(await readFile(outputsPath, 'utf8')) as Outputs
  }
  catch (error) {
    throw new GroupCommandError(`${shown} is not valid JSON (${(error as Error).message}).`)
  }
  const endpoint = outputs.custom?.offlineSandbox?.userPoolEndpoint
  const userPoolId = outputs.auth?.user_pool_id
  if (!endpoint || !userPoolId) {
    throw new GroupCommandError(`${shown} is a cloud backend's, not the offline sandbox's: for a cloud pool use the AWS console or \`aws cognito-idp admin-add-user-to-group\`.`)
  }
  const credentials = join(projectDir, CREDENTIALS_FILE)
  if (!existsSync(credentials)) throw new GroupCommandError(`No admin credentials at ${CREDENTIALS_FILE}: start the offline sandbox in this project (npm run sandbox).`)
  const client = new CognitoIdentityProviderClient({
    endpoint,
    region: outputs.auth?.aws_region ?? 'us-east-1',
    // The same file as config too, so a profile of that name in ~/.aws/config cannot mix in.
    credentials: fromIni({ filepath: credentials, configFilepath: credentials, profile: PROFILE }),
    maxAttempts: 1,
  })
  return { client, userPoolId }
}

async function findUsername(client: CognitoIdentityProviderClient, userPoolId: string, email: string): Promise<string> {
  const { Users = [] } = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = "${email.replace(/["\\]/g, '\\$&')}"`, Limit: 2 }))
  const [user] = Users
  if (!user?.Username) throw new GroupCommandError(`No user with the e-mail ${email} in the offline sandbox (sign up first).`)
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
    throw new GroupCommandError(defined.length
      ? `No group "${command.group}": the backend defines ${names(defined)} (amplify/auth/resource.ts).`
      : `No group "${command.group}": the backend defines no groups (add them with defineAuth({ groups }) in amplify/auth/resource.ts).`)
  }
  return command.action === 'add'
    ? `Added ${command.email} to ${command.group}. Their next token refresh (or sign-in) carries it in cognito:groups.`
    : `Removed ${command.email} from ${command.group}. Their next token refresh (or sign-in) no longer carries it.`
}

/** One line for what went wrong; the stack only for what looks like a bug. */
function explain(error: unknown): string {
  if (error instanceof GroupCommandError) return error.message
  const { name, message, code, cause } = error as Error & { code?: string, cause?: { code?: string } }
  if (code === 'ECONNREFUSED' || cause?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return 'The offline sandbox is not running (its user pool endpoint refused the connection): start it with npm run sandbox.'
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'AccessDeniedException', 'ExpiredTokenException'].includes(name)) {
    return `The sandbox refused the admin credentials in ${CREDENTIALS_FILE} (${name}: ${message}): restart the sandbox to write them again.`
  }
  if (name === 'ResourceNotFoundException') return `${message} Is amplify_outputs.json from the sandbox that is running?`
  return error instanceof Error && /Exception$/.test(name) ? `${name}: ${message}` : String((error as Error).stack ?? error)
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
