/**
 * Reads a CDK cloud assembly (root stacks, every nested stack, their assets) and evaluates the
 * CloudFormation intrinsics in it with stable local values, the way CloudFormation would at deploy
 * time. Evaluation is lazy: only the values the local API asks for are resolved, so resources it
 * never needs (Lambda layers, bucket deployments, IAM policies) cannot break it.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'

export interface LocalEnvironment {
  region: string
  accountId: string
  /** The id every `AWS::AppSync::GraphQLApi` gets locally (AppSync's are 26 lowercase alphanumerics). */
  apiId: string
}

export interface CfnResource {
  Type: string
  Properties?: Record<string, unknown>
  Condition?: string
}

interface CfnTemplate {
  Parameters?: Record<string, { Default?: unknown }>
  Conditions?: Record<string, unknown>
  Mappings?: Record<string, Record<string, Record<string, unknown>>>
  Resources?: Record<string, CfnResource>
  Outputs?: Record<string, { Value: unknown, Export?: { Name: unknown } }>
}

export interface Stack {
  /** CloudFormation-like stack name: nested stacks are `<parent>-<logicalId>`. */
  readonly name: string
  readonly templateFile: string
  readonly template: CfnTemplate
  readonly parent?: { stack: Stack, logicalId: string }
  readonly children: Map<string, Stack>
}

/** What `{ "Ref": "AWS::NoValue" }` evaluates to: removed from the enclosing object or list. */
const NO_VALUE = Symbol('AWS::NoValue')

export class CloudAssembly {
  /** Every stack, parents before children. */
  readonly stacks: Stack[] = []
  private readonly resolving = new Set<string>()

  private constructor(
    readonly dir: string,
    readonly env: LocalEnvironment,
    /** Asset hash → file or folder name in the assembly folder. */
    private readonly assets: Map<string, string>,
  ) {}

