import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Backend, registerBackend, setBackend } from '../backends/backend.js';
import { cpuBackend } from '../backends/cpu/index.js';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { broadcastPairArb, gradcheck } from '../testing/index.js';
import { tensor } from './creation.js';
import { type MatmulOptions, matmul } from './matmul.js';

/** Deterministic float64 values in [-2, 2) (an LCG: no global random state). */
function input(shape: readonly number[], seed: number, requiresGrad = false): Tensor<'float64'> {
  const n = shape.reduce((p, d) => p * d, 1);
  let s = seed >>> 0;
  const values = Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 4 - 2;
  });
  return tensor(values, { shape: [...shape], dtype: 'float64', requiresGrad });
}

/** A product `op(A)·op(B)` with op(A) `[...ba, m, k]` and op(B) `[...bb, k, n]`, each operand maybe stored transposed. */
interface Case {
  ba: number[];
  bb: number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

const dim = fc.integer({ min: 1, max: 5 });
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    pair: broadcastPairArb({ minRank: 0, maxRank: 2, minDim: 1, maxDim: 3 }),
    m: dim,
    k: dim,
    n: dim,
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
  })
  .map(({ pair: [ba, bb], ...rest }) => ({ ba, bb, ...rest }));

/** Stored shapes: the last two axes swapped for a transposed operand. */
const storedA = (c: Case) => (c.transposeA ? [...c.ba, c.k, c.m] : [...c.ba, c.m, c.k]);
const storedB = (c: Case) => (c.transposeB ? [...c.bb, c.n, c.k] : [...c.bb, c.k, c.n]);
const opts = (c: Case): MatmulOptions => ({ transposeA: c.transposeA, transposeB: c.transposeB });

/** Counts `backend.copy` calls (strided copies: transposes, broadcasts) made while `fn` runs. */
function copiesDuring(fn: () => void, backend: Backend = cpuBackend): number {
  const spy = vi.spyOn(backend, 'copy');
  try {
    fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

/** Forward and backward (seeded with a fixed cotangent, so no sum/expand enters the count). */
function forwardBackward(a: Tensor<'float64'>, b: Tensor<'float64'>, options: MatmulOptions, seed: number): Tensor<'float64'> {
  const out = matmul(a, b, options);
  out.backward(input(out.shape, seed));
  return out;
}

describe('matmul with transposed operands', () => {
  afterEach(() => vi.restoreAllMocks());

  it('equals the product of the materialized transposes, forward and backward', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const a = input(storedA(c), 1, true);
        const b = input(storedB(c), 2, true);
        const out = forwardBackward(a, b, opts(c), 3);
        const a2 = input(storedA(c), 1, true);
        const b2 = input(storedB(c), 2, true);
        const ref = (c.transposeA ? a2.transpose() : a2).matmul(c.transposeB ? b2.transpose() : b2);
        ref.backward(input(ref.shape, 3));
        expect(out.shape).toEqual(ref.shape);
        expect(out.arraySync()).toEqual(ref.arraySync());
        expect(a.grad!.arraySync()).toEqual(a2.grad!.arraySync());
        expect(b.grad!.arraySync()).toEqual(b2.grad!.arraySync());
      }),
      { seed: 6, numRuns: 60 },
    );
  });

  it('is gradchecked to second order in float64', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const f = (a: Tensor, b: Tensor) => matmul(a as Tensor<'float64'>, b as Tensor<'float64'>, opts(c));
        gradcheck(f, [input(storedA(c), 4), input(storedB(c), 5)], { order: 2 });
      }),
      { seed: 7, numRuns: 25 },
    );
  });

  it('copies nothing for a transposed operand or in the backward of an unbroadcast product', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), (c, sharedB) => {
        // The same batch on both sides, or one shared 2-D right operand (a linear layer): nothing
        // to broadcast. (A batch of transposed a against a shared b sums dB over the batch: a
        // reduction, not a transpose.)
        const k = sharedB ? { ...c, ba: c.transposeA ? [] : c.ba, bb: [] } : { ...c, bb: c.ba };
        const a = input(storedA(k), 1, true);
        const b = input(storedB(k), 2, true);
        expect(copiesDuring(() => forwardBackward(a, b, opts(k), 3))).toBe(0);
      }),
      { seed: 8, numRuns: 60 },
    );
  });

  it('copies less with batch broadcasting than materializing the transposes', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const flagged = copiesDuring(() => forwardBackward(input(storedA(c), 1, true), input(storedB(c), 2, true), opts(c), 3));
        const a = input(storedA(c), 1, true);
        const b = input(storedB(c), 2, true);
        const materialized = copiesDuring(() => {
          const out = (c.transposeA ? a.transpose() : a).matmul(c.transposeB ? b.transpose() : b);
          out.backward(input(out.shape, 3));
        });
        // each materialized transpose costs a copy forward and one for its gradient
        const saved = 2 * (Number(c.transposeA) + Number(c.transposeB));
        expect(flagged).toBeLessThanOrEqual(materialized - saved + (c.transposeA && c.bb.length === 0 && c.ba.length > 0 ? 1 : 0));
      }),
      { seed: 9, numRuns: 60 },
    );
  });

  it('materializes transposed operands, once, on a backend that cannot read them', async () => {
    const plain: Backend = { ...cpuBackend, name: 'cpu-row-major', transposedMatmul: false };
    registerBackend(plain.name, () => plain);
    const matmulSpy = vi.spyOn(plain, 'matmul');
    await setBackend(plain.name);
    try {
      const a = input([2, 4, 3], 1);
      const b = input([5, 3], 2);
      let out: Tensor | undefined;
      expect(copiesDuring(() => (out = matmul(a, b, { transposeB: true })), plain)).toBe(1);
      expect(matmulSpy.mock.calls[0]![4]).toMatchObject({ transA: false, transB: false });
      expect(out!.arraySync()).toEqual(a.matmul(b.transpose()).arraySync());
    } finally {
      await setBackend('cpu');
    }
  });

  it('names the op, the shapes and the layout when sizes do not fit', () => {
    const a = input([2, 3], 1);
    expect(() => matmul(a, input([4, 3], 2))).toThrow(/matmul: inner dimensions differ: \[2, 3\] @ \[4, 3\] \(3 vs 4\)/);
    expect(() => matmul(a, input([4, 2], 2), { transposeB: true })).toThrow(/expected a\[\.\.\., m, k\] @ b\[\.\.\., n, k\]ᵀ/);
    expect(() => matmul(a, input([3], 2), { transposeB: true })).toThrow(ShapeError);
    expect(() => matmul(input([3], 1), a, { transposeA: true })).toThrow(/transposeA needs a at least 2-D, got \[3\]/);
  });
});
