import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@carousel/source'] },
  test: { name: 'nn', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
