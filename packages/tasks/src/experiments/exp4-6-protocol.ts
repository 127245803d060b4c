import { ValueError } from '@carousel/autograd';
import { RTRL1997 } from '@carousel/nn';
import type { TrialOptions, TrialResult } from '../experiment.js';
import { type Architectures, createLearner, lstm1997Learner } from '../learners/index.js';
import { Rng } from '../rng.js';

/**
 * The shared protocol of Experiments 4–6 (§5.4–5.6): sequences generated on-line, one target at
 * the sequence end, activations reset per sequence, a stop criterion over the most recent 2000
 * training sequences, then a test on 2560 fresh sequences (Table 11).
 */

/** One training or test sequence: inputs at every step, one target after the last step. */
export interface EndTargetSample {
  xs: Float64Array[];
  target: Float64Array;
}

/**
 * When training stops (Table 11):
 * - `st3`: ST3(β) — the average training error of the `window` most recent sequences is below
 *   β and all of them were processed correctly (Exp. 4: β = 0.01, Exp. 6: β = 0.1);
 * - `nseq`: fewer than `n` of the `window` most recent sequences were processed wrongly
 *   (Exp. 5: n = 140 or 13).
 */
export type StopCriterion = { kind: 'st3'; beta: number } | { kind: 'nseq'; n: number };

/** A 1997 task with a single target at the sequence end. */
export interface EndTargetTask {
  inputSize: number;
  outputSize: number;
  /** Draws one sequence (the paper's on-line generation, "t3" in Table 11). */
  sample(rng: Rng): EndTargetSample;
  /** ABS(β): a sequence is correct when every output's absolute error at the end is below this. */
  tolerance: number;
  stop: StopCriterion;
  /** The nets: the paper's preset and the baselines' hidden size. */
  arch: Architectures;
}

/** Size of the window of recent training sequences the stop criteria look at. */
export const RECENT = 2000;
/** Size of the test set (Table 11). */
export const TEST_SIZE = 2560;
/** Sequences between points of the training curve. */
export const EVAL_EVERY = 1000;

/** A learner seen through the end of the sequence: the output the target is compared with. */
export interface EndTargetLearner {
  readonly numWeights: number;
  /** Trains on one sequence; returns the outputs at its last step, as computed before the update. */
  trainEnd(xs: readonly Float64Array[], target: Float64Array): Float64Array;
  /** The outputs at the last step, without learning. */
  predictEnd(xs: readonly Float64Array[]): Float64Array;
}

/**
 * Builds `model` for an end-target task. `lstm1997` runs the paper's per-step truncated RTRL;
 * since the only target is at the last step, the single weight update happens there and equals
 * a per-sequence update. The zoo baselines train by BPTT, one SGD step per sequence (their
 * pre-update output comes from an extra forward pass).
 */
export function endTargetLearner(task: EndTargetTask, model: string, lr: number, seed: number): EndTargetLearner {
  const spec = { inputSize: task.inputSize, outputSize: task.outputSize, lr, seed };
  if (model === 'lstm1997') {
    const { net, numWeights } = lstm1997Learner(spec, task.arch.lstm1997);
    const rtrl = new RTRL1997(net, { lr });
    const run = (xs: readonly Float64Array[], target: Float64Array | null) => {
      rtrl.reset();
      const last = xs.length - 1;
      for (let t = 0; t < last; t++) rtrl.advance(xs[t]!); // no target, outputs unread
      return Float64Array.from(rtrl.step(xs[last]!, target));
    };
    return { numWeights, trainEnd: (xs, target) => run(xs, target), predictEnd: (xs) => run(xs, null) };
  }
  const learner = createLearner(model, spec, task.arch);
  const predictEnd = (xs: readonly Float64Array[]) => learner.predict(xs).at(-1)!;
  return {
    numWeights: learner.numWeights,
    trainEnd(xs, target) {
      const y = predictEnd(xs);
      const targets: (Float64Array | null)[] = xs.map(() => null);
      targets[xs.length - 1] = target;
      learner.train(xs, targets);
      return y;
    },
    predictEnd,
  };
}

/** Mean absolute error over the outputs, and whether every output is within `tolerance`. */
export function endError(y: ArrayLike<number>, target: ArrayLike<number>, tolerance: number): { error: number; correct: boolean } {
  let sum = 0;
  let correct = true;
  for (let k = 0; k < target.length; k++) {
    const e = Math.abs(target[k]! - y[k]!);
    sum += e;
    if (!(e < tolerance)) correct = false;
  }
  return { error: sum / target.length, correct };
}

