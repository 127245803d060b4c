import { ValueError } from '@carousel/autograd';
import { type LSTM1997, type LSTM1997Options, modelToSafetensors, RTRL1997 } from '@carousel/nn';
import type { TrialResult } from './experiment.js';
import { REBER_PROTOCOL, reberTrial } from './experiments/exp1-embedded-reber.js';
import { runTwoSequenceTrial, type TwoSequenceVariant } from './experiments/exp3-two-sequence.js';
import {
  type EndTargetTask,
  EVAL_EVERY,
  endError,
  RECENT,
  RecentWindow,
  stopReached,
  testEndTarget,
} from './experiments/exp4-6-protocol.js';
import { addingTask } from './experiments/exp4-adding.js';
import { multiplicationTask } from './experiments/exp5-multiplication.js';
import { temporalOrderTask } from './experiments/exp6-temporal-order.js';
import { lstm1997Learner, type SequenceLearner, sequenceLoss } from './learners/index.js';
import { type PresetId, presetConfig } from './presets/index.js';
import { getExperiment } from './registry.js';
import { Rng } from './rng.js';

/**
 * `carousel train`: one trial of an experiment's protocol with the paper's `lstm1997`, keeping the
 * trained net so it can be saved as a preset. The trial is the same as trial `seed` of
 * `carousel run <id> --model lstm1997` (same initial weights, data and test stream).
 */

/** How each trainable experiment runs its trial with a net we keep. */
const PROTOCOLS = {
  reber: { kind: 'reber' },
  '3a': { kind: 'two-sequence', variant: '3a' },
  '3b': { kind: 'two-sequence', variant: '3b' },
  '3c': { kind: 'two-sequence', variant: '3c' },
  '4': { kind: 'end-target', task: () => addingTask(100) },
  '5': { kind: 'end-target', task: () => multiplicationTask(140) },
  '6a': { kind: 'end-target', task: () => temporalOrderTask('6a') },
  '6b': { kind: 'end-target', task: () => temporalOrderTask('6b') },
} as const satisfies Partial<
  Record<
    PresetId,
    { kind: 'reber' } | { kind: 'two-sequence'; variant: TwoSequenceVariant } | { kind: 'end-target'; task: () => EndTargetTask }
  >
>;

/**
 * The experiments `carousel train` can train (those with a single-trial protocol whose net can
 * be kept: reber, 3a–3c, 4, 5, 6a, 6b).
 *
 * @example
 * TRAINABLE.includes('6a'); // true
 */
export const TRAINABLE: readonly (keyof typeof PROTOCOLS)[] = ['reber', '3a', '3b', '3c', '4', '5', '6a', '6b'];

/** Options of {@link trainPreset}. */
export interface TrainOptions {
  /** Seeds the initial weights, the training data and the trial's test set (default 1). */
  seed?: number;
  /** Training budget in sequences (default: the experiment's). */
  maxSequences?: number;
  /** Learning rate (default: the experiment's). */
  lr?: number;
  /** Called every 1000 training sequences with the training error. */
  onProgress?: (sequences: number, error: number) => void;
}

/** A finished training trial and the net it trained. */
export interface TrainedPreset {
  experiment: string;
  model: 'lstm1997';
  seed: number;
  lr: number;
  /** The trained net (its parameters hold the trained weights). */
  net: LSTM1997;
  /** The net's constructor options (saved as the file's config). */
  config: LSTM1997Options;
  /** The trial: success, sequences to success, test error of the protocol's own test. */
  result: TrialResult;
  /** Wall-clock seconds. */
  seconds: number;
}

/** The paper's LSTM and its RTRL trainer, built as the experiments build them (same seed, same weights). */
function buildNet(id: PresetId, lr: number, seed: number): { net: LSTM1997; rtrl: RTRL1997 } {
  const { inputSize, outputSize, outputActivation: _, dtype: __, ...net } = presetConfig(id);
  const { net: lstm } = lstm1997Learner({ inputSize, outputSize, lr, seed }, net);
  return { net: lstm, rtrl: new RTRL1997(lstm, { lr }) };
}

