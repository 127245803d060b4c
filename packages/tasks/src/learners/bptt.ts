import { noGrad, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { GRU, Linear, LSTM, type Module, RNN } from '@carousel/nn';
import type { LearnerSpec, SequenceLearner } from './learner.js';

/** The zoo models that train by full BPTT, by CLI name. */
export const BPTT_MODELS = ['elman', 'lstm', 'peephole', 'coupled', 'gru'] as const;
/** A zoo model trained by BPTT. */
export type BpttModel = (typeof BPTT_MODELS)[number];

/**
 * The zoo layer of a BPTT model, configured as every experiment's baseline (float64; forget-gate
 * LSTMs start with forget bias 1).
 *
 * @example
 * const layer = makeLayer('gru', 2, 8);
 */
export function makeLayer(model: BpttModel, inputSize: number, hidden: number): Module & { forward(x: Tensor): { output: Tensor } } {
  const dtype = 'float64';
  switch (model) {
    case 'elman':
      return new RNN(inputSize, hidden, { dtype });
    case 'lstm':
      return new LSTM(inputSize, hidden, { dtype, forgetBias: 1 });
    case 'peephole':
      return new LSTM(inputSize, hidden, { dtype, peephole: true, forgetBias: 1 });
    case 'coupled':
      return new LSTM(inputSize, hidden, { dtype, coupled: true });
    case 'gru':
      return new GRU(inputSize, hidden, { dtype });
  }
}

/**
 * A zoo model (Elman RNN, forget-gate LSTM, peephole, coupled, GRU) with a linear head and the
 * paper's output squash, trained by full BPTT with one SGD update per sequence on the paper's
 * loss ½·Σ(t − y)². The baseline side of every table.
 *
 * @example
 * const elman = bpttLearner('elman', { inputSize: 2, outputSize: 1, lr: 0.1, seed: 1 }, 8);
 */
export function bpttLearner(model: BpttModel, spec: LearnerSpec, hidden: number): SequenceLearner {
  setSeed(spec.seed);
  const layer = makeLayer(model, spec.inputSize, hidden);
  const head = new Linear(hidden, spec.outputSize, { dtype: 'float64' });
  const params = [...layer.parameters(), ...head.parameters()];
  const squash = spec.outputActivation === 'identity' ? (y: Tensor) => y : (y: Tensor) => y.sigmoid();
  const run = (xs: readonly Float64Array[]) => {
    const x = tensor(concatRows(xs), { shape: [xs.length, 1, spec.inputSize], dtype: 'float64' });
    return squash(head.forward(layer.forward(x).output.reshape([xs.length, -1])));
  };
  return {
    name: model,
    numWeights: params.reduce((n, p) => n + p.size, 0),
    train(xs, targets) {
      return tidy(() => {
        const y = run(xs);
        const mask = new Float64Array(xs.length * spec.outputSize);
        const target = new Float64Array(xs.length * spec.outputSize);
        targets.forEach((t, i) => {
          if (!t) return;
          target.set(t, i * spec.outputSize);
          mask.fill(1, i * spec.outputSize, (i + 1) * spec.outputSize);
        });
        const shape = [xs.length, spec.outputSize];
        const diff = y.sub(tensor(target, { shape, dtype: 'float64' })).mul(tensor(mask, { shape, dtype: 'float64' }));
        const loss = diff.square().sum().mul(0.5);
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!.mul(spec.lr)) as Tensor<'float64'>);
            p.grad!.dispose();
            p.grad = null;
          }
        });
        return loss.item() as number;
      });
    },
    predict(xs) {
      const y = noGrad(() => tidy(() => run(xs).dataSync()));
      return xs.map((_, t) => y.slice(t * spec.outputSize, (t + 1) * spec.outputSize) as Float64Array);
    },
  };
}

function concatRows(rows: readonly Float64Array[]): Float64Array {
  const n = rows[0]?.length ?? 0;
  const out = new Float64Array(rows.length * n);
  rows.forEach((r, i) => {
    out.set(r, i * n);
  });
  return out;
}
