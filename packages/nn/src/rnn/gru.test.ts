// GRU (reset 'after' = torch.nn.GRU, reset 'before' = Cho et al. 2014 v3, which has no PyTorch
// twin): float64 gradcheck end to end over fast-check-drawn sizes, a hand-unrolled composite,
// state_dict layout, GRUCell against one step of GRU, bad input.
import { randn, ShapeError, setSeed, type Tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { closeMismatch, gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { GRU, GRUCell } from './gru.js';
import {
  expectClose,
  hiddenStateLayerProperties,
  type LayerConfig,
  layerConfigArb,
  SLOW,
  unrollLayers,
  withParams,
} from './test-helpers.js';

const sigma = (t: Tensor) => t.neg().exp().add(1).reciprocal();

/**
 * One direction, step by step (gate rows r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   after:  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   before: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
 *   h' = (1 − z) ⊙ n + z ⊙ h
 */
function refDirection(sd: Record<string, Tensor>, sfx: string, reset: 'after' | 'before', H: number, xs: Tensor[], h0: Tensor) {
  const rows = (name: string, k: number) => sd[name + sfx]?.slice([[k * H, (k + 1) * H]]);
  const lin = (v: Tensor, w: string, b: string, k: number) => {
    const y = v.matmul(rows(w, k)!.transpose());
    const bias = rows(b, k);
    return bias ? y.add(bias) : y;
  };
  let h = h0;
  const outs: Tensor[] = [];
  for (const x of xs) {
    const r = sigma(lin(x, 'weight_ih', 'bias_ih', 0).add(lin(h, 'weight_hh', 'bias_hh', 0)));
    const z = sigma(lin(x, 'weight_ih', 'bias_ih', 1).add(lin(h, 'weight_hh', 'bias_hh', 1)));
    const rec = reset === 'after' ? r.mul(lin(h, 'weight_hh', 'bias_hh', 2)) : lin(r.mul(h), 'weight_hh', 'bias_hh', 2);
    const n = lin(x, 'weight_ih', 'bias_ih', 2).add(rec).tanh();
    h = z.mul(-1).add(1).mul(n).add(z.mul(h));
    outs.push(h);
  }
  return { outs, h };
}

const refGRU = (m: GRU, x: Tensor, h0: Tensor) =>
  unrollLayers(m, x, h0, (sfx, xs, h) => refDirection(m.stateDict(), sfx, m.reset, m.hiddenSize, xs, h));

function build(reset: 'after' | 'before', cfg: LayerConfig) {
  setSeed(cfg.seed);
  const m = new GRU(cfg.I, cfg.H, { reset, numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, bias: cfg.bias, dtype: 'float64' });
  const x = randn([cfg.T, cfg.B, cfg.I], { dtype: 'float64' });
  const h0 = randn([cfg.numLayers * (cfg.bidirectional ? 2 : 1), cfg.B, cfg.H], { dtype: 'float64' }).mul(0.5);
  return { m, x, h0 };
}

for (const reset of ['after', 'before'] as const) {
  describe(`GRU reset '${reset}'`, () => {
    hiddenStateLayerProperties(layerConfigArb(), (cfg) => build(reset, cfg), refGRU, {
      gradcheck: 3,
      gradcheckRuns: 5,
      reference: 4,
    });

    it(
      'GRUCell equals one step of GRU with the same weights (batched, unbatched, zero state)',
      () => {
        tidy(() => {
          setSeed(5);
          const cell = new GRUCell(3, 4, { reset, dtype: 'float64' });
          const layer = new GRU(3, 4, { reset, dtype: 'float64' });
          layer.loadStateDict(Object.fromEntries(Object.entries(cell.stateDict()).map(([k, t]) => [`${k}_l0`, t])));
          const x = randn([2, 3], { dtype: 'float64' });
          const h = randn([2, 4], { dtype: 'float64' });
          const ours = cell.forward(x, h);
          expectClose(ours, layer.forward(x.unsqueeze(0), { h: h.unsqueeze(0) }).output.squeeze(0), 'h');
          expectClose(cell.forward(x.slice([0]), h.slice([0])), ours.slice([0]), 'unbatched');
          expectClose(cell.forward(x), layer.forward(x.unsqueeze(0)).state.h.squeeze(0), 'zero state');
          const names = cell.namedParameters().map(([n]) => n);
          const f = (xi: Tensor, hi: Tensor, ...ps: Tensor[]) => withParams(cell, names, ps, () => cell.forward(xi, hi));
          expect(gradcheck(f, [x, h, ...cell.parameters().map((p) => p.detach())])).toBe(true);
        });
      },
      SLOW,
    );
  });
}

describe('GRU layout', () => {
  it("reset 'before' and 'after' differ (same weights)", () => {
    tidy(() => {
      setSeed(1);
      const a = new GRU(2, 3);
      const b = new GRU(2, 3, { reset: 'before' });
      b.loadStateDict(a.stateDict());
      const x = randn([4, 2, 2]);
      expect(closeMismatch(a.forward(x).output, b.forward(x).output, { atol: 1e-5 })).not.toBeNull();
    });
  });

  it('PyTorch keys and 3H(I + H + 2) parameters per layer and direction', () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true });
    const per = (s: string) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => n + s);
    expect(Object.keys(m.stateDict())).toEqual([...per('_l0'), ...per('_l0_reverse'), ...per('_l1'), ...per('_l1_reverse')]);
    expect(m.stateDict().weight_ih_l1_reverse!.shape).toEqual([12, 8]);
    expect(m.numParameters()).toBe(2 * 12 * (3 + 4 + 2) + 2 * 12 * (8 + 4 + 2));
    expect(new GRU(5, 2).numParameters()).toBe(6 * (5 + 2 + 2));
    expect(new GRU(5, 2, { bias: false }).numParameters()).toBe(6 * (5 + 2));
    expect(Object.keys(new GRUCell(3, 4).stateDict())).toEqual(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    expect(new GRUCell(3, 4).numParameters()).toBe(12 * (3 + 4 + 2));
  });
});

