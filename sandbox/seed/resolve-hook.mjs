/**
 * Module resolution hook for `npm run sandbox:seed` (registered by ./register.mjs): in the seed
 * script, `@aws-amplify/seed` is the offline one (./offline-seed.ts), and `aws-amplify` and
 * `aws-amplify/storage` are the app's own packages pointed at the sandbox (./offline-amplify.ts,
 * ./offline-storage.ts). The wrappers themselves, and packages, import the real ones.
 */
let replacements

export function initialize(data) {
  replacements = data.replacements
}

export async function resolve(specifier, context, nextResolve) {
  const replacement = replacements[specifier]
  const fromWrapper = Object.values(replacements).includes(context.parentURL)
  const fromPackage = context.parentURL?.includes('/node_modules/')
  // Resolved on down the chain, so tsx (registered before this hook) still loads it as TypeScript.
  return nextResolve(replacement && !fromWrapper && !fromPackage ? replacement : specifier, context)
}
