/**
 * The simulator's Velocity engine (`amplify-velocity-template`), adjusted at runtime where it parts
 * from AppSync's (Apache Velocity) on what Amplify Gen 2 synthesizes:
 * - a call to a method the value does not have resolves to null and the template goes on, as in
 *   Apache Velocity, for `put` on a list: the engine's `put` shim reads a second argument that is
 *   not there and throws. Every list owner field (`ownersDefinedIn`) has a field resolver whose
 *   response template calls `$ctx.source.editors.put($list)`; the throw made those fields read back
 *   null where AppSync returns the owner list (https://github.com/aws-amplify/amplify-js/issues/14537);
 * - a template that throws for any other reason fails its field with a `MappingTemplate` error
 *   naming the cause, as AppSync reports template errors, instead of resolving to a silent null.
 */
import { TemplateSentError } from '@aws-amplify/amplify-appsync-simulator/lib/velocity/util/errors'
import type { GraphQLResolveInfo } from 'graphql'
import { fromSimulator } from './value-mapping'

interface MethodNode {
  id: string
  args?: unknown[]
}

interface CompilePrototype {
  getPropMethod(property: MethodNode, baseRef: unknown, ast: unknown): unknown
  render(context: RenderContext, macros?: unknown, silence?: boolean): string
}

interface RenderContext {
  util?: { errors?: unknown[], info?: GraphQLResolveInfo }
}

const PATCHED = Symbol.for('offline-sandbox.velocity.patched')

/** Applies the adjustments once per process (the engine is a module-level singleton). */
export function patchVelocity(): void {
  // The engine the simulator loads, not a copy a bundler might resolve from here.
  const { Compile } = fromSimulator('amplify-velocity-template') as { Compile: { prototype: CompilePrototype & { [PATCHED]?: true } } }
  const prototype = Compile.prototype
  if (prototype[PATCHED]) return
  prototype[PATCHED] = true

  const getPropMethod = prototype.getPropMethod
  prototype.getPropMethod = function (property, baseRef, ast) {
    if (property.id === 'put' && Array.isArray(baseRef) && typeof (baseRef as { put?: unknown }).put !== 'function') return undefined
    return getPropMethod.call(this, property, baseRef, ast)
  }

  const render = prototype.render
  prototype.render = function (context, macros, silence) {
    const errors = context?.util?.errors
    const before = errors?.length
    try {
      return render.call(this, context, macros, silence)
    }
    catch (error) {
      const info = context.util?.info
      // `$util.error`, `$util.unauthorized` and validation record their own error before throwing.
      if (errors && errors.length === before && info) {
        errors.push(new TemplateSentError(`The offline sandbox could not evaluate the template of ${info.parentType.name}.${info.fieldName}: ${(error as Error).message}`, 'MappingTemplate', null, null, info))
      }
      throw error
    }
  }
}
