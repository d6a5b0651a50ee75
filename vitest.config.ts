import { fileURLToPath } from 'node:url'
import { defineVitestProject } from '@nuxt/test-utils/config'
import { defineConfig } from 'vitest/config'
import { unitProject } from './test/unit/project'

// The AWS SDK here only talks to the local DynamoDB: its Node-version notice is noise.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }

// Three tiers: unit (plain Node), nuxt (components in the Nuxt environment), and end to end, in
// three parts named for what they start: the offline sandbox, the built app (a Hosting build)
// against one, and `npm run dev`.
export default defineConfig({
  test: {
    // Two test files at a time on two cores (vitest's default leaves one core free): the e2e files
    // spend most of their time waiting on the servers, browsers and function processes they start.
    maxWorkers: 2,
    projects: [
      unitProject,
      await defineVitestProject({
        test: {
          name: 'nuxt',
          include: ['test/nuxt/**/*.nuxt.test.ts'],
          environment: 'nuxt',
          environmentOptions: {
            nuxt: {
              // Components need an amplify_outputs.json to import, not a backend: a fixed, cloud-shaped one.
              overrides: { alias: { '#amplify-outputs': fileURLToPath(new URL('test/fixtures/amplify_outputs.json', import.meta.url)) } },
            },
          },
        },
      }),
      {
        test: {
          name: 'e2e-sandbox',
          include: ['test/e2e/sandbox/**/*.test.ts'],
          environment: 'node',
          env,
          // Each file starts its own sandbox servers on free ports; two cores run two at a time.
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e-app',
          include: ['test/e2e/app/**/*.test.ts'],
          environment: 'node',
          env,
          // One sandbox, one production build and its server for every file here (test/e2e/app/setup.ts):
          // the aws_amplify build Hosting deploys, so its manifest checks (hosting-build.test.ts) need no second build.
          globalSetup: ['test/e2e/app/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e-dev',
          include: ['test/e2e/dev/**/*.test.ts'],
          environment: 'node',
          env,
          // `npm run dev` (sandbox + nuxi dev) in a scratch copy of the app; the first page is a cold Vite build.
          testTimeout: 150_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