describe('GRU / GRUCell bad options and input', () => {
  const cases: [string, () => unknown, typeof ValueError | typeof ShapeError, RegExp][] = [
    [
      "reset 'sideways'",
      () => new GRU(2, 3, { reset: 'sideways' as 'after' }),
      ValueError,
      /GRU: reset must be 'after' or 'before', got 'sideways'/,
    ],
    [
      "regression: GRUCell reset 'sideways'",
      () => new GRUCell(2, 3, { reset: 'sideways' as 'after' }),
      ValueError,
      /GRUCell: reset must be 'after' or 'before', got 'sideways'/,
    ],
    ['hiddenSize 0', () => new GRU(2, 0), ValueError, /GRU: hiddenSize must be a positive integer, got 0/],
    ['GRUCell inputSize 0', () => new GRUCell(0, 3), ValueError, /GRUCell: inputSize must be a positive integer, got 0/],
    ['numLayers 1.5', () => new GRU(2, 3, { numLayers: 1.5 }), ValueError, /numLayers must be a positive integer, got 1.5/],
    ['dropout −0.1', () => new GRU(2, 3, { dropout: -0.1 }), ValueError, /dropout must be in \[0, 1\), got -0.1/],
    [
      'GRU wrong state shape',
      () => new GRU(2, 3).forward(zeros([4, 2, 2]), { h: zeros([1, 2, 4]) }),
      ShapeError,
      /GRU.forward: initial state h has shape \[1, 2, 4\], expected \[1, 2, 3\]/,
    ],
    [
      'regression: GRUCell feature size is a ShapeError',
      () => new GRUCell(2, 3).forward(zeros([4, 3])),
      ShapeError,
      /GRUCell.forward: input must be \[B, 2\] or \[2\], got \[4, 3\]/,
    ],
    [
      'regression: GRUCell state batch mismatch is a ShapeError',
      () => new GRUCell(2, 3).forward(zeros([4, 2]), zeros([1, 3])),
      ShapeError,
      /state h must be \[4, 3\], got \[1, 3\]/,
    ],
    [
      'regression: GRUCell input dtype is checked',
      () => new GRUCell(2, 3, { dtype: 'float64' }).forward(zeros([4, 2])),
      ValueError,
      /GRUCell.forward: input is float32, the cell's parameters are float64/,
    ],
    [
      'regression: GRUCell state dtype is checked',
      () => new GRUCell(2, 3).forward(zeros([4, 2]), zeros([4, 3], { dtype: 'float64' })),
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
