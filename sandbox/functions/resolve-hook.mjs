/**
 * Module resolution hook for a function's bundle (registered by runner.mjs with `module.register`).
 * Bundles leave packages Lambda's runtime provides (`@aws-sdk/*`) external; on Lambda they come
 * from the runtime, here from the project's node_modules. When the bundle sits inside the project,
 * Node's own walk up the folders finds them; when it does not (an assembly in a cache or temp
 * folder), a bare specifier that fails to resolve is tried once more as if imported from the
 * project.
 */
let fallbackParentURL

export function initialize(data) {
  fallbackParentURL = data.parentURL
}

/** Not `./x`, `../x`, `/x`, `#imports` or a URL (`node:fs`, `file:///...`). */
const isBare = specifier => !/^(?:\.{0,2}\/|#|[a-z][a-z0-9+.-]*:)/i.test(specifier)

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  }
  catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier) || context.parentURL === fallbackParentURL) throw error
    try {
      return await nextResolve(specifier, { ...context, parentURL: fallbackParentURL })
    }
    catch {
      // The original error names the bundle that imported the package, as Lambda's would.
      throw error
    }
  }
}
