import { defineBackend } from '@aws-amplify/backend'
import { Stack } from 'aws-cdk-lib'
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam'
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment'
import { auth } from './auth/resource'
import { data } from './data/resource'
import { storage } from './storage/resource'

const backend = defineBackend({
  auth,
  data,
  storage,
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

// The files everyone may read (the home page's picture) ship with the backend. `prune: false`
// leaves the bucket's other `public/` files alone.
const bucket = backend.storage.resources.bucket
new BucketDeployment(Stack.of(bucket), 'PublicFiles', {
  sources: [Source.asset('./amplify/storage/public')],
  destinationBucket: bucket,
  destinationKeyPrefix: 'public/',
  prune: false,
})
