import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'sandbox',
          include: ['test/sandbox/**/*.test.ts'],
          environment: 'node',
          // Each file starts its own sandbox servers on free ports; two cores run two at a time.
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
