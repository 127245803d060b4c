/**
 * `@carousel/tasks`: the 1997 LSTM paper's experiments as generators, training protocols and
 * success criteria, a runner, and the `carousel` CLI. In a browser, import `@carousel/tasks/browser`
 * (bundlers that resolve the `browser` condition do so for `@carousel/tasks` by themselves).
 *
 * @packageDocumentation
 */
// The browser-safe part (everything but the Node-only modules below) lives in browser.ts.
export * from './browser.js';
export { BACKENDS, checkBackend, type ParallelRunOptions, type ParallelRunSummary, runParallel } from './pool.js';
// Node's presets read the weight files (they replace the browser entry's `presets` and `fetchPretrained`)
export { fetchPretrained, loadPretrained, presets } from './presets/node.js';
