import { randn, setSeed, tensor } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { BaselineNet, BPTT_MODELS, type BpttModel, bpttLearner } from './bptt.js';

const [I, K, H] = [3, 2, 5];
/** Weights of each zoo layer (PyTorch layout: two bias vectors per gate) plus the linear head K(H + 1). */
const expectedWeights: Record<BpttModel, number> = {
  elman: H * (I + H + 2) + K * (H + 1),
  lstm: 4 * H * (I + H + 2) + K * (H + 1),
  peephole: 4 * H * (I + H + 2) + 3 * H + K * (H + 1), // + diagonal peepholes on i, f, o
  coupled: 3 * H * (I + H + 2) + K * (H + 1), // f = 1 − i: no forget-gate weights
  gru: 3 * H * (I + H + 2) + K * (H + 1),
};

const sequence = (T: number, seed: number) => {
  setSeed(seed);
  const x = randn([T, I], { dtype: 'float64' }).dataSync() as Float64Array;
  const xs = Array.from({ length: T }, (_, t) => x.slice(t * I, (t + 1) * I));
  const targets = xs.map((_, t) => (t % 2 ? Float64Array.of(0.2, 0.9) : null));
  return { xs, targets };
};

describe('BaselineNet', () => {
  it('has the zoo layer’s weights plus a linear head, per model', () => {
    for (const model of BPTT_MODELS) {
      const net = new BaselineNet(model, { inputSize: I, outputSize: K, hidden: H });
      expect(net.numParameters(), model).toBe(expectedWeights[model]);
      expect(net.config.dtype).toBe('float64');
    }
  });

  it('maps [T, B, I] to squashed outputs [T, B, K] (and unbatched [T, I] to [T, K])', () => {
    setSeed(1);
    for (const model of BPTT_MODELS) {
      const net = new BaselineNet(model, { inputSize: I, outputSize: K, hidden: H });
      const y = net.forward(randn([6, 4, I], { dtype: 'float64' }));
      expect(y.shape).toEqual([6, 4, K]);
      const v = [...y.dataSync()];
      expect(v.every((a) => a > 0 && a < 1)).toBe(true);
      expect(net.forward(randn([6, I], { dtype: 'float64' })).shape).toEqual([6, K]);
    }
    const linear = new BaselineNet('elman', { inputSize: I, outputSize: K, hidden: H, outputActivation: 'identity' });
    const x = tensor([[10, -10, 10]], { dtype: 'float64' });
    const raw = linear.head.forward(linear.layer.forward(x).output).dataSync();
    expect([...linear.forward(x).dataSync()]).toEqual([...raw]);
  });

  it('rejects unknown models and bad sizes by name', () => {
    expect(() => new BaselineNet('rnn' as BpttModel, { inputSize: 1, outputSize: 1, hidden: 1 })).toThrow(/unknown baseline 'rnn'/);
    expect(() => new BaselineNet('gru', { inputSize: 1, outputSize: 1, hidden: 0 })).toThrow(/hidden must be a positive integer/);
  });
});

describe('bpttLearner', () => {
  it('makes one SGD step per sequence on ½Σ(t − y)² over the steps with targets, and returns that loss', () => {
    for (const model of BPTT_MODELS) {
      const spec = { inputSize: I, outputSize: K, lr: 0.3, seed: 4 };
      const { xs, targets } = sequence(7, 9);
      // the same net from the same seed, differentiated here
      setSeed(spec.seed);
      const ref = new BaselineNet(model, { inputSize: I, outputSize: K, hidden: H });
      const y = ref.forward(tensor(Float64Array.from(xs.flatMap((x) => [...x])), { shape: [7, 1, I], dtype: 'float64' })).reshape([7, K]);
      const yv = y.dataSync();
      let expectedLoss = 0;
      targets.forEach((t, i) => {
        if (t) for (let k = 0; k < K; k++) expectedLoss += 0.5 * (t[k]! - yv[i * K + k]!) ** 2;
      });
      const mask = tensor(
        targets.map((t) => (t ? [1, 1] : [0, 0])),
        { dtype: 'float64' },
      );
      const target = tensor(
        targets.map((t) => (t ? [...t] : [0, 0])),
        { dtype: 'float64' },
      );
      y.sub(target).mul(mask).square().sum().mul(0.5).backward();

      const learner = bpttLearner(model, spec, H);
      expect(learner.numWeights).toBe(expectedWeights[model]);
      const loss = learner.train(xs, targets);
      expect(loss).toBeCloseTo(expectedLoss, 12);
      const after = learner.net.namedParameters();
      ref.namedParameters().forEach(([name, p], i) => {
        expect(after[i]![0]).toBe(name);
        const w = after[i]![1].dataSync();
        const w0 = p.dataSync();
        const g = p.grad!.dataSync();
        for (let j = 0; j < w.length; j++) expect(w[j]!, `${model} ${name}[${j}]`).toBeCloseTo(w0[j]! - 0.3 * g[j]!, 12);
      });
    }
  });

  it('predict gives one output row per step; the async methods give the same numbers on the CPU', async () => {
    const spec = { inputSize: I, outputSize: K, lr: 0.5, seed: 2 };
    const { xs, targets } = sequence(5, 3);
    const a = bpttLearner('gru', spec, H);
    const b = bpttLearner('gru', spec, H);
    const ya = a.predict(xs);
    expect(ya.length).toBe(5);
    expect(ya.every((r) => r.length === K)).toBe(true);
    expect(await b.predictAsync(xs)).toEqual(ya);
    expect(await b.trainAsync(xs, targets)).toBe(a.train(xs, targets));
    expect(await b.predictAsync(xs)).toEqual(a.predict(xs));
  });
});
