/**
 * Keeps the Gen 1 CLI core out of the process. The simulator's OpenSearch data loader `require()`s
 * `@aws-amplify/amplify-cli-core` (and with it the TypeScript compiler: about 1.5 s of a 2-core
 * start) only to build the error it throws when an OpenSearch call fails. The sandbox never runs
 * OpenSearch data sources (they get UNSUPPORTED_DATA_SOURCE), so an empty stand-in is registered in
 * the require cache before the simulator loads. Imported first by ./simulator.ts.
 */
import Module, { createRequire } from 'node:module'

const fromSimulator = createRequire(createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator'))
const path = fromSimulator.resolve('@aws-amplify/amplify-cli-core')
const require = createRequire(import.meta.url)

if (!require.cache[path]) {
  const standIn = new Module(path)
  standIn.filename = path
  standIn.loaded = true
  standIn.exports = new Proxy({}, {
    get(_target, name) {
      throw new Error(`The offline sandbox does not load @aws-amplify/amplify-cli-core (asked for ${String(name)})`)
    },
  })
  require.cache[path] = standIn
}
