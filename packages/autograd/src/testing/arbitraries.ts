import fc from 'fast-check';
import type { FloatDType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

/** Bounds of generated shapes. */
export interface ShapeConstraints {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
}

/**
 * Shapes: a list of axis sizes.
 *
 * @example
 * fc.assert(fc.property(shapeArb({ maxRank: 3 }), (s) => s.length <= 3));
 */
export function shapeArb({ minRank = 0, maxRank = 4, minDim = 1, maxDim = 5 }: ShapeConstraints = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together (NumPy rules): a random shape, and a copy with some axes
 * set to 1 and some leading axes dropped — in random order.
 *
 * @example
 * fc.assert(fc.property(broadcastPairArb(), ([a, b]) => a.length >= 0 && b.length >= 0));
 */
export function broadcastPairArb(constraints: ShapeConstraints = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(constraints).chain((full) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        fc.integer({ min: 0, max: full.length }),
        fc.boolean(),
      )
      .map(([onesA, onesB, drop, swap]) => {
        const a = full.map((d, i) => (onesA[i] && !onesB[i] ? 1 : d));
        const b = full.map((d, i) => (onesB[i] ? 1 : d)).slice(drop);
        return swap ? [b, a] : [a, b];
      }),
  );
}

/** Value domain of generated tensors. */
export interface ValueConstraints {
  min?: number;
  max?: number;
  /** Keep values at least this far from each point in `avoid` (e.g. kinks of abs/relu). */
  avoid?: readonly number[];
  margin?: number;
  dtype?: FloatDType;
}

/**
 * Float tensors of a given shape with values in `[min, max]` (default [-3, 3]), optionally kept
 * away from non-differentiable points.
 *
 * @example
 * fc.assert(fc.property(tensorArb([2, 3], { min: 0.1, max: 2 }), (t) => t.size === 6));
 */
export function tensorArb(shape: readonly number[], c: ValueConstraints = {}): fc.Arbitrary<Tensor<FloatDType>> {
  const size = shape.reduce((a, b) => a * b, 1);
  return valuesArb(size, c).map((v) => tensor(Float64Array.from(v), { shape, dtype: c.dtype ?? 'float64' }));
}

/** Steps of the uniform grid {@link valuesArb} draws from. */
const STEPS = 2 ** 30;

/**
 * Flat lists of `size` values in the domain (see {@link tensorArb}). Three values in four are
 * spread uniformly over `[min, max]`; the fourth comes from `fc.double`, which draws uniformly over
 * the *representations* of doubles — mostly tiny magnitudes, and the ends of the range — so both
 * typical values and edge cases are tried.
 *
 * @example
 * fc.assert(fc.property(valuesArb(3, { min: 0.1, max: 2 }), (v) => v.every((x) => x >= 0.1)));
 */
export function valuesArb(size: number, { min = -3, max = 3, avoid = [], margin = 0.05 }: ValueConstraints = {}): fc.Arbitrary<number[]> {
  const uniform = fc.integer({ min: 0, max: STEPS }).map((k) => Math.min(max, min + ((max - min) * k) / STEPS));
  const edges = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const value = fc
    .oneof({ weight: 3, arbitrary: uniform }, { weight: 1, arbitrary: edges })
    .filter((v) => avoid.every((p) => Math.abs(v - p) >= margin));
  return fc.array(value, { minLength: size, maxLength: size });
}

/**
 * A tensor with a random shape (see {@link shapeArb}) and values in the domain.
 *
 * @example
 * fc.assert(fc.property(shapedTensorArb({ maxRank: 2 }), (t) => t.rank <= 2));
 */
export function shapedTensorArb(shape: ShapeConstraints = {}, values: ValueConstraints = {}): fc.Arbitrary<Tensor<FloatDType>> {
  return shapeArb(shape).chain((s) => tensorArb(s, values));
}
