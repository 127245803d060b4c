// The fused kernels' entry points to the WASM GEMM: a B packed once (`pack`) and multiplied many
// times (`gemm`), and `gemmPlain` on resident operands, against a float64 reference, on one
// thread and split across three (every product split, however small).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { i32, ModuleBuilder } from './emit.js';
import { configureCpu, wasmInternals, wasmScratch } from './index.js';
import { KC, NR } from './sgemm.js';

const initial = configureCpu();
const tuned = { ...wasmInternals };
afterAll(() => {
  configureCpu(initial);
  Object.assign(wasmInternals, { threadMinMacs: tuned.threadMinMacs });
});

/** Values in [−1, 1) from a seed (a Weyl sequence), so failures reproduce. */
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((seed * 0.618034 + i * 0.754877) % 1) * 2 - 1);

/** Σₚ a(i, p)·b(p, j) in float64 and the bound Σ|·| for the float32 tolerance (k + 2)·2⁻²⁴·bound. */
function check(
  got: Float32Array,
  at: (i: number, j: number) => number,
  m: number,
  n: number,
  k: number,
  a: (i: number, p: number) => number,
  b: (p: number, j: number) => number,
) {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let want = 0;
      let bound = 0;
      for (let p = 0; p < k; p++) {
        want += a(i, p) * b(p, j);
        bound += Math.abs(a(i, p) * b(p, j));
      }
      const tol = (k + 2) * 2 ** -24 * bound;
      if (!(Math.abs(got[at(i, j)]! - want) <= tol))
        expect.fail(`m=${m} n=${n} k=${k}: C[${i}, ${j}] = ${got[at(i, j)]}, want ${want} ± ${tol}`);
    }
  }
}

/** The byte address of operand region i: room for 80 rows of KC + 8 floats each. */
const region = (base: number) => (i: number) => base + i * 4 * 80 * (KC + 8);

/** Dimensions around the register tile (5×8) and the depth of a packed slice (KC). */
const dim = fc.oneof(fc.constantFrom(1, 4, 5, 6, NR - 1, NR, NR + 1, 17), fc.integer({ min: 1, max: 40 }));
const depth = fc.oneof(dim, fc.constantFrom(KC - 1, KC, KC + 3));

for (const threads of [1, 3]) {
  describe(`WASM GEMM on resident operands (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    it('pack once, multiply: C = A·B with A strided and B packed, C with a row stride', () => {
      expect(configureCpu({ wasm: true, threads }).wasm).toBe(true);
      wasmInternals.threadMinMacs = 0;
      fc.assert(
        fc.property(dim, dim, depth, fc.integer({ min: 0, max: 3 }), fc.boolean(), (m, n, k, pad, transB) => {
          const s = wasmScratch()!;
          const [A, Bm, P, C] = [0, 1, 2, 3].map(region(s.base)) as [number, number, number, number];
          expect(s.reserve(C + 4 * m * (n + pad) + 64)).toBe(true);
          const f = s.f32();
          const a = values(m * k, m + k);
          const b = values(k * n, n + 7 * k);
          f.set(a, A / 4);
          f.set(b, Bm / 4);
          f.fill(Number.NaN, C / 4, C / 4 + m * (n + pad)); // every entry must be written
          // B stored k×n, or n×k and read transposed (as the forward packs W_hhᵀ)
          const bAt = (p: number, j: number) => (transB ? j * k + p : p * n + j);
          s.pack(Bm, transB ? 4 : 4 * n, transB ? 4 * k : 4, k, n, P);
          expect(s.packedBytes(k, n)).toBe(4 * k * Math.ceil(n / NR) * NR);
          s.gemm({ a: A, aRow: 4 * k, aCol: 4, b: P, c: C, cRow: 4 * (n + pad), m, n, k });
          check(
            s.f32().subarray(C / 4),
            (i, j) => i * (n + pad) + j,
            m,
            n,
            k,
            (i, p) => a[i * k + p]!,
            (p, j) => b[bAt(p, j)]!,
          );
        }),
        { numRuns: 60 },
      );
    });

    it('gemmPlain: C = op(A)·B on resident row-major operands, A read transposed or not', () => {
      configureCpu({ wasm: true, threads });
      wasmInternals.threadMinMacs = 0;
      fc.assert(
        fc.property(dim, dim, depth, fc.boolean(), (m, n, k, transA) => {
          const s = wasmScratch()!;
          const [A, Bm, C] = [0, 1, 2].map(region(s.base)) as [number, number, number];
          expect(s.reserve(C + 4 * m * n)).toBe(true);
          const f = s.f32();
          const a = values(m * k, 3 * m + k);
          const b = values(k * n, n + k);
          f.set(a, A / 4);
          f.set(b, Bm / 4);
          f.fill(Number.NaN, C / 4, C / 4 + m * n);
          s.gemmPlain(A, Bm, C, m, n, k, transA);
          const aAt = (i: number, p: number) => (transA ? p * m + i : i * k + p);
          check(
            s.f32().subarray(C / 4),
            (i, j) => i * n + j,
            m,
            n,
            k,
            (i, p) => a[aAt(i, p)]!,
            (p, j) => b[p * n + j]!,
          );
        }),
        { numRuns: 60 },
      );
    });
  });
}

describe('wasmScratch', () => {
  it('is null when the WASM kernel is switched off', () => {
    configureCpu({ wasm: false });
    expect(wasmScratch()).toBeNull();
    configureCpu({ wasm: true });
    expect(wasmScratch()).not.toBeNull();
  });

  it('instantiates a module once per key and runs its init; null for a module that does not compile; no room past 2 GiB', () => {
    configureCpu({ wasm: true, threads: 1 });
    const s = wasmScratch()!;
    let builds = 0;
    // a module whose init writes 7 at the first byte past the base
    const build = (shared: boolean) => {
      builds++;
      const mod = new ModuleBuilder(shared);
      mod.define(mod.declare([] as const, 'init'), [i32.store(i32.const(s.base), i32.const(7))]);
      return mod.encode();
    };
    const m1 = s.module('test: empty', build);
    const m2 = s.module('test: empty', build);
    expect(m1).not.toBeNull();
    expect(m2).toBe(m1);
    expect(builds).toBe(1);
    expect(new Int32Array(s.f32().buffer)[s.base / 4]).toBe(7);
    expect(s.module('test: invalid', () => new Uint8Array([0, 1, 2]))).toBeNull();
    expect(s.reserve(2 ** 31 + 65536)).toBe(false);
  });
});
