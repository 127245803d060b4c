import { ValueError } from '@carousel/autograd';
import type { Experiment, PaperRow, TrialOptions, TrialResult } from '../experiment.js';
import { createLearner, MODELS, type SequenceLearner } from '../learners/index.js';
import { Rng } from '../rng.js';
import { weightMatchedHidden } from './exp2-protocol.js';

/**
 * Experiment 3 (§5.3): noise and signal on the same input line — Bengio et al.'s "2-sequence
 * problem" (3a), with noisy information-carrying elements (3b), and with noisy real-valued
 * targets (3c).
 *
 * Data (one real input, two classes with probability ½ each): the length is uniform over the
 * integers T … T + T/10; the first N elements are +1.0 (class 1) or −1.0 (class 2) — in 3b plus
 * Gaussian noise of mean 0 and variance 0.2; every later element is Gaussian noise of mean 0 and
 * variance 0.2. One target, at the sequence end: 1.0 (class 1) or 0.0 (class 2) in 3a/3b; in 3c
 * 0.2 (class 1) or 0.8 (class 2) plus Gaussian target noise of mean 0 and variance 0.1.
 *
 * Stopping (Table 11: ST1 and ST2), on a test set of 256 random sequences:
 * - 3a: ST1 "none of 256 sequences from a randomly chosen test set is misclassified" (absolute
 *   output error at the end ≥ 0.2); ST2: ST1 and "mean absolute test set error is below 0.01".
 * - 3b: ST1 "less than 6 out of 256 sequences … misclassified"; ST2: ST1 and mean absolute
 *   error below 0.04.
 * - 3c: "none of 256 sequences from a randomly chosen test set is misclassified" (|output −
 *   noise-free target| > 0.1) "and mean absolute difference between noise free target and
 *   output is below 0.015" — one criterion, reported as both ST1 and ST2 here.
 * After ST2, "an additional test set consisting of 2560 randomly chosen sequences is used to
 * determine the fraction of misclassified sequences".
 *
 * Choices where the paper is silent: the 256-sequence test set is drawn once per trial and
 * evaluated every 100 training sequences (with frozen weights; not counted as training); the
 * training curve reports the mean training loss ½(t − y)² over the last 1000 sequences.
 */

/** One 2-sequence example: the inputs (one value per step), its class, and its target. */
export interface TwoSequenceSample {
  xs: Float64Array[];
  /** 1 or 2. */
  cls: 1 | 2;
  /** The training target (3c: noisy). */
  target: number;
  /** The noise-free target (3c's misclassification is judged against it). */
  clean: number;
}

/** Which variant of the 2-sequence problem. */
export type TwoSequenceVariant = '3a' | '3b' | '3c';

/** A standard normal draw (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Standard deviation of the input noise (variance 0.2) and of 3c's target noise (variance 0.1). */
export const INPUT_NOISE_SD = Math.sqrt(0.2);
export const TARGET_NOISE_SD = Math.sqrt(0.1);

/**
 * Draws one sequence of the 2-sequence problem (see the module comment).
 *
 * @example
 * const s = twoSequenceSample(new Rng(1), '3a', 100, 3);
 * s.xs.length; // in [100, 110]; s.xs[0][0] is ±1
 */
export function twoSequenceSample(rng: Rng, variant: TwoSequenceVariant, T: number, N: number): TwoSequenceSample {
  if (!Number.isInteger(T) || T < 1) throw new ValueError(`T must be a positive integer, got ${T}`, 'twoSequenceSample');
  if (!Number.isInteger(N) || N < 1 || N > T) throw new ValueError(`N must be an integer in [1, T], got ${N}`, 'twoSequenceSample');
  const cls = rng.chance(0.5) ? 1 : 2;
  const length = T + rng.int(Math.floor(T / 10) + 1);
  const xs = Array.from({ length }, (_, t) => {
    const signal = t < N ? (cls === 1 ? 1 : -1) : 0;
    const noisy = t >= N || variant === '3b';
    return Float64Array.of(signal + (noisy ? INPUT_NOISE_SD * gaussian(rng) : 0));
  });
  if (variant === '3c') {
    const clean = cls === 1 ? 0.2 : 0.8;
    return { xs, cls, target: clean + TARGET_NOISE_SD * gaussian(rng), clean };
  }
  const clean = cls === 1 ? 1 : 0;
  return { xs, cls, target: clean, clean };
}

