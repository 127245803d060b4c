import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@carousel/source'] },
  test: {
    name: 'autograd',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'], tsconfig: '../../tsconfig.json' },
  },
});
