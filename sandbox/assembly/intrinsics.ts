/**
 * CloudFormation's intrinsic functions, evaluated over a set of stacks (root and nested) the way a
 * deploy would, with the sandbox's ids standing in for what AWS would assign. No file I/O: the
 * reader (./index.ts) adds the templates it read.
 *
 * Evaluation is lazy: only the values a service asks for are resolved, so resources the sandbox
 * never needs (Lambda layers, bucket deployments, IAM policies) cannot break it.
 */
import { localBucketName, localRestApiId, type SandboxIds } from '../core/ids'

export interface CfnResource {
  Type: string
  Properties?: Record<string, unknown>
  Condition?: string
}

export interface CfnOutput {
  Value: unknown
  Export?: { Name: unknown }
  Condition?: string
}

export interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown }>
  Conditions?: Record<string, unknown>
  Mappings?: Record<string, Record<string, Record<string, unknown>>>
  Resources?: Record<string, CfnResource>
  Outputs?: Record<string, CfnOutput>
  Metadata?: unknown
}

export interface Stack {
  /** CloudFormation-like stack name: nested stacks are `<parent>-<logicalId>`. */
  readonly name: string
  /** Where the template came from, for error messages. */
  readonly templateFile: string
  readonly template: CfnTemplate
  readonly parent?: { stack: Stack, logicalId: string }
  readonly children: Map<string, Stack>
}

export interface FoundResource {
  stack: Stack
  logicalId: string
  resource: CfnResource
}

/** What `{ "Ref": "AWS::NoValue" }` evaluates to: removed from the enclosing object or list. */
const NO_VALUE = Symbol('AWS::NoValue')

export class TemplateEvaluator {
  /** Every stack, parents before children. */
  readonly stacks: Stack[] = []
  /** What is being resolved right now, outermost first: a key met twice is a cycle. */
  private readonly resolving: string[] = []

  constructor(readonly ids: SandboxIds) {}

  /** Adds a template; with `parent`, as the nested stack that parent's `logicalId` resource deploys. */
  addStack(name: string, templateFile: string, template: CfnTemplate, parent?: { stack: Stack, logicalId: string }): Stack {
    const stack: Stack = { name, templateFile, template, parent, children: new Map() }
    this.stacks.push(stack)
    parent?.stack.children.set(parent.logicalId, stack)
    return stack
  }

