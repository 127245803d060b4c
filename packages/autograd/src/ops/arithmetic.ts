import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { binary, unary } from './pointwise.js';

// The public elementwise functions: one line each over the primitives of elementwise.ts.

/**
 * Negation.
 *
 * `-x`
 *
 * @example
 * neg(tensor([1, -2])); // [-1, 2]
 */
export function neg<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('neg', x);
}

/**
 * Absolute value (gradient 0 at 0).
 *
 * `|x|`
 *
 * @example
 * abs(tensor([-3])); // [3]
 */
export function abs<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('abs', x);
}

/**
 * Sign: -1, 0 or 1 (zero gradient).
 *
 * `sign(x)`
 *
 * @example
 * sign(tensor([-3, 0, 2])); // [-1, 0, 1]
 */
export function sign<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('sign', x);
}

/**
 * Exponential.
 *
 * `eˣ`
 *
 * @example
 * exp(tensor([0])); // [1]
 */
export function exp<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('exp', x);
}

/**
 * `eˣ − 1`, accurate near 0.
 *
 * `eˣ − 1`
 *
 * @example
 * expm1(tensor([1e-10]));
 */
export function expm1<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('expm1', x);
}

/**
 * Natural logarithm.
 *
 * `ln x`
 *
 * @example
 * log(tensor([Math.E])); // [1]
 */
export function log<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('log', x);
}

/**
 * `ln(1 + x)`, accurate near 0.
 *
 * `ln(1 + x)`
 *
 * @example
 * log1p(tensor([1e-10]));
 */
export function log1p<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('log1p', x);
}

/**
 * Square root.
 *
 * `√x`
 *
 * @example
 * sqrt(tensor([4])); // [2]
 */
export function sqrt<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('sqrt', x);
}

/**
 * Reciprocal square root.
 *
 * `1/√x`
 *
 * @example
 * rsqrt(tensor([4])); // [0.5]
 */
export function rsqrt<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('rsqrt', x);
}

/**
 * Reciprocal.
 *
 * `1/x`
 *
 * @example
 * reciprocal(tensor([4])); // [0.25]
 */
export function reciprocal<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('reciprocal', x);
}

/**
 * Sine.
 *
 * `sin x`
 *
 * @example
 * sin(tensor([0])); // [0]
 */
export function sin<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('sin', x);
}

/**
 * Cosine.
 *
 * `cos x`
 *
 * @example
 * cos(tensor([0])); // [1]
 */
export function cos<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('cos', x);
}

/**
 * Hyperbolic tangent.
 *
 * `tanh x`
 *
 * @example
 * tanh(tensor([0])); // [0]
 */
export function tanh<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('tanh', x);
}

/**
 * Logistic sigmoid, computed stably for large |x|.
 *
 * `σ(x) = 1/(1 + e⁻ˣ)`
 *
 * @example
 * sigmoid(tensor([0])); // [0.5]
 */
export function sigmoid<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('sigmoid', x);
}

/**
 * Gauss error function.
 *
 * `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt`
 *
 * @example
 * erf(tensor([0])); // [0]
 */
export function erf<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('erf', x);
}

/**
 * Round down (zero gradient).
 *
 * `⌊x⌋`
 *
 * @example
 * floor(tensor([1.5])); // [1]
 */
export function floor<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return unary('floor', x);
}

/**
 * Elementwise NOT of a bool tensor.
 *
 * @example
 * logicalNot(tensor([true, false])); // [false, true]
 */
export function logicalNot<R extends number>(x: Tensor<DType, R>): Tensor<'bool', R> {
  return unary('logicalNot', x) as Tensor<'bool', R>;
}

/**
 * Elementwise sum, broadcasting.
 *
 * `a + b`
 *
 * @example
 * add(tensor([1, 2]), 1); // [2, 3]
 */
export function add<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('add', a, b) as Tensor<D>;
}

/**
 * Elementwise difference, broadcasting.
 *
 * `a − b`
 *
 * @example
 * sub(tensor([1, 2]), 1); // [0, 1]
 */
export function sub<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('sub', a, b) as Tensor<D>;
}

/**
 * Elementwise product, broadcasting.
 *
 * `a · b`
 *
 * @example
 * mul(tensor([1, 2]), 3); // [3, 6]
 */
export function mul<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('mul', a, b) as Tensor<D>;
}

/**
 * Elementwise quotient, broadcasting (floats only).
 *
 * `a / b`
 *
 * @example
 * div(tensor([1, 2]), 2); // [0.5, 1]
 */
export function div<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('div', a, b) as Tensor<D>;
}

/**
 * Elementwise power, broadcasting (floats only).
 *
 * `aᵇ`
 *
 * @example
 * pow(tensor([2, 3]), 2); // [4, 9]
 */
export function pow<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('pow', a, b) as Tensor<D>;
}

/**
 * Elementwise maximum; ties split the gradient equally. NaN propagates.
 *
 * `max(a, b)`
 *
 * @example
 * maximum(tensor([1, 5]), 3); // [3, 5]
 */
export function maximum<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('maximum', a, b) as Tensor<D>;
}

/**
 * Elementwise minimum; ties split the gradient equally. NaN propagates.
 *
 * `min(a, b)`
 *
 * @example
 * minimum(tensor([1, 5]), 3); // [1, 3]
 */
export function minimum<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  return binary('minimum', a, b) as Tensor<D>;
}

/**
 * Elementwise `a == b` (bool result).
 *
 * @example
 * eq(tensor([1, 2]), 2); // [false, true]
 */
export function eq<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('eq', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise `a != b` (bool result).
 *
 * @example
 * ne(tensor([1, 2]), 2); // [true, false]
 */
export function ne<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('ne', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise `a < b` (bool result).
 *
 * @example
 * lt(tensor([1, 2]), 2); // [true, false]
 */
export function lt<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('lt', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise `a <= b` (bool result).
 *
 * @example
 * le(tensor([1, 2]), 2); // [true, true]
 */
export function le<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('le', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise `a > b` (bool result).
 *
 * @example
 * gt(tensor([1, 2]), 1); // [false, true]
 */
export function gt<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('gt', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise `a >= b` (bool result).
 *
 * @example
 * ge(tensor([1, 2]), 2); // [false, true]
 */
export function ge<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('ge', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise AND of bool tensors.
 *
 * @example
 * logicalAnd(tensor([true, false]), tensor([true, true])); // [true, false]
 */
export function logicalAnd<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('logicalAnd', a, b) as Tensor<'bool'>;
}

/**
 * Elementwise OR of bool tensors.
 *
 * @example
 * logicalOr(tensor([true, false]), tensor([false, false])); // [true, false]
 */
export function logicalOr<D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<'bool'> {
  return binary('logicalOr', a, b) as Tensor<'bool'>;
}
