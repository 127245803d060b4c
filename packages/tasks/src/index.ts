/**
 * `@carousel/tasks`: the 1997 LSTM paper's experiments as generators, training protocols and
 * success criteria, a runner, and the `carousel` CLI.
 *
 * @packageDocumentation
 */
export type { Experiment, PaperRow, TrialOptions, TrialResult } from './experiment.js';
export { embeddedReber, reberDataset } from './experiments/exp1-embedded-reber.js';
export {
  embeddedReberString,
  isEmbeddedReber,
  isReber,
  legalSuccessors,
  oneHotSymbol,
  type ReberSymbol,
  reberString,
  SYMBOLS,
} from './experiments/reber.js';
export { experiments, getExperiment } from './registry.js';
export { Rng } from './rng.js';
export { type RunOptions, type RunSummary, runExperiment } from './runner.js';