/** The stop and misclassification rules of a variant. */
export interface TwoSequenceRules {
  /** A test sequence is misclassified when |output − noise-free target| reaches this (3a/3b: ≥ 0.2; 3c: > 0.1). */
  misclassified: (absError: number) => boolean;
  /** ST1 allows fewer than this many misclassified test sequences. */
  maxWrong: number;
  /** ST2: mean absolute test error below this. */
  meanError: number;
}

export const RULES: Record<TwoSequenceVariant, TwoSequenceRules> = {
  '3a': { misclassified: (e) => !(e < 0.2), maxWrong: 1, meanError: 0.01 },
  '3b': { misclassified: (e) => !(e < 0.2), maxWrong: 6, meanError: 0.04 },
  '3c': { misclassified: (e) => !(e <= 0.1), maxWrong: 1, meanError: 0.015 },
};

/**
 * The Experiment 3 net (Table 10, rows 3a/3b/3c): 3 blocks × 1 cell, fully connected hidden
 * layer, outputs from the cells only; cells and gates biased ("b1"), the output unit not; weights
 * in [−0.1, 0.1]; input-gate biases −1, −3, −5; output-gate biases −2, −4, −6; h ∈ [−1, 1],
 * g ∈ [−2, 2]. 102 weights. Learning rate 1.0 (3a/3b) or 0.1 (3c).
 */
export const EXP3_NET = {
  blocks: 3,
  cellsPerBlock: 1,
  bias: { cell: true, gate: true, output: false },
  initRange: 0.1,
  inputGateBias: [-1, -3, -5],
  outputGateBias: [-2, -4, -6],
} as const;

/** Training sequences between tests on the 256-sequence test set. */
export const EXP3_EVAL_EVERY = 100;
/** Training sequences between points of the training curve. */
export const EXP3_CURVE_EVERY = 1000;
/** The stop test's size and the final test's size. */
export const STOP_TEST_SIZE = 256;
export const FINAL_TEST_SIZE = 2560;

/** Knobs of {@link runTwoSequenceTrial} beyond the paper's protocol. */
export interface TwoSequenceRunOptions {
  /** Size of the final test set (default 2560, the paper's). */
  finalTestSize?: number;
  /**
   * Draw a new 256-sequence test set for every stop test instead of one per trial (default
   * false). With one fixed set, a single hard test sequence can hold off ST1 for a long time.
   */
  freshTestSets?: boolean;
}

/** Experiment 3's trial result: a {@link TrialResult} plus the paper's other columns. */
export interface TwoSequenceTrialResult extends TrialResult {
  /** Training sequences until ST1 (null if never reached). `sequences` is ST2's count. */
  st1Sequences: number | null;
  /** Mean |output − noise-free target| on the final test set (3c's "av. difference to mean"). */
  testMeanError: number;
}

/** Outputs at the end, |y − clean| per sequence. */
function endErrors(learner: SequenceLearner, samples: readonly TwoSequenceSample[]): number[] {
  return samples.map((s) => Math.abs(learner.predict(s.xs).at(-1)![0]! - s.clean));
}

/**
 * One trial: on-line training sequences with a target at the end only; every 100 training
 * sequences the test set is evaluated (stopped early once ST1 has failed); ST1 and ST2 are
 * recorded at the first test where they hold, and training stops at ST2. Then 2560 fresh
 * sequences give `testError` (fraction misclassified) and `testMeanError`.
 */
