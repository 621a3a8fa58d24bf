import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'policies/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The CLI tests spawn the build (dist/), as npm's scripts do: bring it up to date once, first.
    globalSetup: ['test/support/build-dist.ts'],
    pool: 'forks',
    // Both cores: vitest's default leaves one idle on a 2-core machine, and most of the long files
    // wait on child processes (the CLI as a user runs it) rather than compute.
    maxWorkers: 2,
  },
})
