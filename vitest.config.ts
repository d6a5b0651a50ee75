import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'sandbox',
          include: ['test/sandbox/**/*.test.ts'],
          environment: 'node',
          // The AWS SDK here only talks to the local DynamoDB store: its Node-version notice is noise.
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          // Each file starts its own sandbox servers on free ports; two cores run two at a time.
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
