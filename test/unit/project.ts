/**
 * The unit tier's vitest project: in the whole suite (vitest.config.ts) and alone
 * (`npm run test:unit`, ./vitest.config.ts), where it loads no Nuxt: booting Nuxt for the nuxt
 * project's config took a third of the tier's time.
 */
import { fileURLToPath } from 'node:url'
import type { TestProjectInlineConfiguration } from 'vitest/config'

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url))

export const unitProject = {
  // Server internals import app files as Nuxt does (`~~/utils/...`).
  resolve: { alias: { '~~': projectRoot } },
  test: {
    name: 'unit',
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // No child processes in this tier (the setup file makes starting one throw).
    setupFiles: ['test/unit/setup.ts'],
    // Workers that keep their modules from file to file load the AWS SDK, the AppSync simulator
    // and graphql once each, not once per file. Safe while no file mocks modules or leaves fakes on.
    pool: 'threads',
    isolate: false,
  },
} satisfies TestProjectInlineConfiguration