/**
 * Sliding record of the most recent `size` training sequences: their mean error and how many
 * were processed wrongly.
 */
export class RecentWindow {
  readonly #errors: Float64Array;
  readonly #wrong: Uint8Array;
  #count = 0;
  #sum = 0;
  #wrongCount = 0;

  constructor(readonly size: number) {
    this.#errors = new Float64Array(size);
    this.#wrong = new Uint8Array(size);
  }

  /** Records one sequence's error and whether it was processed correctly. */
  push(error: number, correct: boolean): void {
    const i = this.#count % this.size;
    if (this.#count >= this.size) {
      this.#sum -= this.#errors[i]!;
      this.#wrongCount -= this.#wrong[i]!;
    }
    this.#errors[i] = error;
    this.#wrong[i] = correct ? 0 : 1;
    this.#sum += error;
    this.#wrongCount += correct ? 0 : 1;
    this.#count++;
  }

  /** True once `size` sequences have been seen. */
  get full(): boolean {
    return this.#count >= this.size;
  }

  /** Mean error of the sequences in the window. */
  get meanError(): number {
    const n = Math.min(this.#count, this.size);
    return n ? this.#sum / n : Number.NaN;
  }

  /** Wrongly processed sequences in the window. */
  get wrong(): number {
    return this.#wrongCount;
  }
}

/** Whether the stop criterion holds on the window (which must be full). */
export function stopReached(stop: StopCriterion, w: RecentWindow): boolean {
  if (!w.full) return false;
  return stop.kind === 'st3' ? w.wrong === 0 && w.meanError < stop.beta : w.wrong < stop.n;
}

/** Test-set statistics: wrong sequences (ABS criterion) and mean absolute error. */
export function testEndTarget(
  task: EndTargetTask,
  learner: EndTargetLearner,
  rng: Rng,
  size = TEST_SIZE,
): { wrong: number; size: number; meanError: number } {
  let wrong = 0;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const { xs, target } = task.sample(rng);
    const { error, correct } = endError(learner.predictEnd(xs), target, task.tolerance);
    sum += error;
    if (!correct) wrong++;
  }
  return { wrong, size, meanError: sum / size };
}

/** Extra knobs of {@link runEndTargetTrial} (tests use a small test set for the slow baselines). */
export interface EndTargetRunOptions {
  /** Test-set size (default 2560, as the paper). */
  testSize?: number;
}

/**
 * One trial of an end-target experiment. Every sequence is a fresh on-line sample; the trial
 * succeeds when the stop criterion holds (checked after every sequence), and `sequences` is the
 * number of training sequences presented until then. `testError` is the fraction of the
 * 2560 test sequences processed wrongly; the curve holds the mean absolute training error of
 * the most recent 2000 sequences every 1000 sequences.
 */
export function runEndTargetTrial(
  task: EndTargetTask,
  model: string,
  opts: TrialOptions,
  defaultLr: number,
  run: EndTargetRunOptions = {},
): TrialResult {
  if (!Number.isInteger(opts.maxSequences) || opts.maxSequences < 0)
    throw new ValueError(`maxSequences must be a non-negative integer, got ${opts.maxSequences}`, 'runTrial');
  const rng = new Rng(opts.seed);
  const data = rng.fork(1);
  const testRng = rng.fork(2);
  const learner = endTargetLearner(task, model, opts.lr ?? defaultLr, opts.seed);
  const recent = new RecentWindow(RECENT);
  const curve: [number, number][] = [];
  const finish = (sequences: number, success: boolean): TrialResult => {
    const test = testEndTarget(task, learner, testRng, run.testSize);
    return { seed: opts.seed, success, sequences, testError: test.wrong / test.size, curve, aborted: false };
  };
  let sequences = 0;
  while (sequences < opts.maxSequences) {
    // an aborted trial is dropped by the runner: skip its (slow) test
    if (opts.signal?.aborted) return { seed: opts.seed, success: false, sequences, testError: Number.NaN, curve, aborted: true };
    const { xs, target } = task.sample(data);
    const { error, correct } = endError(learner.trainEnd(xs, target), target, task.tolerance);
    recent.push(error, correct);
    sequences++;
    if (sequences % EVAL_EVERY === 0) {
      curve.push([sequences, recent.meanError]);
      opts.onProgress?.(sequences, recent.meanError);
    }
    if (stopReached(task.stop, recent)) {
      if (sequences % EVAL_EVERY !== 0) curve.push([sequences, recent.meanError]);
      return finish(sequences, true);
    }
  }
  return finish(sequences, false);
}
