import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30 * 60_000,
    // Two cores: e2e files share one daemon, so files run one at a time in a fork each.
    fileParallelism: false,
    pool: 'forks',
  },
});