/** `runEndTargetTrial` with the net kept (same data, test stream and stop rule). */
function endTargetTrial(task: EndTargetTask, rtrl: RTRL1997, seed: number, maxSequences: number, onProgress?: TrainOptions['onProgress']) {
  const rng = new Rng(seed);
  const data = rng.fork(1);
  const testRng = rng.fork(2);
  const run = (xs: readonly Float64Array[], target: Float64Array | null) => {
    rtrl.reset();
    const last = xs.length - 1;
    for (let t = 0; t < last; t++) rtrl.step(xs[t]!, null);
    return Float64Array.from(rtrl.step(xs[last]!, target));
  };
  const learner = { numWeights: 0, trainEnd: run, predictEnd: (xs: readonly Float64Array[]) => run(xs, null) };
  const recent = new RecentWindow(RECENT);
  const curve: [number, number][] = [];
  let sequences = 0;
  let success = false;
  while (sequences < maxSequences) {
    const { xs, target } = task.sample(data);
    const { error, correct } = endError(learner.trainEnd(xs, target), target, task.tolerance);
    recent.push(error, correct);
    sequences++;
    if (sequences % EVAL_EVERY === 0) {
      curve.push([sequences, recent.meanError]);
      onProgress?.(sequences, recent.meanError);
    }
    if (stopReached(task.stop, recent)) {
      if (sequences % EVAL_EVERY !== 0) curve.push([sequences, recent.meanError]);
      success = true;
      break;
    }
  }
  const test = testEndTarget(task, learner, testRng);
  return { seed, success, sequences, testError: test.wrong / test.size, curve, aborted: false };
}

/**
 * Trains one trial of experiment `id` with the paper's `lstm1997` and its protocol, and returns
 * the trained net with the trial's result. Deterministic for a given seed.
 *
 * @example
 * const trained = trainPreset('6a', { seed: 1, maxSequences: 100 });
 * trained.result.success; // false: 100 sequences are far too few
 */
export function trainPreset(id: string, opts: TrainOptions = {}): TrainedPreset {
  const protocol = PROTOCOLS[id as keyof typeof PROTOCOLS];
  if (!protocol) throw new ValueError(`cannot train '${id}'; trainable: ${TRAINABLE.join(', ')}`, 'train');
  const exp = getExperiment(id);
  const seed = opts.seed ?? 1;
  const lr = opts.lr ?? exp.defaults.lr;
  const maxSequences = opts.maxSequences ?? exp.defaults.maxSequences;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`seed must be a non-negative integer, got ${seed}`, 'train');
  if (!Number.isSafeInteger(maxSequences) || maxSequences < 1)
    throw new ValueError(`maxSequences must be a positive integer, got ${maxSequences}`, 'train');
  const started = performance.now();
  const { net, rtrl } = buildNet(id as PresetId, lr, seed);
  let result: TrialResult;
  if (protocol.kind === 'end-target') {
    result = endTargetTrial(protocol.task(), rtrl, seed, maxSequences, opts.onProgress);
  } else {
    // as lstm1997Learner, but on our trainer so the weights can be written back
    const steps = (xs: readonly Float64Array[], targets?: readonly (Float64Array | null)[]) => {
      rtrl.reset();
      return xs.map((x, t) => Float64Array.from(rtrl.step(x, targets?.[t] ?? null)));
    };
    const learner: SequenceLearner = {
      name: 'lstm1997',
      numWeights: net.numParameters(),
      train: (xs, targets) => sequenceLoss(steps(xs, targets), targets),
      predict: (xs) => steps(xs),
    };
    const trial = { seed, maxSequences, lr, onProgress: opts.onProgress };
    result =
      protocol.kind === 'reber'
        ? reberTrial('lstm1997', trial, REBER_PROTOCOL, learner)
        : runTwoSequenceTrial(protocol.variant, 100, 3, learner, trial);
  }
  rtrl.sync();
  return {
    experiment: id,
    model: 'lstm1997',
    seed,
    lr,
    net,
    config: presetConfig(id as PresetId),
    result,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The trained net as a safetensors file (`modelToSafetensors`: the config under `carousel`),
 * with metadata: experiment, model, seed, lr, sequences to success, the trial's test error, the
 * date, the package version, and `extra` (e.g. the command line).
 *
 * @example
 * const bytes = presetToSafetensors(trainPreset('6a', { maxSequences: 100 }), '0.1.0', { command: 'demo' });
 */
export function presetToSafetensors(t: TrainedPreset, version: string, extra: Record<string, string> = {}): Uint8Array {
  return modelToSafetensors(t.net, t.config, {
    experiment: t.experiment,
    model: t.model,
    seed: String(t.seed),
    lr: String(t.lr),
    success: String(t.result.success),
    sequences: String(t.result.sequences),
    testError: String(t.result.testError),
    date: new Date().toISOString(),
    version,
    ...extra,
  });
}
