/**
 * `@carousel/tasks/browser`: the part of `@carousel/tasks` that runs in a browser — the
 * experiments with their generators, protocols and success tests, the learners, the in-process
 * runner, gradient-flow and chart helpers, the registry and the seeded RNG. It loads no Node
 * module; bundlers that resolve the `browser` export condition pick it for `@carousel/tasks`
 * too. What needs Node is only in the main entry: the worker-pool runner (`runParallel`, worker
 * threads) and `loadPretrained` (it reads a weights file synchronously); here the shipped
 * weights load with `await fetchPretrained(id)`.
 *
 * @packageDocumentation
 */
export type { Experiment, PaperRow, TrialOptions, TrialResult } from './experiment.js';
export {
  ALPHA_DECAY,
  CERG_MODELS,
  CERG_TABLE2,
  type CergModel,
  type CergRow,
  type CergStep,
  cergNet,
  cergRow,
  cergStream,
  continualReber,
  correctPrediction,
  GOOD_LENGTH,
  STREAM_LENGTH,
  TEST_STREAMS,
  TOLERANCE,
} from './experiments/cerg.js';
export { type CergForget, CergNet, type CergNetOptions, type CergParamName, CergRTRL, type CergState } from './experiments/cerg-net.js';
export {
  embeddedReber,
  REBER_PROTOCOL,
  type ReberProtocol,
  reberDataset,
  reberLearner,
  reberStringError,
  reberTargets,
  reberTrial,
} from './experiments/exp1-embedded-reber.js';
export {
  type LagProtocol,
  type LagSample,
  type LagTask,
  type LagTrialResult,
  lagTest,
  runLagTrial,
  SUCCESS_TEST_SIZE,
  weightMatchedHidden,
} from './experiments/exp2-protocol.js';
export {
  EXP2AB_NET,
  exp2aExperiment,
  type GrowthOptions,
  grownLstm1997,
  noiseFreeLongLags,
  noiseFreeSequence,
  noiseFreeTask,
} from './experiments/exp2a-long-lags.js';
export {
  exp2bExperiment,
  noLocalRegularities,
  noLocalRegularitySequence,
  noLocalRegularityTask,
} from './experiments/exp2b-no-local-regularities.js';
export {
  EXP2C_NET,
  exp2cExperiment,
  exp2cSymbols,
  TABLE3,
  veryLongLagSequence,
  veryLongLags,
  veryLongLagTask,
} from './experiments/exp2c-very-long-lags.js';
export {
  EXP3_NET,
  exp3Experiment,
  runTwoSequenceTrial,
  type TwoSequenceRunOptions,
  type TwoSequenceSample,
  type TwoSequenceTrialResult,
  type TwoSequenceVariant,
  twoSequence,
  twoSequenceNoisy,
  twoSequenceNoisyTargets,
  twoSequenceSample,
} from './experiments/exp3-two-sequence.js';
export {
  type EndTargetLearner,
  type EndTargetRunOptions,
  type EndTargetSample,
  type EndTargetTask,
  EVAL_EVERY,
  endError,
  endTargetLearner,
  RECENT,
  RecentWindow,
  runEndTargetTrial,
  type StopCriterion,
  stopReached,
  TEST_SIZE,
  testEndTarget,
} from './experiments/exp4-6-protocol.js';
export {
  addingExperiment,
  addingNet,
  addingProblem,
  addingProblem500,
  addingProblem1000,
  addingSequence,
  addingTask,
  type MarkedSequence,
  type MarkedSequenceOptions,
  markedSequence,
} from './experiments/exp4-adding.js';
export {
  multiplicationExperiment,
  multiplicationProblem,
  multiplicationProblem13,
  multiplicationSequence,
  multiplicationTask,
} from './experiments/exp5-multiplication.js';
export {
  ORDER_CLASSES,
  ORDER_SYMBOLS,
  ORDER_WINDOWS,
  type OrderSequence,
  type OrderVariant,
  temporalOrder2,
  temporalOrder3,
  temporalOrderExperiment,
  temporalOrderNet,
  temporalOrderSequence,
  temporalOrderTask,
} from './experiments/exp6-temporal-order.js';
export {
  ADDING_BASELINE_MSE,
  ADDING_SOLVED_MSE,
  MODERN_ADDING_TRAINING,
  type ModernAddingSequence,
  modernAdding,
  modernAddingExperiment,
  modernAddingSequence,
  modernAddingTask,
} from './experiments/modern-adding.js';
export {
  inputTensor,
  type ModernBatch,
  type ModernModel,
  type ModernTask,
  type ModernTraining,
  modernModel,
  runModernTrial,
} from './experiments/modern-common.js';
export {
  BLANK,
  COPY_CATEGORIES,
  COPY_LENGTH,
  COPY_SOLVED_ACCURACY,
  COPY_TRAINING,
  type CopySequence,
  copyBaseline,
  copyExperiment,
  copyMemory,
  copySequence,
  copyTask,
  DELIMITER,
} from './experiments/modern-copy.js';
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
export { FLOW_MODELS, type FlowModel, type FlowOptions, type FlowResult, flowChart, gradientFlow } from './flow.js';
export {
  type Architectures,
  BaselineNet,
  type BaselineNetOptions,
  BPTT_MODELS,
  type BpttLearner,
  type BpttModel,
  baselineDType,
  bpttLearner,
  createLearner,
  type LearnerSpec,
  lstm1997Learner,
  MODELS,
  type RTRLLearnerOptions,
  type SequenceLearner,
  sequenceLoss,
} from './learners/index.js';
export { type LineChart, learningCurveChart, lineChartSvg, type Series } from './plot.js';
export { fetchPretrained, presets } from './presets/browser.js';
export {
  BASELINE_PRESET_IDS,
  type BaselinePresetId,
  type BaselinePresetOptions,
  type BaselinePresets,
  baselineConfig,
  type ModernPresetId,
  PRESET_IDS,
  PRETRAINED,
  type Preset,
  type PresetId,
  type PresetOptions,
  type Presets,
  type Pretrained,
  type PretrainedId,
  presetConfig,
  pretrainedFileName,
  pretrainedFromSafetensors,
} from './presets/index.js';
export { experimentAliases, experimentList, experiments, getExperiment } from './registry.js';
export { Rng } from './rng.js';
export { mean, median, planRun, type RunOptions, type RunPlan, type RunSummary, runExperiment, summarize } from './runner.js';
export { presetToSafetensors, TRAINABLE, type TrainedPreset, type TrainOptions, trainPreset } from './train.js';
