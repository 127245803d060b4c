import { noGrad, setSeed, type Tensor, tensor, tidy, ValueError } from '@carousel/autograd';
import { clipGradNorm, Linear, RMSprop } from '@carousel/nn';
import type { TrialOptions, TrialResult } from '../experiment.js';
import { BPTT_MODELS, type BpttModel, makeLayer } from '../learners/index.js';
import { Rng } from '../rng.js';

/**
 * The shared protocol of the modern long-term-memory benchmarks (spec §6: the Arjovsky-style
 * adding problem and copy memory). Unlike the 1997 experiments these are trained the modern
 * way: minibatches of fixed-length sequences, full BPTT through a zoo model with a linear
 * head, RMSprop and gradient-norm clipping, and a held-out set checked at intervals.
 */

/** A minibatch, time-major: `x` is `[T, B, inputSize]`, `y` whatever the task's loss reads. */
export interface ModernBatch {
  T: number;
  B: number;
  x: Float64Array;
  y: Float64Array | Int32Array;
}

/** A modern benchmark: data, loss and held-out measures. */
export interface ModernTask {
  inputSize: number;
  outputSize: number;
  /** Draws `B` sequences. */
  batch(rng: Rng, B: number): ModernBatch;
  /** The training loss from the head's outputs at every step, `[T, B, outputSize]`. */
  loss(out: Tensor, batch: ModernBatch): Tensor;
  /** The benchmark's error on a held-out batch and whether it counts as solved. */
  evaluate(out: Tensor, batch: ModernBatch): { error: number; solved: boolean };
}

/** How the benchmark is trained (defaults per task; see each task). */
export interface ModernTraining {
  /** Hidden units of the recurrent layer. */
  hidden: number;
  /** Sequences per minibatch. */
  batchSize: number;
  /** Held-out sequences (drawn once per trial from a separate stream). */
  testSize: number;
  /** Sequences between held-out checks. */
  evalEvery: number;
  /** Gradient-norm clipping threshold. */
  clipNorm: number;
  /** RMSprop smoothing constant. */
  rmspropAlpha: number;
}

/** A zoo model with a linear head, as the modern tasks train it. */
export interface ModernModel {
  /** Every trainable parameter (layer and head). */
  params: Tensor[];
  /** `[T, B, inputSize]` → `[T, B, outputSize]` (no output squash). */
  forward(x: Tensor): Tensor;
}

/** A zoo model with a linear head, outputs `[T, B, outputSize]` (no output squash). */
export function modernModel(model: string, inputSize: number, outputSize: number, hidden: number): ModernModel {
  if (!(BPTT_MODELS as readonly string[]).includes(model))
    throw new ValueError(`unknown model '${model}'; available: ${BPTT_MODELS.join(', ')}`, 'modernModel');
  const layer = makeLayer(model as BpttModel, inputSize, hidden);
  const head = new Linear(hidden, outputSize, { dtype: 'float64' });
  return {
    params: [...layer.parameters(), ...head.parameters()],
    forward(x) {
      const [T, B] = x.shape as [number, number];
      return head.forward(layer.forward(x).output.reshape([T * B, hidden])).reshape([T, B, outputSize]);
    },
  };
}

/** The batch's inputs as a tensor. */
export const inputTensor = (task: ModernTask, b: ModernBatch): Tensor =>
  tensor(b.x, { shape: [b.T, b.B, task.inputSize], dtype: 'float64' });

/**
 * One trial: minibatch training by RMSprop (learning rate `opts.lr`, default `defaultLr`) with
 * gradient-norm clipping, a held-out check every `evalEvery` sequences, success when the
 * held-out measure counts as solved. `sequences` counts training sequences (batches × batch
 * size); `testError` is the held-out error at the end; the curve holds the mean training loss
 * since the previous point.
 */
export function runModernTrial(task: ModernTask, model: string, opts: TrialOptions, defaultLr: number, cfg: ModernTraining): TrialResult {
  if (!Number.isInteger(opts.maxSequences) || opts.maxSequences < 0)
    throw new ValueError(`maxSequences must be a non-negative integer, got ${opts.maxSequences}`, 'runTrial');
  const rng = new Rng(opts.seed);
  const data = rng.fork(1);
  const test = task.batch(rng.fork(2), cfg.testSize);
  setSeed(opts.seed);
  const net = modernModel(model, task.inputSize, task.outputSize, cfg.hidden);
  const opt = new RMSprop(net.params, { lr: opts.lr ?? defaultLr, alpha: cfg.rmspropAlpha });
  const evaluate = () => noGrad(() => tidy(() => task.evaluate(net.forward(inputTensor(task, test)), test)));
  const curve: [number, number][] = [];
  let sequences = 0;
  let lossSum = 0;
  let batches = 0;
  let nextEval = cfg.evalEvery;
  let last: { at: number; error: number } | null = null;
  try {
    while (sequences < opts.maxSequences) {
      if (opts.signal?.aborted) return { seed: opts.seed, success: false, sequences, testError: Number.NaN, curve, aborted: true };
      const b = task.batch(data, Math.min(cfg.batchSize, opts.maxSequences - sequences));
      lossSum += tidy(() => {
        const loss = task.loss(net.forward(inputTensor(task, b)), b);
        loss.backward();
        clipGradNorm(net.params, cfg.clipNorm);
        opt.step();
        return loss.item() as number;
      });
      opt.zeroGrad();
      batches++;
      sequences += b.B;
      if (sequences >= nextEval || sequences >= opts.maxSequences) {
        nextEval += cfg.evalEvery;
        const trainLoss = lossSum / batches;
        lossSum = 0;
        batches = 0;
        curve.push([sequences, trainLoss]);
        opts.onProgress?.(sequences, trainLoss);
        const { error, solved } = evaluate();
        last = { at: sequences, error };
        if (solved) return { seed: opts.seed, success: true, sequences, testError: error, curve, aborted: false };
      }
    }
    const testError = last?.at === sequences ? last.error : evaluate().error;
    return { seed: opts.seed, success: false, sequences, testError, curve, aborted: false };
  } finally {
    opt.zeroGrad();
    opt.dispose();
  }
}
