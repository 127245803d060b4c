import { type Tensor, tensor, ValueError } from '@carousel/autograd';
import type { Experiment } from '../experiment.js';
import { BPTT_MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type ModernBatch, type ModernTask, type ModernTraining, runModernTrial } from './modern-common.js';

/** A modern adding-problem sequence (Arjovsky et al. 2016, after Le et al. 2015). */
export interface ModernAddingSequence {
  /** Values, uniform in [0, 1). */
  values: Float64Array;
  /** Indicator: exactly two 1s, one in each half. */
  indicator: Float64Array;
  /** The two marked positions (0-based). */
  marked: [number, number];
  /** The sum of the two marked values, in [0, 2]. */
  target: number;
}

/**
 * Draws a sequence of fixed length T: values U[0, 1]; an indicator with exactly two 1s, the
 * first uniformly in the first half (positions 0 … T/2 − 1), the second uniformly in the
 * second half (T/2 … T − 1); target the sum of the two marked values. No start/end markers.
 */
export function modernAddingSequence(rng: Rng, T: number): ModernAddingSequence {
  if (!Number.isInteger(T) || T < 2 || T % 2) throw new ValueError(`T must be an even integer ≥ 2, got ${T}`, 'modernAddingSequence');
  const values = Float64Array.from({ length: T }, () => rng.next());
  const indicator = new Float64Array(T);
  const half = T / 2;
  const marked: [number, number] = [rng.int(half), half + rng.int(half)];
  for (const i of marked) indicator[i] = 1;
  return { values, indicator, marked, target: values[marked[0]]! + values[marked[1]]! };
}

/** Mean squared error of always answering 1 (the expected sum): Var(U₁ + U₂) = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;
/** Held-out MSE below which we call the problem solved (≈ 6% of the baseline; our choice). */
export const ADDING_SOLVED_MSE = 0.01;

/** The modern adding problem as a {@link ModernTask}: MSE of a linear output at the last step. */
export function modernAddingTask(T: number): ModernTask {
  const mse = (out: Tensor, b: ModernBatch) =>
    out
      .slice([b.T - 1])
      .reshape([b.B])
      .sub(tensor(b.y as Float64Array, { dtype: 'float64' }))
      .square()
      .mean();
  return {
    inputSize: 2,
    outputSize: 1,
    batch(rng, B) {
      const x = new Float64Array(T * B * 2);
      const y = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        const s = modernAddingSequence(rng, T);
        for (let t = 0; t < T; t++) {
          x[(t * B + b) * 2] = s.values[t]!;
          x[(t * B + b) * 2 + 1] = s.indicator[t]!;
        }
        y[b] = s.target;
      }
      return { T, B, x, y };
    },
    loss: mse,
    evaluate(out, b) {
      const error = mse(out, b).item() as number;
      return { error, solved: error < ADDING_SOLVED_MSE };
    },
  };
}

/**
 * Training set-up: batches of 20 and RMSprop with α = 0.9 as Arjovsky et al. (from memory, unverified);
 * 64 hidden units (not 128) to keep CPU time in reach; clipping at norm 1 (our choice).
 */
export const MODERN_ADDING_TRAINING: ModernTraining = {
  hidden: 64,
  batchSize: 20,
  testSize: 500,
  evalEvery: 2000,
  clipNorm: 1,
  rmspropAlpha: 0.9,
};

/**
 * The modern adding problem (spec §6; Arjovsky, Shah & Bengio 2016): T = 100 by default,
 * values U[0, 1], one marked value in each half, the raw sum as target, MSE at the last step.
 * A zoo model (default the forget-gate LSTM) with a linear head trains by BPTT with RMSprop,
 * learning rate 1e-3. Solved when the MSE on 500 held-out sequences is below 0.01 (the
 * memoryless baseline is 1/6); `testError` is that MSE.
 */
export function modernAddingExperiment(T = 100): Experiment {
  const task = modernAddingTask(T);
  return {
    id: T === 100 ? 'adding-modern' : `adding-modern-${T}`,
    title: `Adding problem (modern, Arjovsky et al. 2016), T = ${T}`,
    source: 'Le, Jaitly & Hinton 2015; Arjovsky, Shah & Bengio 2016 (spec §6)',
    models: [...BPTT_MODELS],
    defaults: { model: 'lstm', lr: 1e-3, maxSequences: 200_000, trials: 3 },
    paper: [],
    runTrial: (model, opts) => runModernTrial(task, model, opts, 1e-3, MODERN_ADDING_TRAINING),
  };
}

/** The modern adding problem with T = 100 (id 'adding-modern'). */
export const modernAdding = modernAddingExperiment(100);
