import { defineProject } from 'vitest/config';
import { sourceResolve } from '../../vitest.shared.js';

export default defineProject({
  ...sourceResolve,
  test: {
    name: 'autograd',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // points the WebGPU suite at SwiftShader's Vulkan driver when no driver is configured
    setupFiles: ['test/webgpu/setup.ts'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'], tsconfig: '../../tsconfig.json' },
  },
});
