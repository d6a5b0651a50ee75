/**
 * `npm run sandbox:invoke -- <function> [event]`: runs one of the backend's functions now, in the
 * running offline sandbox, through its Lambda Invoke API with the AWS SDK's `LambdaClient` and the
 * sandbox's admin credentials (as `aws lambda invoke` would in the cloud). The event is JSON text,
 * `@file.json`, or `{}` when left out; the result (or the function's error) is printed as JSON.
 * For a scheduled function, this is "run it now".
 */
import { readFile } from 'node:fs/promises'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { adminConnection, CommandError, explainAdminError } from './admin-connection'

const USAGE = `Usage: npm run sandbox:invoke -- <function> [event]

  <function>   the name given in defineFunction({ name }) (or the function's full name or ARN)
  [event]      JSON, or @path/to/event.json; {} when left out

Runs the function now in the running offline sandbox (npm run sandbox) and prints its result.
With a cloud sandbox, use aws lambda invoke instead.`

async function eventText(argument: string | undefined): Promise<string> {
  if (argument === undefined) return '{}'
  const text = argument.startsWith('@') ? await readFile(argument.slice(1), 'utf8') : argument
  try {
    JSON.parse(text)
  }
  catch (error) {
    throw new CommandError(`The event is not JSON (${(error as Error).message}).`)
  }
  return text
}

async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const [name, event, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || rest.length) {
    console.error(USAGE)
    return name === '--help' || name === '-h' ? 0 : 1
  }
  try {
    const payload = await eventText(event)
    const { endpoint, region, credentials } = await adminConnection(process.cwd(), 'use aws lambda invoke against the cloud.')
    const client = new LambdaClient({ endpoint, region, credentials, maxAttempts: 1 })
    const answer = await client.send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(payload) }))
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : 'null'
    if (answer.FunctionError) {
      console.error(`${name} failed: ${text}`)
      return 1
    }
    console.log(text)
    return 0
  }
  catch (error) {
    console.error(explainAdminError(error))
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
