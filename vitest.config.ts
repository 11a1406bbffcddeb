import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // End-to-end tests build whole books with Chromium; these machines are slow and noisy.
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
