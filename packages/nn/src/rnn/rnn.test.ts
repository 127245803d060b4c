// The Elman RNN (tanh and relu): float64 gradcheck end to end over fast-check-drawn sizes, a
// hand-unrolled composite, state_dict layout, RNNCell against one step of RNN, bad input.
import { randn, ShapeError, setSeed, type Tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { RNN, RNNCell } from './rnn.js';
import { expectClose, hiddenStateLayerProperties, type LayerConfig, layerConfigArb, unrollLayers } from './test-helpers.js';

/** h' = act(W_ih x + b_ih + W_hh h + b_hh), one step at a time, every layer and direction. */
function refRNN(m: RNN, x: Tensor, h0: Tensor) {
  const sd = m.stateDict();
  const act = (t: Tensor) => (m.nonlinearity === 'tanh' ? t.tanh() : t.maximum(0));
  return unrollLayers(m, x, h0, (sfx, xs, h) => {
    const p = (n: string) => sd[n + sfx];
    const outs: Tensor[] = [];
    for (const xt of xs) {
      let pre = xt.matmul(p('weight_ih')!.transpose()).add(h.matmul(p('weight_hh')!.transpose()));
      if (p('bias_ih')) pre = pre.add(p('bias_ih')!).add(p('bias_hh')!);
      h = act(pre);
      outs.push(h);
    }
    return { outs, h };
  });
}

function build(nonlinearity: 'tanh' | 'relu', cfg: LayerConfig) {
  setSeed(cfg.seed);
  const m = new RNN(cfg.I, cfg.H, {
    nonlinearity,
    numLayers: cfg.numLayers,
    bidirectional: cfg.bidirectional,
    bias: cfg.bias,
    dtype: 'float64',
  });
  const x = randn([cfg.T, cfg.B, cfg.I], { dtype: 'float64' });
  const h0 = randn([cfg.numLayers * (cfg.bidirectional ? 2 : 1), cfg.B, cfg.H], { dtype: 'float64' }).mul(0.5);
  return { m, x, h0 };
}

for (const nonlinearity of ['tanh', 'relu'] as const) {
  describe(`RNN ${nonlinearity}`, () => {
    hiddenStateLayerProperties(layerConfigArb(), (cfg) => build(nonlinearity, cfg), refRNN, {
      gradcheck: 8,
      gradcheckRuns: 6,
      reference: 9,
    });

    it('RNNCell equals one step of RNN with the same weights (batched, unbatched, zero state)', () => {
      tidy(() => {
        setSeed(6);
        const cell = new RNNCell(3, 4, { nonlinearity, dtype: 'float64' });
        const layer = new RNN(3, 4, { nonlinearity, dtype: 'float64' });
        layer.loadStateDict(Object.fromEntries(Object.entries(cell.stateDict()).map(([k, t]) => [`${k}_l0`, t])));
        const x = randn([2, 3], { dtype: 'float64' });
        const h = randn([2, 4], { dtype: 'float64' });
        const ours = cell.forward(x, h);
        expectClose(ours, layer.forward(x.unsqueeze(0), { h: h.unsqueeze(0) }).output.squeeze(0), 'h');
        expectClose(cell.forward(x), layer.forward(x.unsqueeze(0)).state.h.squeeze(0), 'zero state');
        expectClose(cell.forward(x.slice([1]), h.slice([1])), ours.slice([1]), 'regression: unbatched input');
      });
    });
  });
}

describe('RNN layout', () => {
  it('PyTorch keys and H(I + H + 2) parameters per layer and direction', () => {
    const m = new RNN(3, 4, { numLayers: 2, bidirectional: true });
    const per = (s: string) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => n + s);
    expect(Object.keys(m.stateDict())).toEqual([...per('_l0'), ...per('_l0_reverse'), ...per('_l1'), ...per('_l1_reverse')]);
    expect(m.numParameters()).toBe(2 * 4 * (3 + 4 + 2) + 2 * 4 * (8 + 4 + 2));
    expect(new RNN(3, 4, { bias: false }).numParameters()).toBe(4 * (3 + 4));
    expect(Object.keys(new RNNCell(3, 4).stateDict())).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    expect(new RNNCell(3, 4, { bias: false }).numParameters()).toBe(4 * 7);
  });

  it('relu units are non-negative and unbounded; tanh units stay in (−1, 1)', () => {
    tidy(() => {
      setSeed(2);
      const x = randn([6, 3, 2]).mul(10);
      const relu = new RNN(2, 5, { nonlinearity: 'relu' }).forward(x).output.dataSync();
      expect(Math.min(...relu)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...relu)).toBeGreaterThan(1);
      const tanh = new RNN(2, 5).forward(x).output.dataSync();
      expect(Math.max(...tanh.map(Math.abs))).toBeLessThanOrEqual(1);
    });
  });
});

describe('RNN / RNNCell bad options and input', () => {
  const cases: [string, () => unknown, typeof ValueError | typeof ShapeError, RegExp][] = [
    [
      'unknown nonlinearity',
      () => new RNN(2, 3, { nonlinearity: 'sigmoid' as 'tanh' }),
      ValueError,
      /RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'/,
    ],
    [
      'RNNCell unknown nonlinearity',
      () => new RNNCell(2, 3, { nonlinearity: 'gelu' as 'tanh' }),
      ValueError,
      /RNNCell: nonlinearity must be 'tanh' or 'relu', got 'gelu'/,
    ],
    ['hiddenSize 0', () => new RNN(2, 0), ValueError, /RNN: hiddenSize must be a positive integer, got 0/],
    ['RNNCell hiddenSize −1', () => new RNNCell(2, -1), ValueError, /RNNCell: hiddenSize must be a positive integer, got -1/],
    ['numLayers 0', () => new RNN(2, 3, { numLayers: 0 }), ValueError, /RNN: numLayers must be a positive integer, got 0/],
    ['dropout 1', () => new RNN(2, 3, { dropout: 1 }), ValueError, /dropout must be in \[0, 1\), got 1/],
    [
      'regression: RNNCell feature size is a ShapeError',
      () => new RNNCell(2, 3).forward(zeros([4, 3])),
      ShapeError,
      /RNNCell.forward: input must be \[B, 2\] or \[2\], got \[4, 3\]/,
    ],
    [
      'regression: RNNCell input rank 3 is a ShapeError',
      () => new RNNCell(2, 3).forward(zeros([1, 4, 2])),
      ShapeError,
      /input must be \[B, 2\]/,
    ],
    [
      'regression: RNNCell state batch mismatch (was broadcast silently)',
      () => new RNNCell(2, 3).forward(zeros([4, 2]), zeros([1, 3])),
      ShapeError,
      /state h must be \[4, 3\], got \[1, 3\]/,
    ],
    [
      'regression: RNNCell state size',
      () => new RNNCell(2, 3).forward(zeros([4, 2]), zeros([4, 2])),
      ShapeError,
      /state h must be \[4, 3\], got \[4, 2\]/,
    ],
    [
      'regression: RNNCell input dtype is checked',
      () => new RNNCell(2, 3, { dtype: 'float64' }).forward(zeros([4, 2])),
      ValueError,
      /RNNCell.forward: input is float32, the cell's parameters are float64/,
    ],
    [
      'regression: RNNCell state dtype is checked',
      () => new RNNCell(2, 3).forward(zeros([4, 2]), zeros([4, 3], { dtype: 'float64' })),
      ValueError,
      /state h is float64, expected float32/,
    ],
  ];
  for (const [name, fn, cls, msg] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(msg);
    });
  }
});
