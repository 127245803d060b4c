import { type Tensor, tensor, ValueError } from '@carousel/autograd';
import type { Experiment } from '../experiment.js';
import { BPTT_MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type ModernBatch, type ModernTask, type ModernTraining, runModernTrial } from './modern-common.js';

/** Number of categories a0 … a9: a0–a7 data, a8 blank, a9 delimiter. */
export const COPY_CATEGORIES = 10;
/** The blank category a8. */
export const BLANK = 8;
/** The delimiter a9 ("start recalling"). */
export const DELIMITER = 9;
/** Symbols to remember. */
export const COPY_LENGTH = 10;

/** A copy-memory sequence of length T + 20, as category indices. */
export interface CopySequence {
  /** Input categories: 10 data symbols, T − 1 blanks, the delimiter, 10 blanks. */
  input: Int32Array;
  /** Target categories: T + 10 blanks, then the 10 data symbols in order. */
  target: Int32Array;
}

/**
 * Draws a copy-memory sequence (Arjovsky, Shah & Bengio 2016): 10 symbols i.i.d. uniform over
 * a0–a7, then T − 1 blanks (a8), the delimiter a9 and 10 blanks; the output is T + 10 blanks
 * and then the 10 symbols in order.
 */
export function copySequence(rng: Rng, T: number): CopySequence {
  if (!Number.isInteger(T) || T < 1) throw new ValueError(`T must be a positive integer, got ${T}`, 'copySequence');
  const L = T + 2 * COPY_LENGTH;
  const input = new Int32Array(L).fill(BLANK);
  const target = new Int32Array(L).fill(BLANK);
  for (let i = 0; i < COPY_LENGTH; i++) {
    const s = rng.int(8);
    input[i] = s;
    target[T + COPY_LENGTH + i] = s;
  }
  input[T + COPY_LENGTH - 1] = DELIMITER;
  return { input, target };
}

/** Cross-entropy per step of the memoryless strategy (blanks, then uniform over a0–a7): 10·ln 8 / (T + 20). */
export const copyBaseline = (T: number): number => (COPY_LENGTH * Math.log(8)) / (T + 2 * COPY_LENGTH);

/** Held-out accuracy on the recalled symbols at which we call the task solved (our choice). */
export const COPY_SOLVED_ACCURACY = 0.99;

/**
 * The copy task as a {@link ModernTask}: softmax cross-entropy averaged over all T + 20 steps
 * (the benchmark's loss and `testError`); solved when at least 99% of the recalled symbols of
 * the held-out set are the most probable category.
 */
export function copyTask(T: number): ModernTask {
  const L = T + 2 * COPY_LENGTH;
  const crossEntropy = (out: Tensor, b: ModernBatch) => {
    const logp = out.reshape([L * b.B, COPY_CATEGORIES]).logSoftmax(1);
    return logp
      .gather(1, tensor(b.y as Int32Array, { shape: [L * b.B, 1], dtype: 'int32' }))
      .mean()
      .neg();
  };
  return {
    inputSize: COPY_CATEGORIES,
    outputSize: COPY_CATEGORIES,
    batch(rng, B) {
      const x = new Float64Array(L * B * COPY_CATEGORIES);
      const y = new Int32Array(L * B);
      for (let b = 0; b < B; b++) {
        const { input, target } = copySequence(rng, T);
        for (let t = 0; t < L; t++) {
          x[(t * B + b) * COPY_CATEGORIES + input[t]!] = 1;
          y[t * B + b] = target[t]!;
        }
      }
      return { T: L, B, x, y };
    },
    loss: crossEntropy,
    evaluate(out, b) {
      const error = crossEntropy(out, b).item() as number;
      const predicted = out.argmax(2).dataSync() as Int32Array;
      let right = 0;
      for (let t = L - COPY_LENGTH; t < L; t++) for (let i = 0; i < b.B; i++) if (predicted[t * b.B + i] === b.y[t * b.B + i]) right++;
      return { error, solved: right / (COPY_LENGTH * b.B) >= COPY_SOLVED_ACCURACY };
    },
  };
}

/**
 * Training set-up: batches of 20 and RMSprop with α = 0.9 as Arjovsky et al. (from memory, unverified);
 * 64 hidden units (not 128) to keep CPU time in reach; clipping at norm 1 (our choice).
 */
export const COPY_TRAINING: ModernTraining = {
  hidden: 64,
  batchSize: 20,
  testSize: 200,
  evalEvery: 2000,
  clipNorm: 1,
  rmspropAlpha: 0.9,
};

/**
 * The copy-memory task (spec §6; Arjovsky, Shah & Bengio 2016), T = 100 by default: read 10
 * symbols, wait T steps, reproduce them after the delimiter. A zoo model (default the
 * forget-gate LSTM) with a linear softmax head trains by BPTT with RMSprop, learning rate 1e-3.
 * Solved when 99% of the recalled symbols of 200 held-out sequences are right; `testError` is
 * the held-out cross-entropy per step (memoryless baseline 10·ln 8/(T + 20) ≈ 0.173 for T = 100).
 */
export function copyExperiment(T = 100): Experiment {
  const task = copyTask(T);
  return {
    id: T === 100 ? 'copy' : `copy-${T}`,
    title: `Copy memory, T = ${T}`,
    source: 'Arjovsky, Shah & Bengio 2016 (spec §6)',
    models: [...BPTT_MODELS],
    defaults: { model: 'lstm', lr: 1e-3, maxSequences: 200_000, trials: 3 },
    paper: [],
    runTrial: (model, opts) => runModernTrial(task, model, opts, 1e-3, COPY_TRAINING),
  };
}

/** The copy task with T = 100 (id 'copy'). */
export const copyMemory = copyExperiment(100);