export function runTwoSequenceTrial(
  variant: TwoSequenceVariant,
  T: number,
  N: number,
  learner: SequenceLearner,
  opts: TrialOptions,
  run: TwoSequenceRunOptions = {},
): TwoSequenceTrialResult {
  const finalTestSize = run.finalTestSize ?? FINAL_TEST_SIZE;
  if (!Number.isInteger(opts.maxSequences) || opts.maxSequences < 0)
    throw new ValueError(`maxSequences must be a non-negative integer, got ${opts.maxSequences}`, 'runTrial');
  const rules = RULES[variant];
  const root = new Rng(opts.seed);
  const train = root.fork(1);
  const testRng = root.fork(2);
  // "a randomly chosen test set": drawn once per trial (or afresh for every test)
  const draw = () => Array.from({ length: STOP_TEST_SIZE }, () => twoSequenceSample(testRng, variant, T, N));
  const fixed = run.freshTestSets ? null : draw();
  const curve: [number, number][] = [];
  let st1Sequences: number | null = null;
  let sequences = 0;
  let lossSum = 0;
  let lossCount = 0;
  const finish = (success: boolean): TwoSequenceTrialResult => {
    const final = Array.from({ length: finalTestSize }, () => twoSequenceSample(testRng, variant, T, N));
    const errors = endErrors(learner, final);
    return {
      seed: opts.seed,
      success,
      sequences,
      testError: errors.filter(rules.misclassified).length / errors.length,
      curve,
      aborted: false,
      st1Sequences,
      testMeanError: errors.reduce((a, b) => a + b, 0) / errors.length,
    };
  };
  while (sequences < opts.maxSequences) {
    if (opts.signal?.aborted)
      return {
        seed: opts.seed,
        success: false,
        sequences,
        testError: Number.NaN,
        curve,
        aborted: true,
        st1Sequences,
        testMeanError: Number.NaN,
      };
    const s = twoSequenceSample(train, variant, T, N);
    const targets: (Float64Array | null)[] = s.xs.map(() => null);
    targets[s.xs.length - 1] = Float64Array.of(s.target);
    lossSum += learner.train(s.xs, targets);
    lossCount++;
    sequences++;
    if (sequences % EXP3_CURVE_EVERY === 0) {
      const mean = lossSum / lossCount;
      curve.push([sequences, mean]);
      opts.onProgress?.(sequences, mean);
      lossSum = 0;
      lossCount = 0;
    }
    if (sequences % EXP3_EVAL_EVERY === 0) {
      const { st1, meanError } = stopTest(learner, fixed ?? draw(), rules, st1Sequences === null);
      if (st1) {
        st1Sequences ??= sequences;
        if (meanError < rules.meanError) return finish(true);
      }
    }
  }
  return finish(false);
}

/**
 * ST1 on the test set, and the mean absolute error. With `early`, stops at the misclassification
 * that breaks ST1 (before ST1 was first reached only ST1 matters; the mean is then NaN).
 */
function stopTest(
  learner: SequenceLearner,
  testSet: readonly TwoSequenceSample[],
  rules: TwoSequenceRules,
  early: boolean,
): { st1: boolean; meanError: number } {
  let wrong = 0;
  let sum = 0;
  for (const s of testSet) {
    const e = Math.abs(learner.predict(s.xs).at(-1)![0]! - s.clean);
    sum += e;
    if (rules.misclassified(e) && ++wrong >= rules.maxWrong && early) return { st1: false, meanError: Number.NaN };
  }
  return { st1: wrong < rules.maxWrong, meanError: sum / testSet.length };
}

