import { defineBackend } from '@aws-amplify/backend'
import { Stack } from 'aws-cdk-lib'
import { AuthorizationType, CognitoUserPoolsAuthorizer, Cors, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway'
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam'
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment'
import { auth } from './auth/resource'
import { data } from './data/resource'
import { todosReader } from './functions/todos-reader/resource'
import { storage } from './storage/resource'

const backend = defineBackend({
  auth,
  data,
  storage,
  todosReader,
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

// `Members` is everyone, so it grants nothing through the identity pool: without a role of its own
// its members keep the authenticated role (a group role would replace it, as Admin's does).
const members = backend.auth.resources.groups.Members
if (members) members.cfnUserGroup.roleArn = undefined

// The files everyone may read (the home page's picture) ship with the backend. `prune: false`
// leaves the bucket's other `public/` files alone.
const bucket = backend.storage.resources.bucket
new BucketDeployment(Stack.of(bucket), 'PublicFiles', {
  sources: [Source.asset('./amplify/storage/public')],
  destinationBucket: bucket,
  destinationKeyPrefix: 'public/',
  prune: false,
})

// A REST API (the Gen 2 docs' "Set up Amplify REST API"): `GET /export` downloads the caller's
// todos, for signed-in users only (the user pool authorizer checks the id token they send).
const apiStack = backend.createStack('todos-api')
const todosApi = new RestApi(apiStack, 'TodosApi', {
  restApiName: 'todosApi',
  deploy: true,
  // No account-wide CloudWatch role for API Gateway: this API logs nothing it would need it for.
  cloudWatchRole: false,
  deployOptions: { stageName: 'v1' },
  defaultCorsPreflightOptions: { allowOrigins: Cors.ALL_ORIGINS, allowMethods: Cors.ALL_METHODS, allowHeaders: Cors.DEFAULT_HEADERS },
})
const signedIn = new CognitoUserPoolsAuthorizer(apiStack, 'TodosApiAuthorizer', { cognitoUserPools: [backend.auth.resources.userPool] })
todosApi.root.addResource('export').addMethod('GET', new LambdaIntegration(backend.todosReader.resources.lambda), {
  authorizationType: AuthorizationType.COGNITO,
  authorizer: signedIn,
})
backend.addOutput({
  custom: {
    API: { [todosApi.restApiName]: { endpoint: todosApi.url, region: Stack.of(todosApi).region, apiName: todosApi.restApiName } },
  },
})
