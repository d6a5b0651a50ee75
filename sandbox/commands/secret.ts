/**
 * `npm run sandbox:secret -- set <NAME>` (the value is read from the terminal without echo, or
 * from standard input), `remove <NAME>` and `list`: the offline values of the backend's
 * `secret('NAME')`s, kept in `.amplify/sandbox/secrets.json` (readable by you only). A running
 * sandbox sees a change at the next cold start of a function. Values are never printed.
 */
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { openSecrets, SecretNameError } from '../ssm/secrets'

const USAGE = `Usage: npm run sandbox:secret -- <command>

  set <NAME>       set the secret's offline value (typed without echo, or piped on standard input)
  remove <NAME>    forget it
  list             the names that are set (never the values)

Functions read secret('NAME') from these while the offline sandbox runs. With a cloud sandbox, use
npx ampx sandbox secret set <NAME> instead.`

/** The value, from a terminal without echo or from a pipe; one line, without its line break. */
async function readValue(name: string): Promise<string> {
  const { stdin, stderr } = process
  if (!stdin.isTTY) {
    let text = ''
    for await (const chunk of stdin) text += String(chunk)
    return text.replace(/\r?\n$/, '')
  }
  stderr.write(`Value of ${name} (not shown): `)
  const lines = createInterface({ input: stdin, terminal: true, output: undefined })
  stdin.setRawMode?.(true)
  // Echo nothing while the value is typed.
  const value = await new Promise<string>(done => lines.once('line', done))
  lines.close()
  stdin.setRawMode?.(false)
  stderr.write('\n')
  return value
}

async function main(argv: string[]): Promise<number> {
  const [command, name, ...rest] = argv
  const secrets = openSecrets(join(resolve(process.cwd()), '.amplify', 'sandbox'))
  if (command === 'list' && name === undefined) {
    const names = secrets.names()
    console.log(names.length ? names.join('\n') : 'No secrets set offline.')
    return 0
  }
  if ((command === 'set' || command === 'remove') && name && rest.length === 0) {
    if (command === 'remove') {
      console.log(await secrets.remove(name) ? `Removed ${name}.` : `${name} was not set.`)
      return 0
    }
    const value = await readValue(name)
    if (!value) {
      console.error(`No value given: ${name} is unchanged.`)
      return 1
    }
    await secrets.set(name, value)
    console.log(`Set ${name} (${value.length} characters). Functions that use it read it at their next cold start.`)
    return 0
  }
  console.error(USAGE)
  return command === '--help' || command === '-h' ? 0 : 1
}

main(process.argv.slice(2)).then(code => process.exit(code), (error: Error) => {
  console.error(error instanceof SecretNameError ? error.message : error)
  process.exit(1)
})
