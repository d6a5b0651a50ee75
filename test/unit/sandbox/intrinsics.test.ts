import { describe, expect, it } from 'vitest'
import { TemplateEvaluator, type CfnTemplate, type Stack } from '../../../sandbox/assembly/intrinsics'

const ids = { region: 'eu-west-1', accountId: '123456789012', userPoolId: 'eu-west-1_Pool12345', clientId: 'client0000000000000000000', apiId: 'api00000000000000000000000', identityPoolId: 'eu-west-1:0c9f0b4e-3f4b-4b8e-9d1e-000000000001', bucketSuffix: 'intrinsics01' }

/** One stack holding `template`, and a function that evaluates any value in it. */
function single(template: CfnTemplate) {
  const evaluator = new TemplateEvaluator(ids)
  const stack = evaluator.addStack('root', 'root.template.json', template)
  return { evaluator, stack, ev: (node: unknown) => evaluator.evaluate(stack, node) }
}

describe('CloudFormation intrinsics, offline', () => {
  it('answers pseudo parameters with the sandbox ids', () => {
    const { ev } = single({})
    expect(ev({ Ref: 'AWS::Region' })).toBe('eu-west-1')
    expect(ev({ Ref: 'AWS::AccountId' })).toBe('123456789012')
    expect(ev({ Ref: 'AWS::Partition' })).toBe('aws')
    expect(ev({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com')
    expect(ev({ Ref: 'AWS::StackName' })).toBe('root')
    expect(ev({ Ref: 'AWS::StackId' })).toBe('arn:aws:cloudformation:eu-west-1:123456789012:stack/root/local')
    expect(ev({ Ref: 'AWS::NotificationARNs' })).toEqual([])
  })

  it('gives the sandbox ids to the API, the user pool and its client, by Ref and Fn::GetAtt', () => {
    const { ev } = single({
      Resources: {
        Api: { Type: 'AWS::AppSync::GraphQLApi' },
        Pool: { Type: 'AWS::Cognito::UserPool' },
        Client: { Type: 'AWS::Cognito::UserPoolClient' },
      },
    })
    expect(ev({ 'Fn::GetAtt': ['Api', 'ApiId'] })).toBe(ids.apiId)
    expect(ev({ Ref: 'Api' })).toBe(`arn:aws:appsync:eu-west-1:123456789012:apis/${ids.apiId}`)
    expect(ev({ 'Fn::GetAtt': 'Api.GraphQLUrl' })).toBe(`https://${ids.apiId}.appsync-api.eu-west-1.amazonaws.com/graphql`)
    expect(ev({ Ref: 'Pool' })).toBe(ids.userPoolId)
    expect(ev({ 'Fn::GetAtt': ['Pool', 'ProviderURL'] })).toBe(`https://cognito-idp.eu-west-1.amazonaws.com/${ids.userPoolId}`)
    expect(ev({ Ref: 'Client' })).toBe(ids.clientId)
  })

  it('gives the identity pool its id, and IAM roles and policies the names and ARNs a deploy would', () => {
    const { ev } = single({
      Resources: {
        IdentityPool: { Type: 'AWS::Cognito::IdentityPool' },
        Role: { Type: 'AWS::IAM::Role' },
        Named: { Type: 'AWS::IAM::Role', Properties: { RoleName: { 'Fn::Join': ['-', ['TodoRole', { 'Fn::GetAtt': ['Api', 'ApiId'] }]] }, Path: '/app/' } },
        Managed: { Type: 'AWS::IAM::ManagedPolicy' },
        Bucket: { Type: 'AWS::S3::Bucket' },
        Api: { Type: 'AWS::AppSync::GraphQLApi' },
      },
    })
    expect(ev({ Ref: 'IdentityPool' })).toBe(ids.identityPoolId)
    // The data API's resolvers build `assumed-role/<Ref>/…` from the name: Ref and Arn must agree.
    expect(ev({ Ref: 'Role' })).toBe('root-Role')
    expect(ev({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe('arn:aws:iam::123456789012:role/root-Role')
    expect(ev({ Ref: 'Named' })).toBe(`TodoRole-${ids.apiId}`)
    expect(ev({ 'Fn::GetAtt': ['Named', 'Arn'] })).toBe(`arn:aws:iam::123456789012:role/app/TodoRole-${ids.apiId}`)
    expect(ev({ Ref: 'Managed' })).toBe('arn:aws:iam::123456789012:policy/root-Managed')
    // Storage policies name objects under the bucket's ARN, with the sandbox's name for it.
    expect(ev({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/public/*']] })).toBe(`arn:aws:s3:::bucket.${ids.bucketSuffix}/public/*`)
  })

  it('names tables after their evaluated properties, and other resources recognisably', () => {
    const { evaluator, stack, ev } = single({
      Resources: {
        Table: { Type: 'Custom::AmplifyDynamoDBTable', Properties: { tableName: { 'Fn::Join': ['-', ['Todo', { 'Fn::GetAtt': ['Api', 'ApiId'] }, 'NONE']] } } },
        Api: { Type: 'AWS::AppSync::GraphQLApi' },
        Bucket: { Type: 'AWS::S3::Bucket' },
        filesBucket23E7585D: { Type: 'AWS::S3::Bucket', Properties: { Tags: [{ Key: 'amplify:friendly-name', Value: 'Profile_Pictures' }] } },
        Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'my-company-uploads' } },
        Queue: { Type: 'AWS::SQS::Queue' },
      },
    })
    expect(ev({ Ref: 'Table' })).toBe(`Todo-${ids.apiId}-NONE`)
    expect(ev({ 'Fn::GetAtt': ['Table', 'TableArn'] })).toBe(`arn:aws:dynamodb:eu-west-1:123456789012:table/Todo-${ids.apiId}-NONE`)
    // Buckets are named after their defineStorage name, with a dot so aws-amplify addresses them by path.
    expect(ev({ Ref: 'filesBucket23E7585D' })).toBe(`profile-pictures.${ids.bucketSuffix}`)
    expect(ev({ Ref: 'Bucket' })).toBe(`bucket.${ids.bucketSuffix}`)
    expect(ev({ Ref: 'Named' })).toBe('my-company-uploads')
    expect(evaluator.getAttribute(stack, 'Bucket', 'RegionalDomainName')).toBe(`bucket.${ids.bucketSuffix}.s3.eu-west-1.amazonaws.com`)
    expect(ev({ Ref: 'Queue' })).toBe('root-Queue')
    expect(evaluator.getAttribute(stack, 'Queue', 'QueueUrl')).toBe('root-Queue.QueueUrl')
  })

  it('evaluates Join, Sub, Select, Split, Base64, GetAZs, ToJsonString and Length', () => {
    const { ev } = single({
      Parameters: { Env: { Default: 'dev' } },
      Resources: { Api: { Type: 'AWS::AppSync::GraphQLApi' } },
    })
    expect(ev({ 'Fn::Join': [':', ['a', { Ref: 'Env' }, 3]] })).toBe('a:dev:3')
    expect(ev({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Env}/${Api.ApiId}/${!Literal}' }))
      .toBe(`arn:aws:x:eu-west-1:dev/${ids.apiId}/\${Literal}`)
    expect(ev({ 'Fn::Sub': ['${Name}-${Env}', { Name: { 'Fn::Join': ['', ['to', 'do']] } }] })).toBe('todo-dev')
    expect(ev({ 'Fn::Select': [1, ['a', 'b', 'c']] })).toBe('b')
    expect(ev({ 'Fn::Select': ['2', { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('z')
    expect(ev({ 'Fn::Base64': { 'Fn::Join': ['', ['hi', '!']] } })).toBe(Buffer.from('hi!').toString('base64'))
    expect(ev({ 'Fn::GetAZs': '' })).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c'])
    expect(ev({ 'Fn::ToJsonString': { env: { Ref: 'Env' }, n: [1] } })).toBe('{"env":"dev","n":[1]}')
    expect(ev({ 'Fn::Length': [1, { Ref: 'Env' }, 3] })).toBe(3)
    expect(() => ev({ 'Fn::Select': [5, ['a']] })).toThrow(/Fn::Select index 5 out of range/)
  })

  it('applies conditions: If, Equals, Not, And, Or, named conditions and conditional resources', () => {
    const { evaluator, ev } = single({
      Parameters: { Env: { Default: 'prod' } },
      Conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
        ProdInEurope: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }] },
        DevOrEurope: { 'Fn::Or': [{ Condition: 'IsDev' }, { Condition: 'ProdInEurope' }] },
      },
      Resources: {
        Always: { Type: 'AWS::SNS::Topic' },
        OnlyDev: { Type: 'AWS::SNS::Topic', Condition: 'IsDev' },
        OnlyProd: { Type: 'AWS::SNS::Topic', Condition: 'ProdInEurope' },
      },
    })
    expect(ev({ 'Fn::If': ['IsProd', 'big', 'small'] })).toBe('big')
    expect(ev({ 'Fn::If': ['IsDev', 'big', 'small'] })).toBe('small')
    expect(ev({ 'Fn::If': ['DevOrEurope', 'yes', 'no'] })).toBe('yes')
    expect(evaluator.resourcesOfType('AWS::SNS::Topic').map(r => r.logicalId)).toEqual(['Always', 'OnlyProd'])
    expect(() => ev({ 'Fn::If': ['Missing', 1, 2] })).toThrow(/root\.template\.json: unknown condition Missing/)
  })

  it('removes AWS::NoValue from objects and lists, and reads a property as absent', () => {
    const { evaluator, stack, ev } = single({
      Conditions: { No: false },
      Resources: {
        Thing: { Type: 'AWS::SNS::Topic', Properties: { Name: { Ref: 'AWS::NoValue' }, Tags: ['a', { 'Fn::If': ['No', 'b', { Ref: 'AWS::NoValue' }] }] } },
      },
    })
    expect(ev({ keep: 1, drop: { 'Fn::If': ['No', 2, { Ref: 'AWS::NoValue' }] } })).toEqual({ keep: 1 })
    expect(evaluator.property(stack, 'Thing', 'Name')).toBeUndefined()
    expect(evaluator.property(stack, 'Thing', 'Tags')).toEqual(['a'])
  })

  it('finds values in Mappings with evaluated keys', () => {
    const { ev } = single({ Mappings: { Sizes: { 'eu-west-1': { Memory: 512 } } } })
    expect(ev({ 'Fn::FindInMap': ['Sizes', { Ref: 'AWS::Region' }, 'Memory'] })).toBe(512)
    expect(() => ev({ 'Fn::FindInMap': ['Sizes', 'us-east-1', 'Memory'] })).toThrow(/no mapping Sizes\.us-east-1\.Memory/)
  })

  it('passes parameters into nested stacks and reads their outputs back, as a deploy would', () => {
    const evaluator = new TemplateEvaluator(ids)
    const root = evaluator.addStack('root', 'root.template.json', {
      Resources: {
        Api: { Type: 'AWS::AppSync::GraphQLApi' },
        Data: { Type: 'AWS::CloudFormation::Stack', Properties: { Parameters: { ApiId: { 'Fn::GetAtt': ['Api', 'ApiId'] }, Env: 'NONE' } } },
      },
      Outputs: { TableName: { Value: { 'Fn::GetAtt': ['Data', 'Outputs.TableName'] } } },
    })
    const child: Stack = evaluator.addStack('root-Data', 'data.nested.template.json', {
      Parameters: { ApiId: {}, Env: { Default: 'ignored' }, Unset: { Default: 'fallback' }, Missing: {} },
      Resources: { Table: { Type: 'Custom::AmplifyDynamoDBTable', Properties: { tableName: { 'Fn::Sub': 'Todo-${ApiId}-${Env}' } } } },
      Outputs: { TableName: { Value: { Ref: 'Table' } } },
    }, { stack: root, logicalId: 'Data' })
    expect(root.children.get('Data')).toBe(child)
    expect(evaluator.evaluate(root, root.template.Outputs!.TableName!.Value)).toBe(`Todo-${ids.apiId}-NONE`)
    expect(evaluator.evaluate(child, { Ref: 'Unset' })).toBe('fallback')
    expect(() => evaluator.evaluate(child, { Ref: 'Missing' })).toThrow(/data\.nested\.template\.json: parameter Missing has no value/)
    expect(evaluator.evaluate(root, { Ref: 'Data' })).toBe('arn:aws:cloudformation:eu-west-1:123456789012:stack/root-Data/local')
  })

  it('resolves Fn::ImportValue from another stack\'s export', () => {
    const evaluator = new TemplateEvaluator(ids)
    evaluator.addStack('exporter', 'a.template.json', { Outputs: { Out: { Value: 'shared-value', Export: { Name: { 'Fn::Sub': '${AWS::StackName}-Out' } } } } })
    const importer = evaluator.addStack('importer', 'b.template.json', {})
    expect(evaluator.evaluate(importer, { 'Fn::ImportValue': 'exporter-Out' })).toBe('shared-value')
    expect(() => evaluator.evaluate(importer, { 'Fn::ImportValue': 'nobody-Out' })).toThrow(/no stack in the assembly exports nobody-Out/)
  })

  it('names an unsupported function and where it was met', () => {
    const { evaluator, stack } = single({ Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { Cidr: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] } } } } })
    expect(() => evaluator.property(stack, 'Vpc', 'Cidr')).toThrow('root/Vpc.Cidr: Fn::Cidr is not supported by the offline sandbox')
    expect(() => evaluator.evaluate(stack, { Ref: 'Nothing' })).toThrow('root.template.json: Ref to unknown Nothing')
  })

  it('reports a reference cycle with its path instead of recursing forever', () => {
    const { ev } = single({
      Conditions: { A: { Condition: 'B' }, B: { 'Fn::Not': [{ Condition: 'A' }] } },
      Resources: {
        First: { Type: 'Custom::AmplifyDynamoDBTable', Properties: { tableName: { 'Fn::GetAtt': ['Second', 'TableName'] } } },
        Second: { Type: 'Custom::AmplifyDynamoDBTable', Properties: { tableName: { Ref: 'First' } } },
      },
    })
    expect(() => ev({ Ref: 'First' })).toThrow('Circular reference: root:ref:First -> root:getatt:Second.TableName -> root:ref:Second -> root:ref:First')
    expect(() => ev({ 'Fn::If': ['A', 1, 2] })).toThrow('Circular reference: root:condition:A -> root:condition:B -> root:condition:A')
  })
})
