/**
 * `npm run sandbox:export -- <folder>`: a snapshot (sandbox/core/snapshot.ts) of the offline
 * sandbox's state in `.amplify/sandbox`, while no sandbox runs on it. A running sandbox holds its
 * tables open: export from its console instead (Overview → Export a snapshot).
 */
import { join, relative, resolve } from 'node:path'
import { DynamoInUseError, startLocalDynamo } from '../appsync/dynamodb'
import { readJsonIfExists } from '../core/fs'
import { discardSnapshot, exportSnapshot, SnapshotError } from '../core/snapshot'

const USAGE = `Usage: npm run sandbox:export -- <folder>

Writes everything the stopped offline sandbox keeps (users, identities, files, every table's items;
not its admin credentials or secret values) to <folder>, a new one. Start a sandbox from it with
npm run sandbox -- --from <folder>. While the sandbox runs, use its console's Export instead.`

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    return 0
  }
  if (argv.length !== 1 || argv[0]!.startsWith('-')) {
    console.error(USAGE)
    return 1
  }
  const projectDir = resolve(process.cwd())
  const dataDir = join(projectDir, '.amplify', 'sandbox')
  const folder = resolve(argv[0]!)
  const ids = await readJsonIfExists<{ region?: string }>(join(dataDir, 'sandbox.json'))
  if (!ids?.region) {
    console.error('No offline sandbox state in .amplify/sandbox: start one first (npm run sandbox).')
    return 1
  }
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>
  try {
    dynamo = await startLocalDynamo(join(dataDir, 'data', 'dynamodb'), ids.region)
  }
  catch (error) {
    console.error(error instanceof DynamoInUseError
      ? 'The offline sandbox is running (it holds its tables open): export from its console (Overview → Export a snapshot), or stop it first.'
      : (error as Error).message)
    return 1
  }
  try {
    const { tables } = await exportSnapshot(dataDir, folder, dynamo.client)
    const items = Object.values(tables).reduce((sum, n) => sum + n, 0)
    const shown = relative(projectDir, folder) || '.'
    console.log(`Exported the offline sandbox (${items} items in ${Object.keys(tables).length} tables, users, identities and files) to ${shown}.`)
    console.log(`Start a sandbox from it with: npm run sandbox -- --from ${shown}`)
    return 0
  }
  catch (error) {
    if (!(error instanceof SnapshotError)) await discardSnapshot(folder).catch(() => {})
    console.error(error instanceof SnapshotError ? error.message : error)
    return 1
  }
  finally {
    await dynamo.close()
  }
}

process.exitCode = await main(process.argv.slice(2))