  /** Every resource of the given type in every stack, with conditions applied. */
  resourcesOfType(type: string): FoundResource[] {
    const found: FoundResource[] = []
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        if (resource.Type !== type) continue
        if (resource.Condition && !this.condition(stack, resource.Condition)) continue
        found.push({ stack, logicalId, resource })
      }
    }
    return found
  }

  /** One resource property, evaluated; `undefined` when absent or `AWS::NoValue`. */
  property(stack: Stack, logicalId: string, name: string): unknown {
    const raw = this.resource(stack, logicalId).Properties?.[name]
    return raw === undefined ? undefined : this.evaluate(stack, raw, `${stack.name}/${logicalId}.${name}`)
  }

  /** `Fn::GetAtt` of a resource, evaluated. */
  getAttribute(stack: Stack, logicalId: string, attribute: string): unknown {
    return this.getAtt(stack, logicalId, attribute)
  }

  /** Any template value, evaluated in `stack`; `undefined` for `AWS::NoValue`. */
  evaluate(stack: Stack, node: unknown, where = stack.name): unknown {
    const value = this.eval(stack, node, where)
    return value === NO_VALUE ? undefined : value
  }

  private resource(stack: Stack, logicalId: string): CfnResource {
    const resource = stack.template.Resources?.[logicalId]
    if (!resource) throw new Error(`${stack.templateFile}: no resource ${logicalId}`)
    return resource
  }

  /** Guards every lazily computed value against reference cycles (which would recurse forever). */
  private once<T>(key: string, compute: () => T): T {
    if (this.resolving.includes(key)) {
      const cycle = [...this.resolving.slice(this.resolving.indexOf(key)), key]
      throw new Error(`Circular reference: ${cycle.join(' -> ')}`)
    }
    this.resolving.push(key)
    try {
      return compute()
    }
    finally {
      this.resolving.pop()
    }
  }

  private eval(stack: Stack, node: unknown, where: string): unknown {
    if (Array.isArray(node)) {
      return node.map((item, i) => this.eval(stack, item, `${where}[${i}]`)).filter(item => item !== NO_VALUE)
    }
    if (node === null || typeof node !== 'object') return node
    const entries = Object.entries(node)
    if (entries.length === 1) {
      const [key, arg] = entries[0]!
      if (key === 'Ref' || key.startsWith('Fn::')) return this.intrinsic(stack, key, arg, where)
    }
    const out: Record<string, unknown> = {}
    for (const [key, value] of entries) {
      const evaluated = this.eval(stack, value, `${where}.${key}`)
      if (evaluated !== NO_VALUE) out[key] = evaluated
    }
    return out
  }

  private intrinsic(stack: Stack, fn: string, arg: unknown, where: string): unknown {
    const ev = (value: unknown) => this.eval(stack, value, `${where}.${fn}`)
    switch (fn) {
      case 'Ref':
        return this.ref(stack, asString(arg, where))
      case 'Fn::GetAtt': {
        const [logicalId, ...attribute] = Array.isArray(arg) ? arg.map(a => asString(ev(a), where)) : asString(arg, where).split('.')
        return this.getAtt(stack, logicalId!, attribute.join('.'))
      }
      case 'Fn::Join': {
        const [delimiter, list] = asArray(arg, 2, where)
        return asArray(ev(list), undefined, where).map(item => scalar(item, where)).join(asString(delimiter, where))
      }
      case 'Fn::Sub':
        return this.sub(stack, arg, where)
      case 'Fn::Select': {
        const [index, list] = asArray(arg, 2, where)
        const items = asArray(ev(list), undefined, where)
        const i = Number(ev(index))
        if (!Number.isInteger(i) || i < 0 || i >= items.length) throw new Error(`${where}: Fn::Select index ${String(index)} out of range`)
        return items[i]
      }
      case 'Fn::Split': {
        const [delimiter, source] = asArray(arg, 2, where)
        return asString(ev(source), where).split(asString(delimiter, where))
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = asArray(arg, 3, where)
        return ev(this.condition(stack, asString(name, where)) ? whenTrue : whenFalse)
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return this.conditionExpression(stack, { [fn]: arg }, where)
      case 'Fn::FindInMap': {
        const [map, first, second] = asArray(ev(arg), 3, where).map(key => asString(key, where))
        const value = stack.template.Mappings?.[map!]?.[first!]?.[second!]
        if (value === undefined) throw new Error(`${where}: no mapping ${map}.${first}.${second}`)
        return value
      }
      case 'Fn::Base64':
        return Buffer.from(asString(ev(arg), where)).toString('base64')
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map(zone => `${this.ids.region}${zone}`)
      case 'Fn::ToJsonString':
        return JSON.stringify(ev(arg))
      case 'Fn::Length':
        return asArray(ev(arg), undefined, where).length
      case 'Fn::ImportValue':
        return this.importValue(asString(ev(arg), where))
      default:
        throw new Error(`${where}: ${fn} is not supported by the offline sandbox`)
    }
  }

  private ref(stack: Stack, name: string): unknown {
    const { region, accountId } = this.ids
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE
      case 'AWS::Region':
        return region
      case 'AWS::AccountId':
        return accountId
      case 'AWS::Partition':
        return 'aws'
      case 'AWS::URLSuffix':
        return 'amazonaws.com'
      case 'AWS::StackName':
        return stack.name
      case 'AWS::StackId':
        return this.stackId(stack)
      case 'AWS::NotificationARNs':
        return []
    }
    if (stack.template.Parameters && name in stack.template.Parameters) return this.parameter(stack, name)
    if (stack.template.Resources?.[name]) return this.physicalId(stack, name)
    throw new Error(`${stack.templateFile}: Ref to unknown ${name}`)
  }

  /** A parameter's value: what the parent stack passes, else its default. */
  private parameter(stack: Stack, name: string): unknown {
    return this.once(`${stack.name}:param:${name}`, () => {
      if (stack.parent) {
        const { stack: parent, logicalId } = stack.parent
        const passed = this.resource(parent, logicalId).Properties?.Parameters as Record<string, unknown> | undefined
        if (passed && name in passed) return this.eval(parent, passed[name], `${parent.name}/${logicalId}.Parameters.${name}`)
      }
      const fallback = stack.template.Parameters?.[name]?.Default
      if (fallback === undefined) throw new Error(`${stack.templateFile}: parameter ${name} has no value`)
      return fallback
    })
  }

  /** What `Ref` gives for a resource: its physical id, the sandbox's where it has one. */
  private physicalId(stack: Stack, logicalId: string): unknown {
    return this.once(`${stack.name}:ref:${logicalId}`, () => this.physicalIdOf(stack, logicalId))
  }

  private physicalIdOf(stack: Stack, logicalId: string): unknown {
    const { Type: type } = this.resource(stack, logicalId)
    const { region, accountId, apiId, userPoolId, clientId, identityPoolId } = this.ids
    switch (type) {
      case 'Custom::AmplifyDynamoDBTable':
        return this.property(stack, logicalId, 'tableName')
      case 'AWS::DynamoDB::Table':
        return this.property(stack, logicalId, 'TableName') ?? `${stack.name}-${logicalId}`
      // Gen 2 backends define one API, one user pool and one web client: the sandbox's ids are theirs.
      case 'AWS::AppSync::GraphQLApi':
        return `arn:aws:appsync:${region}:${accountId}:apis/${apiId}`
      case 'AWS::Cognito::UserPool':
        return userPoolId
      case 'AWS::Cognito::UserPoolClient':
        return clientId
      case 'AWS::Cognito::IdentityPool':
        return identityPoolId
      // Named as their ARNs say: the data API's resolvers compare the caller's role with this name.
      case 'AWS::IAM::Role':
        return this.property(stack, logicalId, 'RoleName') ?? `${stack.name}-${logicalId}`
      case 'AWS::IAM::ManagedPolicy':
        return this.managedPolicyArn(stack, logicalId)
      case 'AWS::CloudFormation::Stack':
        return this.stackId(stack.children.get(logicalId) ?? stack)
      // A name given in the definition is kept, as a deploy keeps it; the rest get the sandbox's own.
      case 'AWS::S3::Bucket':
        return this.property(stack, logicalId, 'BucketName') ?? localBucketName(this.ids, friendlyName(this.resource(stack, logicalId)) ?? logicalId)
      // Lambda names functions without FunctionName after their stack and id; so does the sandbox.
      case 'AWS::Lambda::Function':
        return this.property(stack, logicalId, 'FunctionName') ?? `${stack.name}-${logicalId}`
      // The local REST service answers to these ids (sandbox/rest/); a stage is named by its name, as in the cloud.
      case 'AWS::ApiGateway::RestApi':
        return localRestApiId(this.ids, `${stack.name}/${logicalId}`)
      case 'AWS::ApiGateway::Stage':
        return this.property(stack, logicalId, 'StageName') ?? `${stack.name}-${logicalId}`
      default:
        return `${stack.name}-${logicalId}`
    }
  }

  private getAtt(stack: Stack, logicalId: string, attribute: string): unknown {
    return this.once(`${stack.name}:getatt:${logicalId}.${attribute}`, () => {
      const { Type: type } = this.resource(stack, logicalId)
      const { region, accountId, apiId, userPoolId, clientId, identityPoolId } = this.ids
      if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
        const child = stack.children.get(logicalId)
        const output = child?.template.Outputs?.[attribute.slice('Outputs.'.length)]
        if (!child || !output) throw new Error(`${stack.templateFile}: ${logicalId} has no ${attribute}`)
        return this.eval(child, output.Value, `${child.name}.${attribute}`)
      }
      const tableName = () => String(this.physicalId(stack, logicalId))
      const tableArn = () => `arn:aws:dynamodb:${region}:${accountId}:table/${tableName()}`
      const apiArn = `arn:aws:appsync:${region}:${accountId}:apis/${apiId}`
      const userPool = `cognito-idp.${region}.amazonaws.com/${userPoolId}`
      const byType: Record<string, Record<string, () => unknown>> = {
        'AWS::AppSync::GraphQLApi': {
          ApiId: () => apiId,
          Arn: () => apiArn,
          GraphQLUrl: () => `https://${apiId}.appsync-api.${region}.amazonaws.com/graphql`,
          GraphQLDns: () => `${apiId}.appsync-api.${region}.amazonaws.com`,
          RealtimeUrl: () => `wss://${apiId}.appsync-realtime-api.${region}.amazonaws.com/graphql`,
          RealtimeDns: () => `${apiId}.appsync-realtime-api.${region}.amazonaws.com`,
        },
        'AWS::AppSync::DataSource': {
          Name: () => this.property(stack, logicalId, 'Name'),
          DataSourceArn: () => `${apiArn}/datasources/${String(this.property(stack, logicalId, 'Name'))}`,
        },
        'AWS::AppSync::FunctionConfiguration': {
          FunctionId: () => functionId(stack, logicalId),
          FunctionArn: () => `${apiArn}/functions/${functionId(stack, logicalId)}`,
          Name: () => this.property(stack, logicalId, 'Name'),
          DataSourceName: () => this.property(stack, logicalId, 'DataSourceName'),
        },
        'AWS::Cognito::UserPool': {
          UserPoolId: () => userPoolId,
          Arn: () => `arn:aws:cognito-idp:${region}:${accountId}:userpool/${userPoolId}`,
          ProviderName: () => userPool,
          ProviderURL: () => `https://${userPool}`,
        },
        'AWS::Cognito::UserPoolClient': { ClientId: () => clientId },
        'AWS::Cognito::IdentityPool': {
          Id: () => identityPoolId,
          Name: () => this.property(stack, logicalId, 'IdentityPoolName') ?? `${stack.name}-${logicalId}`,
        },
        'Custom::AmplifyDynamoDBTable': { TableArn: tableArn, TableName: tableName, TableStreamArn: () => `${tableArn()}/stream/local` },
        'AWS::DynamoDB::Table': { Arn: tableArn, StreamArn: () => `${tableArn()}/stream/local` },
        'AWS::IAM::Role': {
          Arn: () => `arn:aws:iam::${accountId}:role${this.iamPath(stack, logicalId)}${String(this.physicalId(stack, logicalId))}`,
          RoleId: () => `AROA${logicalId}`,
        },
        'AWS::IAM::ManagedPolicy': { PolicyArn: () => this.managedPolicyArn(stack, logicalId) },
        'AWS::ApiGateway::RestApi': {
          RestApiId: () => this.physicalId(stack, logicalId),
          RootResourceId: () => `${String(this.physicalId(stack, logicalId))}-root`,
        },
        'AWS::Lambda::Function': {
          Arn: () => `arn:aws:lambda:${region}:${accountId}:function:${String(this.physicalId(stack, logicalId))}`,
        },
        // Storage access policies name objects under the bucket's ARN.
        'AWS::S3::Bucket': {
          Arn: () => `arn:aws:s3:::${String(this.physicalId(stack, logicalId))}`,
          DomainName: () => `${String(this.physicalId(stack, logicalId))}.s3.amazonaws.com`,
          RegionalDomainName: () => `${String(this.physicalId(stack, logicalId))}.s3.${region}.amazonaws.com`,
        },
      }
      const known = byType[type]?.[attribute]
      // Anything else only feeds resources the sandbox never reads; a recognisable stand-in will do.
      return known ? known() : `${stack.name}-${logicalId}.${attribute}`
    })
  }

  /** An IAM resource's `Path` (`/` unless set), which its ARN carries before the name. */
  private iamPath(stack: Stack, logicalId: string): string {
    const path = this.property(stack, logicalId, 'Path')
    return typeof path === 'string' && path.startsWith('/') && path.endsWith('/') ? path : '/'
  }

  private managedPolicyArn(stack: Stack, logicalId: string): string {
    const name = this.property(stack, logicalId, 'ManagedPolicyName') ?? `${stack.name}-${logicalId}`
    return `arn:aws:iam::${this.ids.accountId}:policy${this.iamPath(stack, logicalId)}${String(name)}`
  }

  private sub(stack: Stack, arg: unknown, where: string): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (asArray(arg, 2, where) as [unknown, Record<string, unknown>])
    return asString(text, where).replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`
      if (name in variables) return scalar(this.eval(stack, variables[name], `${where}.${name}`), where)
      const dot = name.indexOf('.')
      if (dot > 0 && !name.startsWith('AWS::')) return scalar(this.getAtt(stack, name.slice(0, dot), name.slice(dot + 1)), where)
      return scalar(this.ref(stack, name), where)
    })
  }

  private condition(stack: Stack, name: string): boolean {
    return this.once(`${stack.name}:condition:${name}`, () => {
      const expression = stack.template.Conditions?.[name]
      if (expression === undefined) throw new Error(`${stack.templateFile}: unknown condition ${name}`)
      return this.conditionExpression(stack, expression, `${stack.name}.Conditions.${name}`)
    })
  }

  private conditionExpression(stack: Stack, node: unknown, where: string): boolean {
    if (typeof node === 'boolean') return node
    if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length === 1) {
      const [[fn, arg]] = Object.entries(node) as [[string, unknown]]
      const items = () => asArray(arg, undefined, where)
      switch (fn) {
        case 'Condition':
          return this.condition(stack, asString(arg, where))
        case 'Fn::Equals': {
          const [a, b] = asArray(arg, 2, where).map(side => this.eval(stack, side, where))
          return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b)
        }
        case 'Fn::Not':
          return !this.conditionExpression(stack, asArray(arg, 1, where)[0], where)
        case 'Fn::And':
          return items().every(item => this.conditionExpression(stack, item, where))
        case 'Fn::Or':
          return items().some(item => this.conditionExpression(stack, item, where))
      }
    }
    throw new Error(`${where}: not a condition: ${JSON.stringify(node)}`)
  }

  private importValue(name: string): unknown {
    for (const stack of this.stacks) {
      for (const [key, output] of Object.entries(stack.template.Outputs ?? {})) {
        if (!output.Export) continue
        let exported: unknown
        try {
          exported = this.eval(stack, output.Export.Name, `${stack.name}.Outputs.${key}.Export`)
        }
        catch {
          // An export whose name cannot be evaluated is not the one asked for.
          continue
        }
        if (exported === name) return this.eval(stack, output.Value, `${stack.name}.Outputs.${key}`)
      }
    }
    throw new Error(`Fn::ImportValue: no stack in the assembly exports ${name}`)
  }

  private stackId(stack: Stack): string {
    return `arn:aws:cloudformation:${this.ids.region}:${this.ids.accountId}:stack/${stack.name}/local`
  }
}

/** `amplify:friendly-name`: the name the definition gave a resource (`defineStorage({ name })`). */
function friendlyName(resource: CfnResource): string | undefined {
  const tags = resource.Properties?.Tags
  const tag = Array.isArray(tags) ? (tags as Array<{ Key?: unknown, Value?: unknown }>).find(t => t.Key === 'amplify:friendly-name')?.Value : undefined
  return typeof tag === 'string' ? tag : undefined
}

/** The id a function gets locally: unique across stacks, readable in errors. */
function functionId(stack: Stack, logicalId: string): string {
  return `${stack.name}.${logicalId}`
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value
  throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`)
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`)
}

function asArray(value: unknown, length: number | undefined, where: string): unknown[] {
  if (Array.isArray(value) && (length === undefined || value.length === length)) return value
  throw new Error(`${where}: expected a list${length ? ` of ${length}` : ''}, got ${JSON.stringify(value)}`)
}
