import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CloudAssembly } from '../../../sandbox/assembly'
import { synthesize, SynthError } from '../../../sandbox/assembly/synth'
import { userPoolSettings } from '../../../sandbox/cognito/settings'
import { generateOutputs } from '../../../sandbox/core/outputs'
import { amplifyConfigFromOutputs } from '../../../utils/amplify-config'
import { projectRoot, scratchProject } from '../../support/project'

const ids = { region: 'us-east-1', userPoolId: 'us-east-1_Test12345', clientId: 'abcdefghijklmnopqrstuvwxyz' }
const sandboxIds = { ...ids, accountId: '000000000000', apiId: 'localapi', identityPoolId: 'us-east-1:0c9f0b4e-3f4b-4b8e-9d1e-000000000001', bucketSuffix: 'synthtest001' }
const sandboxOutputs = { userPoolEndpoint: 'http://127.0.0.1:2', identityPoolEndpoint: 'http://127.0.0.1:2', messagesUrl: 'http://127.0.0.1:2/__sandbox/messages', certificatePath: '/tmp/cert.pem', storageEndpoint: '127.0.0.1:3' }
const endpoints = { graphqlUrl: 'http://127.0.0.1:1/graphql', ...sandboxOutputs }

describe('synth of amplify/', () => {
  let out: string
  let assembly: CloudAssembly

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'synth-'))
    await synthesize(projectRoot, out)
    assembly = await CloudAssembly.load(out, sandboxIds)
  })
  afterAll(() => rm(out, { recursive: true, force: true }))

  it('reads the user pool settings Gen 2 synthesizes for email sign-in', () => {
    const settings = userPoolSettings(assembly)
    expect(settings).toMatchObject({
      ...ids,
      passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
      usernameAttributes: ['email'],
      caseSensitive: false,
      requiredAttributes: ['email'],
      preventUserExistenceErrors: true,
      tokenValidity: { accessSeconds: 3600, idSeconds: 3600, refreshSeconds: 30 * 86_400 },
    })
    expect(settings?.explicitAuthFlows.sort()).toEqual(['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'])
    expect(settings?.verificationEmail.message).toContain('{####}')
  })

  it('generates amplify_outputs.json that configures the real client for the local endpoints', async () => {
    const outputs = await generateOutputs(assembly, endpoints)
    expect(outputs).toMatchObject({
      auth: {
        user_pool_id: ids.userPoolId,
        user_pool_client_id: ids.clientId,
        aws_region: 'us-east-1',
        username_attributes: ['email'],
        identity_pool_id: sandboxIds.identityPoolId,
        unauthenticated_identities_enabled: true,
      },
      // The guest and identity-pool rules make IAM an authorization mode of the API.
      data: { url: endpoints.graphqlUrl, default_authorization_type: 'AMAZON_COGNITO_USER_POOLS', authorization_types: ['AWS_IAM'] },
      custom: { offlineSandbox: sandboxOutputs },
    })
    // The app's defineStorage, under the sandbox's name for its bucket (a dot: aws-amplify then addresses it by path).
    const storage = outputs.storage as { bucket_name: string, aws_region: string, buckets: Array<{ name: string, bucket_name: string, paths: Record<string, unknown> }> }
    expect(storage.bucket_name).toMatch(/^[a-z0-9-]+\.synthtest001$/)
    expect(storage.aws_region).toBe('us-east-1')
    expect(storage.buckets.find(bucket => bucket.bucket_name === storage.bucket_name)?.paths).toBeDefined()
    const models = (outputs.data as { model_introspection: { models: Record<string, { fields: Record<string, unknown> }> } }).model_introspection.models
    expect(Object.keys(models.Todo?.fields ?? {})).toEqual(expect.arrayContaining(['id', 'content', 'done', 'createdAt', 'updatedAt']))

    const config = amplifyConfigFromOutputs(outputs as Parameters<typeof amplifyConfigFromOutputs>[0])
    expect(config.Auth?.Cognito).toMatchObject({
      userPoolId: ids.userPoolId,
      userPoolClientId: ids.clientId,
      userPoolEndpoint: sandboxOutputs.userPoolEndpoint,
      identityPoolId: sandboxIds.identityPoolId,
      identityPoolEndpoint: sandboxOutputs.identityPoolEndpoint,
      allowGuestAccess: true,
    })
    expect(config.API?.GraphQL).toMatchObject({ endpoint: endpoints.graphqlUrl, defaultAuthMode: 'userPool' })
  })

  it('leaves a cloud amplify_outputs.json unchanged in the configure helper', async () => {
    const { custom: _local, ...cloud } = await generateOutputs(assembly, endpoints)
    const config = amplifyConfigFromOutputs(cloud as Parameters<typeof amplifyConfigFromOutputs>[0])
    expect(config.Auth?.Cognito).not.toHaveProperty('userPoolEndpoint')
    expect(config.Auth?.Cognito).not.toHaveProperty('identityPoolEndpoint')
  })
})

describe('a broken backend definition', () => {
  it('fails synth with the schema error, although it type-checks', async () => {
    const project = await scratchProject()
    try {
      // A relation to a model that does not exist: tsc accepts it, the transformer does not.
      await project.edit('amplify/data/resource.ts', text =>
        text.replace('done: a.boolean(),', 'done: a.boolean(),\n      list: a.belongsTo(\'TodoList\', \'listId\'),'),
      )
      const out = await mkdtemp(join(tmpdir(), 'synth-broken-'))
      const failure = synthesize(project.dir, out)
      await expect(failure).rejects.toBeInstanceOf(SynthError)
      await expect(failure).rejects.toThrow(/TodoList/)
      await rm(out, { recursive: true, force: true })
    }
    finally {
      await project.remove()
    }
  })
})
