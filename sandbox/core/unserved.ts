/**
 * What the backend definition asks for that the offline sandbox does not serve, one line each, with
 * what an app will see instead, so nothing is missing silently or only at call time. Each service
 * says what of its part it does not serve (its `unserved`, reading the synthesized assembly); a
 * resource that no service claims by type gets the closing "other resources" line. What Amplify
 * and CDK deploy only to deploy (stacks, roles, log groups) is not the developer's and is left out.
 */
import type { CloudAssembly, FoundResource, Stack } from '../assembly'
import type { Service } from './service'

export type { FoundResource } from '../assembly'

/** Deployed only to deploy, or served by the sandbox's core (IAM): nothing for an app to miss. */
const CORE_RESOURCE_TYPES = ['AWS::CloudFormation::Stack', 'AWS::CDK::Metadata', 'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::Logs::LogGroup']

/** One line for each thing the definition uses that the services do not serve, saying what the app will see. */
export function unservedFeatures(assembly: CloudAssembly, services: ReadonlyArray<Pick<Service, 'resourceTypes' | 'unserved'>>): string[] {
  const reader = new AssemblyReader(assembly)
  const lines = services.flatMap(service => service.unserved?.(reader) ?? [])
  const claimed = new Set([...CORE_RESOURCE_TYPES, ...services.flatMap(service => service.resourceTypes)])
  for (const stack of assembly.stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) if (!claimed.has(resource.Type)) reader.other(resource.Type)
  }
  return [...lines, ...reader.otherLines()]
}

/**
 * The assembly's values, read leniently: a value it cannot evaluate must not stop the others'
 * lines. It also gathers the resources no service serves, for the one "other resources" line.
 */
export class AssemblyReader {
  private functionsByArn?: Map<string, string>
  private readonly others = new Map<string, number>()
  private dataStacks?: Set<Stack>

  constructor(readonly assembly: CloudAssembly) {}

  /** Counts a resource nothing local answers for into the "other resources" line. */
  other(type: string): void {
    this.others.set(type, (this.others.get(type) ?? 0) + 1)
  }

  /** The "other resources" line, when there are any. */
  otherLines(): string[] {
    if (!this.others.size) return []
    const summary = [...this.others].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => (count > 1 ? `${type} ×${count}` : type)).join(', ')
    return [`Other resources are not served offline (${summary}): nothing local answers for them; calls to them go to AWS.`]
  }

  /** Whether a stack is (inside) a data API's: what it holds is the API's own machinery. */
  inDataApi(stack: Stack): boolean {
    this.dataStacks ??= new Set(this.assembly.resourcesOfType('AWS::AppSync::GraphQLApi').map(api => api.stack))
    return this.dataStacks.has(stack) || (stack.parent !== undefined && this.inDataApi(stack.parent.stack))
  }

  value(found: FoundResource, name: string): unknown {
    try {
      return this.assembly.property(found.stack, found.logicalId, name)
    }
    catch {
      return found.resource.Properties?.[name]
    }
  }

  ref(found: FoundResource): unknown {
    try {
      return this.assembly.ref(found.stack, found.logicalId)
    }
    catch {
      return undefined
    }
  }

  attribute(found: FoundResource, name: string): unknown {
    try {
      return this.assembly.getAttribute(found.stack, found.logicalId, name)
    }
    catch {
      return undefined
    }
  }

  /** `amplify:friendly-name` (what the developer named it in `amplify/`), else the logical id. */
  friendlyName(found: FoundResource): string {
    const tags = found.resource.Properties?.Tags
    const tag = Array.isArray(tags) ? (tags as Array<{ Key?: unknown, Value?: unknown }>).find(t => t.Key === 'amplify:friendly-name')?.Value : undefined
    return typeof tag === 'string' ? tag : found.logicalId
  }

  functionName(found: FoundResource): string {
    const name = this.friendlyName(found)
    if (name !== found.logicalId) return name
    const explicit = this.value(found, 'FunctionName')
    return typeof explicit === 'string' ? explicit : found.logicalId
  }

  /** The name of the function an ARN (as the assembly evaluates it) points at, wrapped in `before`/`after`; '' if none. */
  functionOf(arn: unknown, before = '', after = ''): string {
    if (!this.functionsByArn) {
      this.functionsByArn = new Map()
      for (const fn of this.assembly.resourcesOfType('AWS::Lambda::Function')) {
        const evaluated = this.attribute(fn, 'Arn')
        if (typeof evaluated === 'string') this.functionsByArn.set(evaluated, this.functionName(fn))
      }
    }
    const name = typeof arn === 'string' ? (this.functionsByArn.get(arn) ?? /:function:([^:]+)/.exec(arn)?.[1]) : undefined
    return name ? `${before}${name}${after}` : ''
  }
}