  static async load(dir: string, env: LocalEnvironment): Promise<CloudAssembly> {
    const files = await readdir(dir)
    const assets = new Map<string, string>()
    for (const file of files.filter(f => f.endsWith('.assets.json'))) {
      const manifest = (await readJson(join(dir, file))) as { files?: Record<string, { source?: { path?: string } }> }
      for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
        if (entry.source?.path) assets.set(hash, entry.source.path)
      }
    }
    const assembly = new CloudAssembly(dir, env, assets)
    for (const root of await rootStacks(dir, files)) await assembly.addStack(root.name, root.templateFile)
    if (assembly.stacks.length === 0) throw new Error(`${dir} holds no CloudFormation template: is it a cloud assembly (CDK_OUTDIR)?`)
    return assembly
  }

  /** Every resource of the given type in every stack, with conditions applied. */
  resourcesOfType(type: string): Array<{ stack: Stack, logicalId: string, resource: CfnResource }> {
    const found: Array<{ stack: Stack, logicalId: string, resource: CfnResource }> = []
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
    const resource = this.resource(stack, logicalId)
    const raw = resource.Properties?.[name]
    if (raw === undefined) return undefined
    const value = this.evaluate(stack, raw, `${stack.name}/${logicalId}.${name}`)
    return value === NO_VALUE ? undefined : value
  }

  /** `Fn::GetAtt` of a resource, evaluated. */
  getAttribute(stack: Stack, logicalId: string, attribute: string): unknown {
    return this.getAtt(stack, logicalId, attribute)
  }

  /** The text of the asset an `s3://…/<hash>.<ext>` (or `https://…`) location names. */
  async readAsset(location: string): Promise<string> {
    return readFile(this.assetPath(location), 'utf8')
  }

  /** Folders and files of the assembly that are assets, by their path in the assembly folder. */
  assetPaths(): string[] {
    return [...new Set(this.assets.values())].map(path => join(this.dir, path))
  }

  private assetPath(location: string): string {
    const file = basename(location.split('?')[0] ?? location)
    const hash = file.split('.')[0] ?? file
    const mapped = this.assets.get(hash)
    if (mapped) return join(this.dir, mapped)
    // Older assemblies name file assets `asset.<hash>.<ext>` without listing them.
    const guess = join(this.dir, `asset.${file}`)
    if (existsSync(guess)) return guess
    throw new Error(`The assembly has no asset for ${location}`)
  }

  private async addStack(name: string, templateFile: string, parent?: { stack: Stack, logicalId: string }): Promise<Stack> {
    const template = (await readJson(join(this.dir, templateFile))) as CfnTemplate
    const stack: Stack = { name, templateFile, template, parent, children: new Map() }
    this.stacks.push(stack)
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::CloudFormation::Stack') continue
      const url = this.evaluate(stack, resource.Properties?.TemplateURL, `${name}/${logicalId}.TemplateURL`)
      if (typeof url !== 'string') throw new Error(`Nested stack ${logicalId} in ${templateFile} has no TemplateURL`)
      const child = await this.addStack(`${name}-${logicalId}`, basename(this.assetPath(url)), { stack, logicalId })
      stack.children.set(logicalId, child)
    }
    return stack
  }

  private resource(stack: Stack, logicalId: string): CfnResource {
    const resource = stack.template.Resources?.[logicalId]
    if (!resource) throw new Error(`${stack.templateFile} has no resource ${logicalId}`)
    return resource
  }

  /** Guards every lazily computed value against reference cycles (which would recurse forever). */
  private once<T>(key: string, compute: () => T): T {
    if (this.resolving.has(key)) throw new Error(`Circular reference while resolving ${key}`)
    this.resolving.add(key)
    try {
      return compute()
    }
    finally {
      this.resolving.delete(key)
    }
  }

  private evaluate(stack: Stack, node: unknown, where: string): unknown {
    if (Array.isArray(node)) {
      return node.map((item, i) => this.evaluate(stack, item, `${where}[${i}]`)).filter(item => item !== NO_VALUE)
    }
    if (node === null || typeof node !== 'object') return node
    const entries = Object.entries(node)
    if (entries.length === 1) {
      const [key, arg] = entries[0]!
      if (key === 'Ref' || key.startsWith('Fn::')) return this.intrinsic(stack, key, arg, where)
    }
    const out: Record<string, unknown> = {}
    for (const [key, value] of entries) {
      const evaluated = this.evaluate(stack, value, `${where}.${key}`)
      if (evaluated !== NO_VALUE) out[key] = evaluated
    }
    return out
  }

  private intrinsic(stack: Stack, fn: string, arg: unknown, where: string): unknown {
    const ev = (value: unknown) => this.evaluate(stack, value, `${where}.${fn}`)
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
        return ['a', 'b', 'c'].map(zone => `${this.env.region}${zone}`)
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
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE
      case 'AWS::Region':
        return this.env.region
      case 'AWS::AccountId':
        return this.env.accountId
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

  private parameter(stack: Stack, name: string): unknown {
    return this.once(`${stack.name}:param:${name}`, () => {
      if (stack.parent) {
        const passed = this.resource(stack.parent.stack, stack.parent.logicalId).Properties?.Parameters as Record<string, unknown> | undefined
        if (passed && name in passed) return this.evaluate(stack.parent.stack, passed[name], `${stack.parent.stack.name}/${stack.parent.logicalId}.Parameters.${name}`)
      }
      const fallback = stack.template.Parameters?.[name]?.Default
      if (fallback === undefined) throw new Error(`${stack.templateFile}: parameter ${name} has no value`)
      return fallback
    })
  }

  /** What `Ref` gives for a resource: its physical id, as stable local stand-ins. */
  private physicalId(stack: Stack, logicalId: string): unknown {
    const { Type: type } = this.resource(stack, logicalId)
    switch (type) {
      case 'Custom::AmplifyDynamoDBTable':
        return this.property(stack, logicalId, 'tableName')
      case 'AWS::DynamoDB::Table':
        return this.property(stack, logicalId, 'TableName') ?? `${stack.name}-${logicalId}`
      case 'AWS::AppSync::GraphQLApi':
        return `arn:aws:appsync:${this.env.region}:${this.env.accountId}:apis/${this.env.apiId}`
      case 'AWS::CloudFormation::Stack':
        return this.stackId(stack.children.get(logicalId) ?? stack)
      default:
        return `${stack.name}-${logicalId}`
    }
  }

  private getAtt(stack: Stack, logicalId: string, attribute: string): unknown {
    return this.once(`${stack.name}:getatt:${logicalId}.${attribute}`, () => {
      const { Type: type } = this.resource(stack, logicalId)
      const { region, accountId, apiId } = this.env
      if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
        const child = stack.children.get(logicalId)
        const output = child?.template.Outputs?.[attribute.slice('Outputs.'.length)]
        if (!child || !output) throw new Error(`${stack.templateFile}: ${logicalId} has no ${attribute}`)
        return this.evaluate(child, output.Value, `${child.name}.${attribute}`)
      }
      const tableName = () => String(this.physicalId(stack, logicalId))
      const tableArn = () => `arn:aws:dynamodb:${region}:${accountId}:table/${tableName()}`
      const apiArn = `arn:aws:appsync:${region}:${accountId}:apis/${apiId}`
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
        'Custom::AmplifyDynamoDBTable': { TableArn: tableArn, TableName: tableName, TableStreamArn: () => `${tableArn()}/stream/local` },
        'AWS::DynamoDB::Table': { Arn: tableArn, StreamArn: () => `${tableArn()}/stream/local` },
        'AWS::IAM::Role': { Arn: () => `arn:aws:iam::${accountId}:role/${stack.name}-${logicalId}`, RoleId: () => `AROA${logicalId}` },
      }
      const known = byType[type]?.[attribute]
      // Anything else only feeds resources the local API never reads; a recognisable stand-in will do.
      return known ? known() : `${stack.name}-${logicalId}.${attribute}`
    })
  }

  private sub(stack: Stack, arg: unknown, where: string): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (asArray(arg, 2, where) as [unknown, Record<string, unknown>])
    return asString(text, where).replace(/\$\{([^}]*)\}/g, (match, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`
      if (name in variables) return scalar(this.evaluate(stack, variables[name], `${where}.${name}`), where)
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
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      const [[fn, arg]] = Object.entries(node) as [[string, unknown]]
      const items = () => asArray(arg, undefined, where)
      switch (fn) {
        case 'Condition':
          return this.condition(stack, asString(arg, where))
        case 'Fn::Equals': {
          const [a, b] = asArray(arg, 2, where).map(side => this.evaluate(stack, side, where))
          return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b)
        }
        case 'Fn::Not':
          return !this.conditionExpression(stack, items()[0], where)
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
          exported = this.evaluate(stack, output.Export.Name, `${stack.name}.Outputs.${key}.Export`)
        }
        catch {
          continue
        }
        if (exported === name) return this.evaluate(stack, output.Value, `${stack.name}.Outputs.${key}`)
      }
    }
    throw new Error(`Fn::ImportValue: no stack in the assembly exports ${name}`)
  }

  private stackId(stack: Stack): string {
    return `arn:aws:cloudformation:${this.env.region}:${this.env.accountId}:stack/${stack.name}/local`
  }
}

/** The id a function gets locally: unique across stacks, readable in errors. */
function functionId(stack: Stack, logicalId: string): string {
  return `${stack.name}.${logicalId}`
}

async function rootStacks(dir: string, files: string[]): Promise<Array<{ name: string, templateFile: string }>> {
  const manifestPath = join(dir, 'manifest.json')
  if (existsSync(manifestPath)) {
    const manifest = (await readJson(manifestPath)) as {
      artifacts?: Record<string, { type?: string, properties?: { templateFile?: string, stackName?: string }, displayName?: string }>
    }
    const stacks = Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
      .map(([id, artifact]) => ({ name: artifact.properties?.stackName ?? id, templateFile: artifact.properties!.templateFile! }))
    if (stacks.length > 0) return stacks
  }
  return files
    .filter(file => file.endsWith('.template.json') && !file.endsWith('.nested.template.json'))
    .map(file => ({ name: file.replace(/\.template\.json$/, ''), templateFile: file }))
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  try {
    return JSON.parse(text)
  }
  catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error })
  }
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
