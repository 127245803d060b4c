import { defineConfig } from 'vitest/config';

// One project per package; workspace imports resolve to src/ through the custom condition,
// so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['@carousel/source'] },
  test: {
    projects: ['packages/*'],
    passWithNoTests: true,
  },
});
