import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@carousel/source'] },
  test: { name: 'tasks', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
