import { defineBackend } from '@aws-amplify/backend'
import { Stack } from 'aws-cdk-lib'
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam'
import { auth } from './auth/resource'
import { data } from './data/resource'

const backend = defineBackend({
  auth,
  data,
})

// The identity pool hands members of a group that group's role instead of the authenticated role,
// so Admin would lose what every signed-in user may do through the identity pool: read a shared
// list by its URL. Grant the Admin role that one query too. The policy lives in the data stack,
// which already depends on the auth stack; one in the auth stack would make the two circular.
const api = backend.data.resources.graphqlApi
new Policy(Stack.of(api), 'AdminGroupReadsSharedLists', {
  roles: [backend.auth.resources.groups.Admin!.role],
  statements: [new PolicyStatement({ actions: ['appsync:GraphQL'], resources: [`${api.arn}/types/Query/fields/getSharedList`] })],
})
