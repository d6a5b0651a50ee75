/**
 * The one reader of a synthesized CDK cloud assembly (a CDK_OUTDIR): its stacks, root and nested,
 * with intrinsics evaluated (./intrinsics.ts), its assets, and what the root stack tells a deploy.
 * Every service learns about the backend here; none walks CDK output itself.
 *
 * Templates are read at load; assets when asked for. Once a service has taken what it needs, the
 * folder may go.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { SandboxIds } from '../core/ids'
import { TemplateEvaluator, type CfnOutput, type CfnTemplate, type FoundResource, type Stack } from './intrinsics'

export type { CfnResource, CfnOutput, FoundResource, Stack } from './intrinsics'

interface Manifest {
  artifacts?: Record<string, { type?: string, properties?: { templateFile?: string, stackName?: string, file?: string } }>
}

export class CloudAssembly {
  private constructor(
    readonly dir: string,
    private readonly templates: TemplateEvaluator,
    /** Asset hash → file or folder name in the assembly folder. */
    private readonly assets: Map<string, string>,
  ) {}

  /** Reads the assembly in `dir`; its intrinsics evaluate with `ids`. */
  static async load(dir: string, ids: SandboxIds): Promise<CloudAssembly> {
    const files = await readdir(dir)
    const manifest = existsSync(join(dir, 'manifest.json')) ? ((await readJson(join(dir, 'manifest.json'))) as Manifest) : {}
    const artifacts = Object.entries(manifest.artifacts ?? {})

    const assets = new Map<string, string>()
    const assetManifests = artifacts.filter(([, a]) => a.type === 'cdk:asset-manifest' && a.properties?.file).map(([, a]) => a.properties!.file!)
    // Assemblies without a manifest still name their asset manifests this way.
    for (const file of assetManifests.length ? assetManifests : files.filter(f => f.endsWith('.assets.json'))) {
      const listed = (await readJson(join(dir, file))) as { files?: Record<string, { source?: { path?: string } }> }
      for (const [hash, entry] of Object.entries(listed.files ?? {})) {
        if (entry.source?.path) assets.set(hash, entry.source.path)
      }
    }

    const assembly = new CloudAssembly(dir, new TemplateEvaluator(ids), assets)
    let roots = artifacts
      .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
      .map(([id, a]) => ({ name: a.properties?.stackName ?? id, templateFile: a.properties!.templateFile! }))
    if (roots.length === 0) {
      roots = files
        .filter(f => f.endsWith('.template.json') && !f.endsWith('.nested.template.json'))
        .map(f => ({ name: f.replace(/\.template\.json$/, ''), templateFile: f }))
    }
    for (const root of roots) await assembly.addStack(root.name, root.templateFile)
    if (assembly.stacks.length === 0) throw new Error(`${dir} holds no CloudFormation template: is it a cloud assembly (CDK_OUTDIR)?`)
    return assembly
  }

  get ids(): SandboxIds {
    return this.templates.ids
  }

  /** Every stack, parents before children; the first is the root (Gen 2 synthesizes one). */
  get stacks(): readonly Stack[] {
    return this.templates.stacks
  }

  /** The root stack's Outputs, unevaluated: what `ampx generate outputs` reads from a deployed stack. */
  get outputs(): Record<string, CfnOutput> {
    return this.stacks[0]!.template.Outputs ?? {}
  }

  /** The root stack's Metadata (Amplify records there which outputs each part of the backend has). */
  get metadata(): unknown {
    return this.stacks[0]!.template.Metadata
  }

  /** Every resource of the given type in every stack, with conditions applied. */
  resourcesOfType(type: string): FoundResource[] {
    return this.templates.resourcesOfType(type)
  }

  /** One resource property, evaluated; `undefined` when absent or `AWS::NoValue`. */
  property(stack: Stack, logicalId: string, name: string): unknown {
    return this.templates.property(stack, logicalId, name)
  }

  /** `Ref` of a resource, evaluated: its physical id (a role's name, a managed policy's ARN...). */
  ref(stack: Stack, logicalId: string): unknown {
    return this.templates.evaluate(stack, { Ref: logicalId }, `${stack.name}/${logicalId}`)
  }

  /** Any template value (e.g. an output's `Value`), evaluated in `stack`. */
  evaluate(stack: Stack, value: unknown, where?: string): unknown {
    return this.templates.evaluate(stack, value, where)
  }

  /** `Fn::GetAtt` of a resource, evaluated. */
  getAttribute(stack: Stack, logicalId: string, attribute: string): unknown {
    return this.templates.getAttribute(stack, logicalId, attribute)
  }

  /** The text of the asset an `s3://…/<hash>.<ext>` (or `https://…`) location names. */
  async readAsset(location: string): Promise<string> {
    return readFile(this.assetPath(location), 'utf8')
  }

  /**
   * When CDK wrote the templates. Values synth computes from its clock (an API key's `Expires`) are
   * relative to it; the synth cache keeps the files' times, so a reused synth still tells its age.
   */
  async synthesizedAt(): Promise<Date> {
    return (await stat(join(this.dir, this.stacks[0]!.templateFile))).mtime
  }

  /** The model schema the data client's `model_introspection` is generated from (`model-schema.graphql`). */
  async modelSchema(): Promise<string> {
    const path = this.findInAssets('model-schema.graphql')
    if (!path) throw new Error('The synthesized backend has no model-schema.graphql asset')
    return readFile(path, 'utf8')
  }

  /** The `model_introspection` block synth produced, or `undefined` for a backend without data models. */
  async modelIntrospection(): Promise<unknown> {
    const path = this.findInAssets('modelIntrospectionSchema.json')
    return path ? readJson(path) : undefined
  }

  /** A file inside a folder asset (Amplify deploys its codegen files as zipped folders). */
  private findInAssets(name: string): string | undefined {
    for (const asset of new Set(this.assets.values())) {
      const path = join(this.dir, asset, name)
      if (existsSync(path)) return path
    }
    return undefined
  }

  /**
   * Where in the assembly an asset is, by the object key (`<hash>.zip`), `s3://` or `https://`
   * location a template names it with: a folder (directory assets, e.g. a BucketDeployment's
   * `Source.asset('dir')`) or a file.
   */
  assetPath(location: string): string {
    const file = basename(location.split('?')[0] ?? location)
    const hash = file.split('.')[0] ?? file
    const mapped = this.assets.get(hash)
    if (mapped) return join(this.dir, mapped)
    // Older assemblies name file assets `asset.<hash>.<ext>` without listing them.
    const guess = join(this.dir, `asset.${file}`)
    if (existsSync(guess)) return guess
    throw new Error(`The assembly has no asset for ${location}`)
  }

  private async addStack(name: string, templateFile: string, parent?: { stack: Stack, logicalId: string }): Promise<void> {
    const template = (await readJson(join(this.dir, templateFile))) as CfnTemplate
    const stack = this.templates.addStack(name, templateFile, template, parent)
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::CloudFormation::Stack') continue
      const url = this.templates.evaluate(stack, resource.Properties?.TemplateURL, `${name}/${logicalId}.TemplateURL`)
      if (typeof url !== 'string') throw new Error(`Nested stack ${logicalId} in ${templateFile} has no TemplateURL`)
      await this.addStack(`${name}-${logicalId}`, basename(this.assetPath(url)), { stack, logicalId })
    }
  }
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