/** The paper's rows (Tables 4–6), by variant, T and N: sequences to ST1 and to ST2 (means of 10 trials). */
const TABLES: Record<TwoSequenceVariant, { T: number; N: number; st1: number; st2: number; misclassified: number }[]> = {
  '3a': [
    { T: 100, N: 3, st1: 27_380, st2: 39_850, misclassified: 0.000195 },
    { T: 100, N: 1, st1: 58_370, st2: 64_330, misclassified: 0.000117 },
    { T: 1000, N: 3, st1: 446_850, st2: 452_460, misclassified: 0.000078 },
  ],
  '3b': [
    { T: 100, N: 3, st1: 41_740, st2: 43_250, misclassified: 0.00828 },
    { T: 100, N: 1, st1: 74_950, st2: 78_430, misclassified: 0.015 },
    { T: 1000, N: 1, st1: 481_060, st2: 485_080, misclassified: 0.01207 },
  ],
  '3c': [
    { T: 100, N: 3, st1: 269_650, st2: 269_650, misclassified: 0.00558 },
    { T: 100, N: 1, st1: 565_640, st2: 565_640, misclassified: 0.00441 },
  ],
};

const TITLES: Record<TwoSequenceVariant, string> = {
  '3a': 'Two-sequence problem (noise and signal on one channel)',
  '3b': 'Two-sequence problem with noisy information',
  '3c': 'Two-sequence problem with noisy real-valued targets',
};

/**
 * Experiment 3a/3b/3c for (T, N); id `3a-t{T}-n{N}` (or `id`). Models: `lstm1997` (the paper's
 * net, per-step RTRL — with the only target at the end, one update per sequence) and the zoo
 * baselines (BPTT, one update per sequence, hidden size by weight count: 8). `sequences` counts
 * training sequences until ST2; test sequences are not counted. The 256-sequence test runs every
 * 100 training sequences: the paper's means over 10 trials (Tables 4–6) are all multiples of 10,
 * as they would be if every trial's count were a multiple of 100.
 */
export function exp3Experiment(
  variant: TwoSequenceVariant,
  T: number,
  N: number,
  opts: { id?: string } & TwoSequenceRunOptions = {},
): Experiment {
  const row = TABLES[variant].find((r) => r.T === T && r.N === N);
  const paper: PaperRow[] = row
    ? variant === '3c'
      ? [{ label: `LSTM T ${T}, N ${N}: stop`, sequences: row.st2 }]
      : [
          { label: `LSTM T ${T}, N ${N}: ST1`, sequences: row.st1 },
          { label: `LSTM T ${T}, N ${N}: ST2`, sequences: row.st2 },
        ]
    : [];
  const lr = variant === '3c' ? 0.1 : 1.0;
  return {
    id: opts.id ?? `${variant}-t${T}-n${N}`,
    title: `${TITLES[variant]}, T = ${T}, N = ${N}`,
    source: `Hochreiter & Schmidhuber 1997, §5.3 (Task ${variant}), Table ${{ '3a': 4, '3b': 5, '3c': 6 }[variant]}`,
    models: MODELS,
    defaults: { model: 'lstm1997', lr, maxSequences: T >= 1000 || variant === '3c' ? 2_000_000 : 1_000_000, trials: 10 },
    paper,
    runTrial(model: string, trial: TrialOptions): TrialResult {
      const spec = { inputSize: 1, outputSize: 1, lr: trial.lr ?? lr, seed: trial.seed };
      const learner = createLearner(model, spec, { lstm1997: EXP3_NET, hidden: weightMatchedHidden(102, 1, 1) });
      return runTwoSequenceTrial(variant, T, N, learner, trial, opts);
    },
  };
}

/** `3a`, `3b`, `3c`: each table's first row. */
export const twoSequence = exp3Experiment('3a', 100, 3, { id: '3a' });
/** Experiment 3b: noise on the signal channel too (Table 5's first row). */
export const twoSequenceNoisy = exp3Experiment('3b', 100, 3, { id: '3b' });
/** Experiment 3c: noisy targets, mean-difference criterion (Table 6's first row). */
export const twoSequenceNoisyTargets = exp3Experiment('3c', 100, 3, { id: '3c' });
/** Every row of Tables 4–6, as `3a-t100-n3` etc. */
export const twoSequenceTables = (['3a', '3b', '3c'] as const).flatMap((v) => TABLES[v].map((r) => exp3Experiment(v, r.T, r.N)));
