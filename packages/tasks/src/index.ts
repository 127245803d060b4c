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
export {
  BASELINE_PRESET_IDS,
  type BaselinePresetId,
  type BaselinePresetOptions,
  type BaselinePresets,
  baselineConfig,
  loadPretrained,
  type ModernPresetId,
  PRESET_IDS,
  PRETRAINED,
  type Preset,
  type PresetId,
  type PresetOptions,
  presetConfig,
  presets,
} from './presets/index.js';
export { presetToSafetensors, TRAINABLE, type TrainedPreset, type TrainOptions, trainPreset } from './train.js';
