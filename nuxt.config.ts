import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

// `#amplify-outputs` is the `amplify_outputs.json` the app is built against: the project's own
// (written by the offline sandbox, `npx ampx sandbox` or `ampx generate outputs`), or the file
// AMPLIFY_OUTPUTS names, which tests use to build against a sandbox of their own.
const outputsFile = resolve(process.env.AMPLIFY_OUTPUTS || 'amplify_outputs.json')

// https://nuxt.com/docs/api/configuration/nuxt-config
export default defineNuxtConfig({
  modules: [
    '@nuxt/eslint',
    'h3-compression/nuxt',
    // A build needs a backend to point at; `nuxt prepare` (postinstall, typecheck) does not.
    (_options, nuxt) => {
      if (nuxt.options._prepare) return
      nuxt.hook('build:before', () => {
        const file = nuxt.options.alias['#amplify-outputs']!
        if (!existsSync(file)) {
          throw new Error(`${file} is missing. Start the offline sandbox (\`npm run dev\` or \`npm run sandbox\`) or a cloud one (\`npx ampx sandbox\`) first.`)
        }
      })
    },
    // In dev, an expected client error (a 401, 403 or 404) answers as it does in production: the
    // app's error page without Nuxt's overlay, JSON without a stack (server/error/). Nitro runs
    // error handlers in turn until one answers; Nuxt's own stays in between.
    (_options, nuxt) => {
      if (!nuxt.options.dev) return
      // Nuxt 4.6 and later answer an expected 4xx page without the overlay themselves, and their
      // `/__nuxt_error` route refuses the request page.ts makes (its 404 page then reloads in a loop).
      const [major = 0, minor = 0] = nuxt._version.split('.').map(Number)
      const pages = major > 4 || (major === 4 && minor >= 6) ? [] : ['page']
      nuxt.hook('nitro:config', (config) => {
        const handler = (name: string) => resolve(nuxt.options.serverDir, 'error', name)
        config.errorHandler = [...pages.map(handler), ...[config.errorHandler ?? []].flat(), handler('json')]
      })
    },
  ],
  devtools: { enabled: false },

  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      title: 'Todos',
      titleTemplate: '%s · Nuxt on Amplify',
      meta: [{ name: 'description', content: 'A server-rendered Nuxt 3 app on AWS Amplify Gen 2.' }],
    },
  },

  css: ['~/assets/css/main.css'],

  alias: { '#amplify-outputs': outputsFile },

  // The offline sandbox keeps its state in .amplify/ and writes some of it on requests (guest
  // identities, credentials): app source it is not, and watching it made every page print
  // "Vite server hmr" as the dev server threw away modules for nothing.
  ignore: ['/.amplify'],

  // The Authenticator's stylesheet is large: send it once, as a cached file, not inlined into the HTML too.
  features: { inlineStyles: false },
  compatibilityDate: '2025-07-15',

  nitro: {
    compressPublicAssets: { gzip: true, brotli: true },
  },

  vite: {
    optimizeDeps: {
      // Every package the browser imports. Vite's start-up scan does not see through Nuxt's
      // auto-imported components, so it would find some (the Authenticator) on their first page,
      // optimize them then and reload every open tab, losing the click that led there.
      include: [
        'aws-amplify',
        'aws-amplify/api',
        'aws-amplify/auth',
        'aws-amplify/auth/cognito',
        'aws-amplify/data',
        'aws-amplify/storage',
        'aws-amplify/utils',
        '@aws-amplify/ui-vue',
        'rxjs',
        // The QR code of /profile's authenticator set-up (components/auth/TotpSettings.client.vue).
        'qrcode',
      ],
    },
  },

  typescript: { strict: true },

  hooks: {
    // No <link rel="prefetch"> for every lazy chunk in every page's HTML: browsers would download
    // Amplify's auth and data clients and the Authenticator on the landing page. NuxtLink still
    // prefetches the pages a visitor can reach, and Amplify loads on its first call.
    'build:manifest'(manifest) {
      for (const chunk of Object.values(manifest)) chunk.prefetch = false
    },
  },

  // HTML and JSON are compressed as they are sent; tiny bodies (most API answers) are not worth it.
  compression: { threshold: 1024 },

  eslint: { config: { stylistic: true } },
})
