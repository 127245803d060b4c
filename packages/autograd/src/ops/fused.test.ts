// The fused recurrent ops on the CPU backend: float64 gradcheck of every input, the error for a
// gradient of a gradient without a composite, and input validation.
import { describe, expect, it } from 'vitest';
import type { LSTMCellSpec } from '../backends/backend.js';
import { GradError, ShapeError } from '../errors.js';
import { grad } from '../tape.js';
import { gradcheck } from '../testing/gradcheck.js';
import { randn } from './creation.js';
import { gruSequence, hasFusedKernel, lstmSequence } from './fused.js';

const TORCH: LSTMCellSpec = { i: 0, f: 1, g: 2, o: 3, peepI: -1, peepF: -1, peepO: -1, coupled: false, identityG: false, identityH: false };
// CIFG with peepholes on i and o: gates i, g, o
const CIFG: LSTMCellSpec = { i: 0, f: -1, g: 1, o: 2, peepI: 0, peepF: -1, peepO: 1, coupled: true, identityG: false, identityH: false };

describe('lstmSequence / gruSequence (CPU fused kernels)', () => {
  const d = { dtype: 'float64' } as const;
  it('the CPU backend offers them for float tensors', () => {
    expect(hasFusedKernel('lstm', randn([1], d))).toBe(true);
    expect(hasFusedKernel('gru', randn([1]))).toBe(true);
  });

  it('lstmSequence passes float64 gradcheck w.r.t. xw, W_hh, h0, c0, b_hh (torch cell, B = 2 and B = 5)', () => {
    for (const B of [2, 5]) {
      const [T, H] = [3, 3];
      const ins = [randn([T, B, 4 * H], d), randn([4 * H, H], d), randn([B, H], d), randn([B, H], d), randn([4 * H], d)];
      expect(gradcheck((xw, whh, h0, c0, bhh) => lstmSequence({ xw: xw!, whh: whh!, h0: h0!, c0: c0!, bhh }, TORCH), ins)).toBe(true);
    }
  });

  it('lstmSequence passes gradcheck for a coupled cell with peepholes', () => {
    const [T, B, H] = [4, 2, 3];
    const ins = [randn([T, B, 3 * H], d), randn([3 * H, H], d), randn([B, H], d), randn([B, H], d), randn([2, H], d)];
    expect(gradcheck((xw, whh, h0, c0, peep) => lstmSequence({ xw: xw!, whh: whh!, h0: h0!, c0: c0!, peep }, CIFG), ins)).toBe(true);
  });

  it('gruSequence passes float64 gradcheck w.r.t. xw, W_hh, h0, b_hh', () => {
    for (const B of [1, 4]) {
      const [T, H] = [3, 3];
      const ins = [randn([T, B, 3 * H], d), randn([3 * H, H], d), randn([B, H], d), randn([3 * H], d)];
      expect(gradcheck((xw, whh, h0, bhh) => gruSequence({ xw: xw!, whh: whh!, h0: h0!, bhh }), ins)).toBe(true);
    }
  });

  it('a gradient of a gradient without `composite` is a GradError naming the op', () => {
    const whh = randn([6, 2], d);
    const h0 = randn([1, 2], d);
    const f = (xw: Parameters<typeof gruSequence>[0]['xw']) =>
      grad((x: typeof xw) => gruSequence({ xw: x, whh, h0 }).square().sum())(xw)
        .square()
        .sum();
    expect(() => grad(f)(randn([2, 1, 6], d))).toThrow(GradError);
    expect(() => grad(f)(randn([2, 1, 6], d))).toThrow(/gruSequence/);
  });

  it('rejects mismatched shapes', () => {
    expect(() => lstmSequence({ xw: randn([2, 1, 8]), whh: randn([8, 3]), h0: randn([1, 2]), c0: randn([1, 2]) }, TORCH)).toThrow(
      ShapeError,
    );
    expect(() => gruSequence({ xw: randn([2, 1, 7]), whh: randn([6, 2]), h0: randn([1, 2]) })).toThrow(ShapeError);
  });
});
