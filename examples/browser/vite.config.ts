import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sourceResolve } from '../../vitest.shared.js';

// Workspace packages resolve to their TypeScript sources (the `@carousel/source` condition), so
// the page runs without building them. '@carousel/tasks' maps to its browser-safe part (the
// package index also loads the Node-only runner). Serve on 127.0.0.1 only.
export default defineConfig({
  resolve: {
    ...sourceResolve.resolve,
    alias: [{ find: /^@carousel\/tasks$/, replacement: fileURLToPath(new URL('./src/tasks-browser.ts', import.meta.url)) }],
  },
  ssr: sourceResolve.ssr,
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
