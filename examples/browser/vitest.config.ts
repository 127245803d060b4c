import { defineConfig } from 'vitest/config';

// The end-to-end test drives headless Chromium against the Vite dev server (see test/e2e.test.ts).
export default defineConfig({
  test: {
    name: 'example-browser',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
