import { defaultClientConditions, defaultServerConditions } from 'vite';

// Workspace imports resolve to src/ through this custom export condition, so tests need no
// build step. Vite replaces (not extends) the default conditions, hence the spread.
export const sourceResolve = {
  resolve: { conditions: ['@carousel/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@carousel/source', ...defaultServerConditions] } },
};
