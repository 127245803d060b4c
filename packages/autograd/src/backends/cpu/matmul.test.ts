import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GemmDims, matmul } from './matmul.js';
import { configureCpu, wasmInternals } from './wasm/index.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;
type NumArr = Float32Array | Float64Array | Int32Array;

/** A deterministic stream in [-1, 1) (integers in [-8, 8) for int32), so failures reproduce. */
function fillRandom(x: NumArr, seed: number): void {
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

/** Where element (i, p) of op(A) and (p, j) of op(B) are stored, per `transA`/`transB`. */
const aAt = (d: GemmDims, bi: number, i: number, p: number) => bi * d.aBatchStride + (d.transA ? p * d.m + i : i * d.k + p);
const bAt = (d: GemmDims, bi: number, p: number, j: number) => bi * d.bBatchStride + (d.transB ? j * d.k + p : p * d.n + j);

/** The naive triple loop in float64, with the bound Σ|aᵢₚbₚⱼ| of every entry for tolerances. */
function reference(a: NumArr, b: NumArr, d: GemmDims): { c: Float64Array; bound: Float64Array } {
  const { batch, m, k, n } = d;
  const c = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const prod = a[aAt(d, bi, i, p)]! * b[bAt(d, bi, p, j)]!;
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

/** The kernel configurations every test runs under. */
const KERNELS = [
  // the portable kernel accumulates float32 in float64: one rounding of the exact result
  { name: 'TypeScript', wasm: false, threads: 1 },
  // the SIMD kernel accumulates in float32, as every sgemm does
  { name: 'WASM, 1 thread', wasm: true, threads: 1 },
  // three threads on any machine, and every product split, however small
  { name: 'WASM, 3 threads', wasm: true, threads: 3 },
] as const;

function check(Arr: Ctor, d: GemmDims, f32Accumulates: boolean): void {
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
  // Float64 and the TS float32 path: one rounding to the output's precision plus float64
  // summation-order error. Float32 accumulation: the classic bound (k + 1)·u·Σ|aᵢₚbₚⱼ|.
  const f32Sum = Arr === Float32Array && f32Accumulates;
  const ulp = Arr === Float32Array ? 2 ** -23 : Arr === Float64Array ? 2 ** -52 : 0;
  for (let i = 0; i < c.length; i++) {
    const want = ref.c[i]!;
    const tol = f32Sum ? (d.k + 2) * 2 ** -24 * ref.bound[i]! : ulp * Math.abs(want) + 2 ** -50 * ref.bound[i]!;
    if (!(Math.abs(c[i]! - want) <= tol)) {
      expect.fail(`${Arr.name} ${JSON.stringify(d)}: c[${i}] = ${c[i]}, want ${want} (±${tol})`);
    }
  }
}

const single = (m: number, k: number, n: number, transA = false, transB = false): GemmDims => ({
  batch: 1,
  m,
  k,
  n,
  aBatchStride: 0,
  bBatchStride: 0,
  transA,
  transB,
});

const transposes = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Shapes: the edge cases (0, 1, tile widths ± 1) most of the time, else anything up to 70. */
const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 6, 7, 8, 9, 16, 17, 33), fc.integer({ min: 1, max: 70 }));
const gemmDims = fc
  .record({
    m: dim,
    k: dim,
    n: dim,
    batch: fc.integer({ min: 1, max: 3 }),
    sharedA: fc.boolean(),
    sharedB: fc.boolean(),
    transA: fc.boolean(),
    transB: fc.boolean(),
  })
  .map(({ m, k, n, batch, sharedA, sharedB, transA, transB }) => ({
    batch,
    m,
    k,
    n,
    aBatchStride: sharedA ? 0 : m * k,
    bBatchStride: sharedB ? 0 : k * n,
    transA,
    transB,
  }));

const initial = configureCpu();
const tuned = { ...wasmInternals };
afterAll(() => {
  configureCpu(initial);
  Object.assign(wasmInternals, { minMacs: tuned.minMacs, threadMinMacs: tuned.threadMinMacs });
});

