// Loaded with `node --import` before the seed script (after tsx): registers ./resolve-hook.mjs.
import { register } from 'node:module'

const here = file => new URL(file, import.meta.url).href
register(here('./resolve-hook.mjs'), {
  data: {
    replacements: {
      '@aws-amplify/seed': here('./offline-seed.ts'),
      'aws-amplify': here('./offline-amplify.ts'),
      'aws-amplify/storage': here('./offline-storage.ts'),
    },
  },
})
