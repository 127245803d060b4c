import { ValueError } from '@carousel/autograd';
import type { TrialOptions, TrialResult } from '../experiment.js';
import type { SequenceLearner } from '../learners/index.js';
import { Rng } from '../rng.js';

/**
 * The shared protocol of Experiment 2 (§5.2, Table 11): on-line training on random sequences,
 * and the paper's success test — "after training, during 10,000 successive, randomly chosen
 * input sequences, the maximal absolute error of all output units is always below β" (2a:
 * β = 0.25 at every step; 2b: 0.25 at the sequence end; 2c: 0.2 for the final element).
 *
 * Counting choices (the paper is silent on them):
 * - The success test runs with frozen weights on fresh sequences from a stream of its own,
 *   every `evalEvery` training sequences, and stops at the first sequence that fails. A trial
 *   succeeds at the first test that passes all 10,000; `sequences` is the number of training
 *   sequences presented until then. Test sequences are not counted (2a's mean of 5,040 is below
 *   10,000, so the paper cannot have counted them or required 10,000 correct training sequences).
 * - A failed test that used n test sequences postpones the next one by max(evalEvery, n)
 *   training sequences, so a net that is almost right never spends more time testing than
 *   training; detection is then late by at most that interval.
 * - A task with a finite set of sequences (2a has exactly two) tests each of them once: with
 *   frozen weights this is what 10,000 random draws from them test.
 * - The training curve (and `onProgress`) reports the mean training loss ½·Σ(t − y)² per
 *   sequence over the last `curveEvery` sequences; a failed trial's `testError` is the fraction
 *   of 1000 fresh sequences (no early exit) that fail the criterion, a successful one's is 0.
 */

/** One sequence: inputs at every step, targets where the step has an error signal. */
export interface LagSample {
  xs: Float64Array[];
  targets: (Float64Array | null)[];
}

/** An Experiment 2 task as the protocol sees it. */
export interface LagTask {
  inputSize: number;
  outputSize: number;
  /** Draws one random sequence (training and test sequences come from the same distribution). */
  sample(rng: Rng): LagSample;
  /** ABS(β) threshold of the success test. */
  tolerance: number;
  /** Steps the success test checks: every target step (2a) or only the last one (2b, 2c). */
  check: 'all' | 'last';
  /** The complete set of distinct sequences, when small (2a): tested exhaustively. */
  all?: readonly LagSample[];
}

/** Knobs of {@link runLagTrial}; the defaults are the paper's where it has one. */
export interface LagProtocol {
  /** Training sequences between success tests. */
  evalEvery: number;
  /** Training sequences between points of the training curve (and progress reports). */
  curveEvery: number;
  /** Sequences the success test must pass (10,000). */
  testSize?: number;
  /** Sequences tested (without early exit) to report `testError` when a trial fails (default 1000). */
  failTestSize?: number;
  /** The success test is skipped while this is false (e.g. before 2a's memory cell is added). */
  ready?: () => boolean;
}

/** Experiment 2's trial result: a {@link TrialResult} plus the cost of testing. */
export interface LagTrialResult extends TrialResult {
  /** Test sequences run by all success tests together (not counted in `sequences`). */
  testSequences: number;
  /** Number of success tests run. */
  tests: number;
}

/** The paper's test size: 10,000 successive random sequences. */
export const SUCCESS_TEST_SIZE = 10_000;

/** Whether `ys` meets ABS(β) at the steps the task checks: every output's |t − y| < β. */
export function lagCorrect(task: LagTask, ys: readonly Float64Array[], targets: readonly (Float64Array | null)[]): boolean {
  const steps = task.check === 'all' ? targets.keys() : [lastTarget(targets)];
  for (const t of steps) {
    const target = targets[t];
    if (!target) continue;
    const y = ys[t]!;
    for (let k = 0; k < target.length; k++) if (!(Math.abs(target[k]! - y[k]!) < task.tolerance)) return false;
  }
  return true;
}

