import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { defineBackend } from '@aws-amplify/backend'
import { Stack } from 'aws-cdk-lib'
import { AuthorizationType, CognitoUserPoolsAuthorizer, Cors, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway'
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

// The identity pool hands a group's members that group's role instead of the authenticated role
// (`cognito:preferred_role`), in the cloud as offline. A group role would therefore take away what
// every signed-in user may do through the identity pool (their own files, the public picture,
// reading shared lists) unless it repeated all of it. Our groups need no AWS rights of their own:
// the data API checks them from the token's `cognito:groups`. So no group has a role, and a member
// keeps the authenticated role. A group that one day needs IAM rights (a storage rule for a group)
// must get a role that includes the authenticated role's policies too.
for (const group of Object.values(backend.auth.resources.groups)) group.cfnUserGroup.roleArn = undefined

// The files everyone may read (the home page's picture) ship with the backend. `prune: false`
// leaves the bucket's other `public/` files alone.
const PUBLIC_FILES = './amplify/storage/public'
const bucket = backend.storage.resources.bucket
new BucketDeployment(Stack.of(bucket), 'PublicFiles', {
  sources: [Source.asset(PUBLIC_FILES)],
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
    // Which files the deployment above ships, by bucket: the server knows they exist without asking
    // S3 on every render (server/amplify/url-cache.ts).
    deployedFiles: { todoFiles: filesUnder(PUBLIC_FILES).map(file => `public/${file}`) },
  },
})

/** Every file under `dir`, as a path relative to it with `/` between folders. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
}
