import { defineConfig } from 'vite';
import { sourceResolve } from '../../vitest.shared.js';

// Workspace packages resolve to their TypeScript sources (the `@carousel/source` condition), so
// the page runs without building them; the `browser` condition picks @carousel/tasks's browser
// entry. Serve on 127.0.0.1 only.
export default defineConfig({
  resolve: sourceResolve.resolve,
  ssr: sourceResolve.ssr,
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
