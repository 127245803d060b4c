import { memory, type Tensor, tensor, tidy, ValueError, zeros } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from './index.js';

/** Parameters whose gradients are exactly `grads` (a sum of p·g has gradient g). */
function withGrads(grads: number[][]): Tensor[] {
  return grads.map((g) => {
    const p = zeros([g.length], { dtype: 'float64', requiresGrad: true });
    p.mul(tensor(g, { dtype: 'float64' }))
      .sum()
      .backward();
    return p;
  });
}
const gradsOf = (ps: Tensor[]) => ps.map((p) => Array.from(p.grad!.dataSync()));

describe('clipGradNorm', () => {
  it('returns the total 2-norm and scales by maxNorm / (norm + 1e-6) in place', () => {
    const ps = withGrads([[3, 4], [12]]); // ‖(5, 12)‖ = 13
    const before = ps.map((p) => p.grad);
    const norm = clipGradNorm(ps, 1);
    expect(norm.item()).toBeCloseTo(13, 14);
    const c = 1 / (13 + 1e-6);
    const got = gradsOf(ps);
    [[3 * c, 4 * c], [12 * c]].forEach((row, i) => {
      for (const [j, v] of row.entries()) expect(got[i]![j]).toBeCloseTo(v, 15);
    });
    // the same tensors, scaled in place
    for (const [i, p] of ps.entries()) expect(p.grad).toBe(before[i]);
  });
  it('leaves gradients below the limit unchanged (the coefficient is clamped to 1)', () => {
    const ps = withGrads([[0.3, 0.4]]);
    expect(clipGradNorm(ps, 1).item()).toBeCloseTo(0.5, 15);
    expect(gradsOf(ps)).toEqual([[0.3, 0.4]]);
  });
  it('supports the max-norm and other p-norms', () => {
    const a = withGrads([[3, -4], [-12]]);
    expect(clipGradNorm(a, 6, Number.POSITIVE_INFINITY).item()).toBe(12);
    const c = 6 / (12 + 1e-6);
    expect(gradsOf(a)[1]![0]).toBeCloseTo(-12 * c, 14);
    const b = withGrads([[3, -4], [-12]]);
    expect(clipGradNorm(b, 100, 1).item()).toBeCloseTo(19, 14);
    const d = withGrads([[3, -4], [-12]]);
    expect(clipGradNorm(d, 100, 3).item()).toBeCloseTo((27 + 64 + 1728) ** (1 / 3), 12);
  });
  it('skips parameters without a gradient and returns 0 when none has one', () => {
    const ps = [...withGrads([[6, 8]]), zeros([2], { requiresGrad: true })];
    expect(clipGradNorm(ps, 5).item()).toBeCloseTo(10, 14);
    expect(ps[1]!.grad).toBeNull();
    expect(clipGradNorm([zeros([2], { requiresGrad: true })], 1).item()).toBe(0);
  });
  it('scales each gradient once even when backward gave two leaves one buffer', () => {
    // add's rule hands the same gradient to both inputs, reshape's a view of it
    const a = zeros([2, 2], { dtype: 'float64', requiresGrad: true });
    const b = zeros([4], { dtype: 'float64', requiresGrad: true });
    a.reshape([4])
      .add(b)
      .mul(tensor([1, 1, 1, 1], { dtype: 'float64' }))
      .sum()
      .backward();
    clipGradNorm([a, b], 1); // total norm √8
    const c = 1 / (Math.sqrt(8) + 1e-6);
    for (const p of [a, b]) for (const v of p.grad!.dataSync()) expect(v).toBeCloseTo(c, 14);
  });
  it('frees its temporaries', () => {
    const ps = withGrads([[1, 2], [3]]);
    const before = memory().numTensors;
    tidy(() => {
      clipGradNorm(ps, 1);
    });
    expect(memory().numTensors).toBe(before);
  });
  it('rejects bad arguments and, on request, non-finite norms', () => {
    const ps = withGrads([[1, 2]]);
    expect(() => clipGradNorm(ps, -1)).toThrow(/clipGradNorm: maxNorm must be a number ≥ 0, got -1/);
    expect(() => clipGradNorm(ps, 1, 0)).toThrow(ValueError);
    const bad = withGrads([[1, 2]]);
    bad[0]!.grad!.assign(Number.POSITIVE_INFINITY);
    expect(() => clipGradNorm(bad, 1, 2, { errorIfNonfinite: true })).toThrow(/the total 2-norm of the gradients is Infinity/);
  });
});

describe('clipGradValue', () => {
  it('clamps every element into [−c, c] in place', () => {
    const ps = withGrads([[3, -0.2], [-7]]);
    const before = ps[0]!.grad;
    clipGradValue(ps, 0.5);
    expect(gradsOf(ps)).toEqual([[0.5, -0.2], [-0.5]]);
    expect(ps[0]!.grad).toBe(before);
    expect(() => clipGradValue(ps, Number.NaN)).toThrow(/clipGradValue: clipValue must be a number ≥ 0/);
  });
});
