import { defineConfig } from 'vitest/config';
import { sourceResolve } from './vitest.shared.js';

// One project per package; workspace imports resolve to src/ through the custom condition,
// so tests need no build step.
export default defineConfig({
  ...sourceResolve,
  test: {
    projects: ['packages/*'],
    passWithNoTests: true,
  },
});
