// The browser-safe part of @carousel/tasks that this page uses. The package's index also exports
// the Node-only runner (worker pool, CLI helpers), which touches node:os when loaded, so
// vite.config.ts aliases the bare '@carousel/tasks' import to this file in the page build.
export { embeddedReberString, legalSuccessors, type ReberSymbol, SYMBOLS } from '../../../packages/tasks/src/experiments/reber.js';
export { Rng } from '../../../packages/tasks/src/rng.js';
