import { describe, expect, it } from 'vitest';
import type { MatmulDims } from '../backend.js';
import { matmul } from './matmul.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;

/** A deterministic stream in [-1, 1) (integers in [-8, 8) for int32), so failures reproduce. */
function fillRandom(x: Float32Array | Float64Array | Int32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  const int = x instanceof Int32Array;
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = (s >>> 0) / 2 ** 32;
    x[i] = int ? Math.floor(u * 16) - 8 : 2 * u - 1;
  }
}

/** The naive triple loop in float64, with the bound Σ|aᵢₚbₚⱼ| of every entry for tolerances. */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, d: MatmulDims): { c: Float64Array; bound: Float64Array } {
  const { batch, m, k, n, aBatchStride, bBatchStride } = d;
  const c = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const prod = a[bi * aBatchStride + i * k + p]! * b[bi * bBatchStride + p * n + j]!;
          sum += prod;
          abs += Math.abs(prod);
        }
        c[(bi * m + i) * n + j] = sum;
        bound[(bi * m + i) * n + j] = abs;
      }
    }
  }
  return { c, bound };
}

function check(Arr: Ctor, d: MatmulDims): void {
  const aLen = d.aBatchStride === 0 ? d.m * d.k : d.batch * d.aBatchStride;
  const bLen = d.bBatchStride === 0 ? d.k * d.n : d.batch * d.bBatchStride;
  const a = new Arr(aLen);
  const b = new Arr(bLen);
  fillRandom(a, 1 + d.m * 7 + d.k * 13);
  fillRandom(b, 2 + d.n * 11 + d.k * 3);
  const c = new Arr(d.batch * d.m * d.n);
  c.fill(Arr === Int32Array ? 12345 : Number.NaN); // the kernel must overwrite every entry
  matmul(a, b, c, d);
  const ref = reference(a, b, d);
  // One rounding to the output's precision, plus float64 summation-order error.
  const ulp = Arr === Float32Array ? 2 ** -23 : Arr === Float64Array ? 2 ** -52 : 0;
  for (let i = 0; i < c.length; i++) {
    const want = ref.c[i]!;
    const tol = ulp * Math.abs(want) + 2 ** -50 * ref.bound[i]!;
    if (!(Math.abs(c[i]! - want) <= tol)) {
      expect.fail(`${Arr.name} ${JSON.stringify(d)}: c[${i}] = ${c[i]}, want ${want} (±${tol})`);
    }
  }
}

const single = (m: number, k: number, n: number): MatmulDims => ({ batch: 1, m, k, n, aBatchStride: 0, bBatchStride: 0 });

describe('cpu matmul kernel', () => {
  for (const Arr of [Float32Array, Float64Array, Int32Array] as Ctor[]) {
    describe(Arr.name, () => {
      it('matches the naive triple loop on odd sizes', () => {
        for (const [m, k, n] of [
          [1, 1, 1],
          [3, 5, 7],
          [17, 33, 9],
          [4, 4, 4],
          [8, 1, 8],
          [1, 64, 1],
          [5, 3, 130],
          [33, 17, 2],
        ] as const) {
          check(Arr, single(m, k, n));
        }
      });

      it('crosses every blocking boundary (k > KC, m > MC, n > NC)', () => {
        check(Arr, single(6, 600, 5)); // three k-panels (the float32 accumulator path)
        check(Arr, single(131, 20, 7)); // two row blocks with a ragged edge
        check(Arr, single(3, 9, 1030)); // two column blocks with a ragged edge
      });

      it('handles batches, including a broadcast operand', () => {
        check(Arr, { batch: 3, m: 5, k: 6, n: 7, aBatchStride: 30, bBatchStride: 42 });
        check(Arr, { batch: 3, m: 5, k: 6, n: 7, aBatchStride: 0, bBatchStride: 42 }); // A shared
        check(Arr, { batch: 4, m: 5, k: 6, n: 7, aBatchStride: 30, bBatchStride: 0 }); // B shared: folded into rows
        check(Arr, { batch: 2, m: 3, k: 300, n: 2, aBatchStride: 900, bBatchStride: 600 });
      });

      it('writes zeros when k = 0 and nothing when m or n is 0', () => {
        check(Arr, single(3, 0, 4));
        check(Arr, { batch: 2, m: 2, k: 0, n: 3, aBatchStride: 0, bBatchStride: 0 });
        check(Arr, single(0, 5, 4));
        check(Arr, single(4, 5, 0));
      });
    });
  }
});