const lastTarget = (targets: readonly (Float64Array | null)[]) => {
  for (let t = targets.length - 1; t >= 0; t--) if (targets[t]) return t;
  throw new ValueError('a sequence without targets', 'lagCorrect');
};

/**
 * Runs the success test: sequences from `rng` (or the task's complete set) with frozen weights,
 * up to `size` of them or the first failure. Returns how many passed and how many were run.
 */
export function lagTest(
  task: LagTask,
  learner: SequenceLearner,
  rng: Rng,
  size: number,
  stopAtFailure = true,
): { passed: number; run: number } {
  let passed = 0;
  let run = 0;
  const n = task.all ? task.all.length : size;
  for (let i = 0; i < n; i++) {
    const s = task.all ? task.all[i]! : task.sample(rng);
    run++;
    if (lagCorrect(task, learner.predict(s.xs), s.targets)) passed++;
    else if (stopAtFailure) break;
  }
  return { passed, run };
}

/** One trial of an Experiment 2 task with `learner` (see the module comment for what is counted). */
export function runLagTrial(task: LagTask, learner: SequenceLearner, opts: TrialOptions, protocol: LagProtocol): LagTrialResult {
  if (!Number.isInteger(opts.maxSequences) || opts.maxSequences < 0)
    throw new ValueError(`maxSequences must be a non-negative integer, got ${opts.maxSequences}`, 'runTrial');
  const root = new Rng(opts.seed);
  const train = root.fork(1);
  const test = root.fork(2);
  const testSize = protocol.testSize ?? SUCCESS_TEST_SIZE;
  const curve: [number, number][] = [];
  let sequences = 0;
  let testSequences = 0;
  let tests = 0;
  let nextTest = protocol.evalEvery;
  let lossSum = 0;
  let lossCount = 0;
  const result = (success: boolean, testError: number, aborted = false): LagTrialResult => ({
    seed: opts.seed,
    success,
    sequences,
    testError,
    curve,
    aborted,
    testSequences,
    tests,
  });
  while (sequences < opts.maxSequences) {
    if (opts.signal?.aborted) return result(false, Number.NaN, true);
    const s = task.sample(train);
    lossSum += learner.train(s.xs, s.targets);
    lossCount++;
    sequences++;
    if (sequences % protocol.curveEvery === 0) {
      const mean = lossSum / lossCount;
      curve.push([sequences, mean]);
      opts.onProgress?.(sequences, mean);
      lossSum = 0;
      lossCount = 0;
    }
    if (sequences >= nextTest && (protocol.ready?.() ?? true)) {
      const { passed, run } = lagTest(task, learner, test, testSize);
      tests++;
      testSequences += run;
      if (passed === run && run === (task.all?.length ?? testSize)) return result(true, 0);
      nextTest = sequences + Math.max(protocol.evalEvery, run);
    }
  }
  const { passed, run } = lagTest(task, learner, test, protocol.failTestSize ?? 1000, false);
  return result(false, 1 - passed / run);
}

/** One-hot vectors of size n, shared (never mutate them): `onehots(n)[i]` has a 1 at i. */
export function onehots(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => {
    const v = new Float64Array(n);
    v[i] = 1;
    return v;
  });
}

/**
 * Hidden size of the zoo baselines: the one whose Elman net (H(I + H + 2) weights in the layer,
 * K(H + 1) in the head) has the weight count closest to the paper's net (ties: the smaller).
 * The gated baselines get the same hidden size, hence about 3–4× the weights.
 */
export function weightMatchedHidden(weights: number, inputSize: number, outputSize: number): number {
  const elman = (h: number) => h * (inputSize + h + 2) + outputSize * (h + 1);
  let h = 1;
  while (Math.abs(elman(h + 1) - weights) < Math.abs(elman(h) - weights)) h++;
  return h;
}
