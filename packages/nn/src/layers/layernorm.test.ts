import { randn, ShapeError, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { assertAllclose, gradcheck } from '@carousel/autograd/testing';
import { describe, expect, it } from 'vitest';
import { LayerNorm } from './layernorm.js';

/** Plain-JS reference over the last `n` elements of each row. */
function reference(x: number[], n: number, w: number[], b: number[], eps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / n; r++) {
    const row = x.slice(r * n, (r + 1) * n);
    const mean = row.reduce((a, v) => a + v, 0) / n;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    row.forEach((v, i) => {
      out.push(((v - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!);
    });
  }
  return out;
}

describe('LayerNorm', () => {
  it('PyTorch parameter names and shapes: weight (ones), bias (zeros)', () => {
    const ln = new LayerNorm([3, 4]);
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    expect(ln.weight!.shape).toEqual([3, 4]);
    expect(ln.weight!.dataSync().every((v) => v === 1)).toBe(true);
    expect(ln.bias!.dataSync().every((v) => v === 0)).toBe(true);
    expect(new LayerNorm(5).weight!.shape).toEqual([5]);
    expect(new LayerNorm(5, { elementwiseAffine: false }).stateDict()).toEqual({});
    expect(Object.keys(new LayerNorm(5, { bias: false }).stateDict())).toEqual(['weight']);
  });

  it('matches the definition (biased variance, eps inside the root)', () => {
    expect(new LayerNorm(4).forward(tensor([1, 2, 3, 4])).arraySync()).toEqual(
      [-1.5, -0.5, 0.5, 1.5].map((v) => Math.fround(v / Math.sqrt(1.25 + 1e-5))),
    );
    const ln = new LayerNorm([3, 4], { eps: 1e-3, dtype: 'float64' });
    const w = Array.from({ length: 12 }, (_, i) => 0.5 + i / 10);
    const b = Array.from({ length: 12 }, (_, i) => i / 7 - 1);
    ln.loadStateDict({ weight: tensor(w, { dtype: 'float64' }).reshape([3, 4]), bias: tensor(b, { dtype: 'float64' }).reshape([3, 4]) });
    const x = randn([2, 3, 4], { dtype: 'float64' });
    const y = ln.forward(x);
    expect(y.shape).toEqual([2, 3, 4]);
    assertAllclose(y.dataSync(), reference(Array.from(x.dataSync()), 12, w, b, 1e-3), { atol: 1e-12, rtol: 1e-12 });
  });

  it('gradcheck (float64) through input, weight and bias, first and second order', () => {
    for (const shape of [[4], [3, 4]]) {
      const ln = new LayerNorm(shape, { dtype: 'float64' });
      const f = (x: Tensor, w: Tensor, b: Tensor) => {
        ln.weight = w;
        ln.bias = b;
        return ln.forward(x);
      };
      const inputs = [randn([2, 3, 4], { dtype: 'float64' }), randn(shape, { dtype: 'float64' }), randn(shape, { dtype: 'float64' })];
      expect(gradcheck(f, inputs, { order: 2 })).toBe(true);
    }
    const plain = new LayerNorm(4, { elementwiseAffine: false, dtype: 'float64' });
    expect(gradcheck((x) => plain.forward(x), [randn([3, 4], { dtype: 'float64' })])).toBe(true);
  });

  it('rejects bad shapes and options', () => {
    expect(() => new LayerNorm([])).toThrow(ValueError);
    expect(() => new LayerNorm([3, 0])).toThrow(/normalizedShape\[1\] must be a positive integer/);
    expect(() => new LayerNorm(3, { eps: -1 })).toThrow(ValueError);
    expect(() => new LayerNorm([3, 4]).forward(randn([2, 4, 3]))).toThrow(ShapeError);
    expect(() => new LayerNorm([3, 4]).forward(randn([4]))).toThrow(/does not end with normalizedShape \[3, 4\]/);
  });
});
