// The small-batch products of the recurrent kernels against naive loops, at sizes that exercise
// the 8-row and 4×4 blocks, their remainders, and the GEMM path (B ≥ 4).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transposeInto } from './linalg.js';
import { stepProduct, weightGrad } from './small.js';

const fill = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.37));
const close = (a: Float64Array, b: Float64Array) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[i]!)));
};
const dims = fc.record({
  B: fc.integer({ min: 1, max: 6 }),
  K: fc.integer({ min: 1, max: 19 }),
  N: fc.integer({ min: 1, max: 21 }),
  T: fc.integer({ min: 1, max: 5 }),
});

describe('small-batch recurrent products', () => {
  it('stepProduct = h·Wᵀ for the step at hOff', () => {
    fc.assert(
      fc.property(dims, ({ B, K, N, T }) => {
        const h = fill(T * B * K, 1);
        const W = fill(N * K, 2);
        const WT = new Float64Array(N * K);
        transposeInto(W, N, K, WT);
        const t = T - 1;
        const out = new Float64Array(B * N).fill(Number.NaN);
        stepProduct(h, t * B * K, W, WT, out, B, K, N);
        const want = new Float64Array(B * N);
        for (let b = 0; b < B; b++)
          for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) want[b * N + j]! += h[(t * B + b) * K + k]! * W[j * K + k]!;
        close(out, want);
      }),
    );
  });

  it('weightGrad = dᵀ·h over all rows', () => {
    fc.assert(
      fc.property(dims, ({ B, K, N, T }) => {
        const rows = T * B;
        const d = fill(rows * N, 3);
        const h = fill((rows + B) * K, 4); // like the kernels' Hs, longer than the rows used
        const out = new Float64Array(N * K).fill(Number.NaN);
        weightGrad(d, h, out, rows, B, N, K);
        const want = new Float64Array(N * K);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) want[j * K + k]! += d[r * N + j]! * h[r * K + k]!;
        close(out, want);
      }),
    );
  });
});
