import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run the real CLI and long simulations.
    testTimeout: 60_000,
    pool: 'forks',
  },
});
