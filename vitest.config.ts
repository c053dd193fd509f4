import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // Starts any broker that is not running (fast when all are up); a broker that cannot start fails the run.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests share three real brokers and a 2-core machine: two test files at a time at most.
    pool: 'forks',
    poolOptions: {forks: {minForks: 1, maxForks: 2}},
  },
})