for (const kernel of KERNELS) {
  describe(`cpu matmul kernel (${kernel.name})`, () => {
    beforeAll(() => {
      const on = configureCpu({ wasm: kernel.wasm, threads: kernel.threads });
      // every float32 product, however small, goes to the kernel under test and is split
      Object.assign(wasmInternals, { minMacs: 0, threadMinMacs: 0 });
      // where the runtime has no WebAssembly SIMD the WASM configurations test the fallback
      if (kernel.wasm) expect(on.wasm).toBe(true);
    });

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
            [64, 64, 64],
          ] as const) {
            check(Arr, single(m, k, n), kernel.wasm);
          }
        });

        it('crosses every blocking boundary (k > KC, m > MC, n > NC), in every transpose', () => {
          for (const [tA, tB] of transposes) {
            check(Arr, single(7, 600, 5, tA, tB), kernel.wasm); // three k-panels (the float32 accumulator path)
            check(Arr, single(131, 20, 7, tA, tB), kernel.wasm); // two row blocks with a ragged edge
            check(Arr, single(3, 9, 2100, tA, tB), kernel.wasm); // two column blocks with a ragged edge
          }
        });

        it('handles batches, including a broadcast operand', () => {
          check(Arr, { batch: 3, m: 5, k: 6, n: 7, aBatchStride: 30, bBatchStride: 42 }, kernel.wasm);
          check(Arr, { batch: 3, m: 5, k: 6, n: 7, aBatchStride: 0, bBatchStride: 42 }, kernel.wasm); // A shared
          check(Arr, { batch: 4, m: 5, k: 6, n: 7, aBatchStride: 30, bBatchStride: 0 }, kernel.wasm); // B shared: folded into rows
          check(Arr, { batch: 4, m: 5, k: 6, n: 7, aBatchStride: 30, bBatchStride: 0, transA: true }, kernel.wasm); // not foldable
          check(Arr, { batch: 2, m: 3, k: 300, n: 2, aBatchStride: 900, bBatchStride: 600 }, kernel.wasm);
        });

        it('writes zeros when k = 0 and nothing when m or n is 0', () => {
          check(Arr, single(3, 0, 4), kernel.wasm);
          check(Arr, { batch: 2, m: 2, k: 0, n: 3, aBatchStride: 0, bBatchStride: 0 }, kernel.wasm);
          check(Arr, single(0, 5, 4), kernel.wasm);
          check(Arr, single(4, 5, 0), kernel.wasm);
        });
      });
    }

    it('matches a float64 reference on random shapes, batches and transposes (property)', () => {
      fc.assert(
        fc.property(gemmDims, (d) => check(Float32Array, d, kernel.wasm)),
        { numRuns: 150, seed: 6 },
      );
    });
  });
}

describe('cpu matmul dispatch', () => {
  beforeAll(() => Object.assign(wasmInternals, { minMacs: tuned.minMacs, threadMinMacs: tuned.threadMinMacs }));

  const product = () => {
    const d = single(40, 50, 60);
    const a = new Float32Array(40 * 50);
    const b = new Float32Array(50 * 60);
    fillRandom(a, 3);
    fillRandom(b, 4);
    const c = new Float32Array(40 * 60);
    matmul(a, b, c, d);
    return c;
  };

  it('uses the TypeScript kernel when WASM is switched off, and the WASM kernel otherwise', () => {
    expect(configureCpu({ wasm: false })).toEqual({ wasm: false, threads: 1 });
    let calls = wasmInternals.calls;
    const ts = product();
    expect(wasmInternals.calls).toBe(calls);
    expect(configureCpu({ wasm: true }).wasm).toBe(true);
    calls = wasmInternals.calls;
    const simd = product();
    expect(wasmInternals.calls).toBe(calls + 1);
    // both right, by different summation orders
    for (let i = 0; i < ts.length; i++) expect(Math.abs(ts[i]! - simd[i]!)).toBeLessThan(1e-4);
  });

  it('keeps float64 and int32 on the TypeScript kernel', () => {
    configureCpu({ wasm: true });
    const calls = wasmInternals.calls;
    for (const Arr of [Float64Array, Int32Array] as Ctor[])
      matmul(new Arr(64 * 64), new Arr(64 * 64), new Arr(64 * 64), single(64, 64, 64));
    expect(wasmInternals.calls).toBe(calls);
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => configureCpu({ threads: 0 })).toThrow(/configureCpu: threads must be a positive integer, got 0/);
    expect(() => configureCpu({ threads: 1.5 })).toThrow(/positive integer/);
  });
});
