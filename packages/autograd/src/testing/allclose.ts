import { fmt } from '../errors.js';
import { isTensor, type Tensor } from '../tensor.js';
import type { NestedArray } from '../types.js';

/** Tolerances: `|a − b| ≤ atol + rtol·|b|` elementwise (NumPy's rule). */
export interface CloseOptions {
  atol?: number;
  rtol?: number;
  /** Treat NaN as equal to NaN (default false). */
  equalNaN?: boolean;
}

/** What `allclose` compares: tensors, nested arrays, typed arrays. */
export type Comparable = Tensor | NestedArray<number | boolean> | ArrayLike<number>;

function flat(x: Comparable): { values: ArrayLike<number>; shape: number[] } {
  if (isTensor(x)) return { values: x.dataSync() as ArrayLike<number>, shape: [...x.shape] };
  if (ArrayBuffer.isView(x)) return { values: x as ArrayLike<number>, shape: [(x as ArrayLike<number>).length] };
  const shape: number[] = [];
  for (let d: unknown = x; Array.isArray(d); d = d[0]) shape.push(d.length);
  const values = (Array.isArray(x) ? (x as unknown[]).flat(Number.POSITIVE_INFINITY) : [x]).map(Number);
  return { values, shape };
}

/**
 * The worst mismatch between `a` and `b`, or null when they are close.
 *
 * @example
 * closeMismatch(tensor([1, 2]), [1, 3]); // 'element 1: 2 vs 3 (…)'
 */
export function closeMismatch(a: Comparable, b: Comparable, opts: CloseOptions = {}): string | null {
  const { atol = 1e-5, rtol = 1e-5, equalNaN = false } = opts;
  const A = flat(a);
  const B = flat(b);
  if (A.values.length !== B.values.length || (isTensor(a) && isTensor(b) && fmt(A.shape) !== fmt(B.shape))) {
    return `shapes differ: ${fmt(A.shape)} vs ${fmt(B.shape)}`;
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < A.values.length; i++) {
    const x = A.values[i]!;
    const y = B.values[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (equalNaN && Number.isNaN(x) && Number.isNaN(y)) continue;
      return `element ${i}: ${x} vs ${y} (NaN)`;
    }
    if (x === y) continue; // covers equal infinities
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worstExcess || (excess > 0 && worst < 0)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst < 0) return null;
  const x = A.values[worst]!;
  const y = B.values[worst]!;
  return `element ${worst}: ${x} vs ${y} (|diff| ${Math.abs(x - y).toExponential(3)} > atol ${atol} + rtol ${rtol}·|b|)`;
}

/**
 * True when `a` and `b` have the same size and every element satisfies
 * `|a − b| ≤ atol + rtol·|b|` (defaults 1e-5 / 1e-5). Tensors are read synchronously (CPU).
 *
 * @example
 * allclose(tensor([1, 2]), [1, 2.000001]); // true
 */
export function allclose(a: Comparable, b: Comparable, opts: CloseOptions = {}): boolean {
  return closeMismatch(a, b, opts) === null;
}

/**
 * Throws an Error describing the worst element when `a` and `b` are not close.
 *
 * @example
 * assertAllclose(tensor([1, 2]), [1, 2]);
 */
export function assertAllclose(a: Comparable, b: Comparable, opts: CloseOptions = {}): void {
  const mismatch = closeMismatch(a, b, opts);
  if (mismatch) throw new Error(`not close: ${mismatch}`);
}
