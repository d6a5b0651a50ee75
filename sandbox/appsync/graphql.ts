/**
 * The `graphql` the simulator uses. The simulator `require()`s graphql's CommonJS build; under a
 * bundler-style resolver (vitest, Nuxt) a plain `import 'graphql'` can load its ESM build instead,
 * and two copies reject each other's schemas ("Cannot use GraphQLSchema from another module").
 * Everything here that touches the simulator's schema goes through this module.
 */
import { createRequire } from 'node:module'

const requireFromSimulator = createRequire(createRequire(import.meta.url).resolve('@aws-amplify/amplify-appsync-simulator'))

export const graphql = requireFromSimulator('graphql') as typeof import('graphql')
export const { getArgumentValues } = requireFromSimulator('graphql/execution/values') as typeof import('graphql/execution/values')
