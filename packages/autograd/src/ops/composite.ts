// Ops built from primitives: no kernel and no gradient rule of their own, so every backend and
// every order of derivative come for free.
import { assertDType, type DType } from '../dtype.js';
import { DTypeError, describeValue, fmt, ShapeError, ValueError } from '../errors.js';
import { type AxisArg, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { gather } from './indexing.js';
import { concat, slice } from './movement.js';
import { detach, where } from './pointwise.js';
import { max, type ReduceOptions, sum } from './reduce.js';
import { axesOf, checkCount, checkDType, checkIndex, checkList, checkTensor, checkTensorList } from './util.js';

/** `x²`. @example square(tensor([3])); // [9] */
export function square<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  checkTensor(x, 'square', 'x');
  return x.mul(x) as Tensor<D, R>;
}

/**
 * Rectified linear unit (gradient 0 at 0, like PyTorch).
 *
 * `relu(x) = max(x, 0)`
 *
 * @example
 * relu(tensor([-1, 2])); // [0, 2]
 */
export function relu<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  checkTensor(x, 'relu', 'x');
  // NOTE: not maximum(x, 0): maximum splits the gradient in half at ties
  return where(x.gt(0), x, 0) as Tensor<D, R>;
}

/** `x` for x > 0, `slope·x` otherwise. @example leakyRelu(tensor([-1, 2]), 0.1); // [-0.1, 2] */
export function leakyRelu<D extends DType, R extends number>(x: Tensor<D, R>, negativeSlope = 0.01): Tensor<D, R> {
  checkTensor(x, 'leakyRelu', 'x');
  if (!Number.isFinite(negativeSlope)) throw new ValueError(`negativeSlope must be finite, got ${negativeSlope}`, 'leakyRelu');
  return where(x.gt(0), x, x.mul(negativeSlope)) as Tensor<D, R>;
}

/**
 * Exponential linear unit.
 *
 * `elu(x) = x (x > 0), α(eˣ − 1) otherwise`
 *
 * @example
 * elu(tensor([-1, 2])); // [-0.632, 2]
 */
export function elu<D extends DType, R extends number>(x: Tensor<D, R>, alpha = 1): Tensor<D, R> {
  checkTensor(x, 'elu', 'x');
  if (!Number.isFinite(alpha)) throw new ValueError(`alpha must be finite, got ${alpha}`, 'elu');
  // expm1 of min(x, 0): the unused branch never overflows, so no 0·Inf in the gradient. The min is a
  // where, not minimum (which halves the gradient at a tie): at 0 the derivative is α·e⁰ = α, 1 for α = 1
  const pos = x.gt(0);
  return where(pos, x, where(pos, 0, x).expm1().mul(alpha)) as Tensor<D, R>;
}

/**
 * Gaussian error linear unit, exact (erf) form as in PyTorch's default.
 *
 * `gelu(x) = x · Φ(x) = ½x(1 + erf(x/√2))`
 *
 * @example
 * gelu(tensor([0, 1])); // [0, 0.8413]
 */
export function gelu<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  checkTensor(x, 'gelu', 'x');
  return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5) as Tensor<D, R>;
}

/**
 * Softplus, stable for all x; linear above `threshold` (PyTorch semantics).
 *
 * `softplus(x) = ln(1 + e^(βx)) / β`
 *
 * @example
 * softplus(tensor([0])); // [0.6931]
 */
export function softplus<D extends DType, R extends number>(x: Tensor<D, R>, beta = 1, threshold = 20): Tensor<D, R> {
  checkTensor(x, 'softplus', 'x');
  if (!Number.isFinite(beta) || beta === 0 || typeof threshold !== 'number' || Number.isNaN(threshold))
    throw new ValueError(`beta must be finite and non-zero and threshold not NaN, got beta ${beta}, threshold ${threshold}`, 'softplus');
  const bx = x.mul(beta);
  // ln(1 + eᶻ) = max(z, 0) + ln(1 + e^(−|z|)), both pieces picked with where on z > 0: at z = 0 this
  // is ln(1 + eᶻ) itself, so every derivative there is right (σ(0) = ½, σ′(0) = ¼). maximum/minimum
  // split the gradient at the tie instead: the first derivative comes out ½ but the second 0.
  const pos = bx.gt(0);
  const stable = where(pos, bx, 0)
    .add(where(pos, bx.neg(), bx).exp().log1p())
    .div(beta);
  return where(bx.gt(threshold), x, stable) as Tensor<D, R>;
}

const isBound = (v: unknown) => v == null || typeof v === 'number';

/**
 * Clamps into `[min, max]` (either bound may be omitted); gradient 1 inside, inclusive.
 *
 * @example
 * clamp(tensor([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 */
export function clamp<D extends DType, R extends number>(x: Tensor<D, R>, min?: number | null, max?: number | null): Tensor<D, R> {
  checkTensor(x, 'clamp', 'x');
  if (!isBound(min) || !isBound(max))
    throw new ValueError(`min and max must be numbers, null or omitted, got ${describeValue(min)} and ${describeValue(max)}`, 'clamp');
  if (min != null && max != null && min > max) throw new ValueError(`min ${min} is greater than max ${max}`, 'clamp');
  if (Number.isNaN(min) || Number.isNaN(max)) throw new ValueError('bounds must not be NaN', 'clamp');
  let y: Tensor = x;
  if (min != null) y = where(y.lt(min), min, y);
  if (max != null) y = where(y.gt(max), max, y);
  return y as Tensor<D, R>;
}

const countOf = (x: Tensor, axis: AxisArg | undefined, op: string) => axesOf(axis, x.rank, op).reduce((n, a) => n * x.shape[a]!, 1);

/**
 * Arithmetic mean over `axis` (floats only).
 *
 * @example
 * mean(tensor([[1, 2], [3, 4]]), 1); // [1.5, 3.5]
 */
export function mean<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  checkTensor(x, 'mean', 'x');
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new DTypeError(`expected float32 or float64, got ${x.dtype}; cast first`, 'mean');
  const n = countOf(x, axis, 'mean');
  if (n === 0) throw new ShapeError(`mean over an empty axis (shape ${fmt(x.shape)}) is undefined`, 'mean');
  return sum(x, axis, opts).div(n) as Tensor<D>;
}

/**
 * `ln Σ eˣ` over `axis`, computed stably (the max is subtracted first).
 *
 * @example
 * logsumexp(tensor([0, 0])); // ln 2
 */
export function logsumexp<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  checkTensor(x, 'logsumexp', 'x');
  checkDType(x.dtype, 'float', 'logsumexp');
  if (countOf(x, axis, 'logsumexp') === 0) throw new ShapeError(`logsumexp over an empty axis (shape ${fmt(x.shape)})`, 'logsumexp');
  const m = max(x, axis, { keepDims: true });
  // the max only shifts: its gradient cancels exactly, so it is detached (and ±Inf rows stay finite)
  const shift = detach(where(m.abs().lt(Number.POSITIVE_INFINITY), m, 0));
  const s = sum(x.sub(shift).exp(), axis, { keepDims: true }).log().add(shift) as Tensor<D>;
  return opts.keepDims ? s : s.squeeze(axesOf(axis, x.rank, 'logsumexp'));
}

/**
 * Variance over `axis`; `correction` 1 (default, as PyTorch) divides by n − 1.
 *
 * `var(x) = Σ(x − x̄)² / (n − correction)`
 *
 * @example
 * variance(tensor([1, 2, 3, 4])); // 1.6667
 */
export function variance<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions & { correction?: number } = {}): Tensor<D> {
  checkTensor(x, 'variance', 'x');
  checkDType(x.dtype, 'float', 'variance');
  const n = countOf(x, axis, 'variance');
  const correction = opts.correction ?? 1;
  if (n - correction <= 0)
    throw new ShapeError(`variance needs more than ${correction} element(s) per reduction, got ${n} (shape ${fmt(x.shape)})`, 'variance');
  const centered = x.sub(mean(x, axis, { keepDims: true }));
  return sum(centered.mul(centered) as Tensor<D>, axis, opts).div(n - correction) as Tensor<D>;
}

/** Standard deviation: `√variance`. @example std(tensor([1, 2, 3, 4])); // 1.291 */
export function std<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions & { correction?: number } = {}): Tensor<D> {
  checkTensor(x, 'std', 'x');
  return variance(x, axis, opts).sqrt();
}

/**
 * Softmax along `axis`, stable for large inputs.
 *
 * `softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ)`
 *
 * @example
 * softmax(tensor([0, 0])); // [0.5, 0.5]
 */
export function softmax<D extends DType, R extends number>(x: Tensor<D, R>, axis = -1): Tensor<D, R> {
  checkTensor(x, 'softmax', 'x');
  checkDType(x.dtype, 'float', 'softmax');
  normalizeAxis(axis, x.rank, 'softmax');
  const e = x.sub(detach(max(x, axis, { keepDims: true }))).exp();
  return e.div(sum(e, axis, { keepDims: true })) as Tensor<D, R>;
}

/**
 * Log of the softmax, computed stably.
 *
 * `logSoftmax(x)ᵢ = xᵢ − ln Σⱼ e^(xⱼ)`
 *
 * @example
 * logSoftmax(tensor([0, 0])); // [-0.693, -0.693]
 */
export function logSoftmax<D extends DType, R extends number>(x: Tensor<D, R>, axis = -1): Tensor<D, R> {
  checkTensor(x, 'logSoftmax', 'x');
  checkDType(x.dtype, 'float', 'logSoftmax');
  normalizeAxis(axis, x.rank, 'logSoftmax');
  return x.sub(logsumexp(x as Tensor<D>, axis, { keepDims: true })) as Tensor<D, R>;
}

/** Inner product of two 1-D tensors. @example dot(tensor([1, 2]), tensor([3, 4])); // 11 */
export function dot<D extends DType>(a: Tensor<D>, b: Tensor<D>): Tensor<D, 0> {
  checkTensor(a, 'dot', 'a');
  checkTensor(b, 'dot', 'b');
  if (a.rank !== 1 || b.rank !== 1 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`expected two 1-D tensors of equal length, got ${fmt(a.shape)} and ${fmt(b.shape)}`, 'dot');
  }
  return sum(a.mul(b) as Tensor<D>) as Tensor<D, 0>;
}

/** Outer product of two 1-D tensors: `out[i][j] = a[i]·b[j]`. @example outer(tensor([1, 2]), tensor([3, 4])); */
export function outer<D extends DType>(a: Tensor<D>, b: Tensor<D>): Tensor<D, 2> {
  checkTensor(a, 'outer', 'a');
  checkTensor(b, 'outer', 'b');
  if (a.rank !== 1 || b.rank !== 1) throw new ShapeError(`expected two 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`, 'outer');
  return a.reshape([-1, 1]).mul(b.reshape([1, -1]) as Tensor<D>) as Tensor<D, 2>;
}

/** Merges axes `startAxis..endAxis` into one. @example flatten(zeros([2, 3, 4]), 1).shape; // [2, 12] */
export function flatten<D extends DType>(x: Tensor<D>, startAxis = 0, endAxis = -1): Tensor<D> {
  checkTensor(x, 'flatten', 'x');
  if (x.rank === 0) return x.reshape([1]);
  const s = normalizeAxis(startAxis, x.rank, 'flatten');
  const e = normalizeAxis(endAxis, x.rank, 'flatten');
  if (s > e) throw new ShapeError(`startAxis ${startAxis} comes after endAxis ${endAxis}`, 'flatten');
  return x.reshape([...x.shape.slice(0, s), -1, ...x.shape.slice(e + 1)]);
}

/** Removes size-1 axes (all of them, or the given ones). @example squeeze(zeros([1, 3, 1])).shape; // [3] */
export function squeeze<D extends DType>(x: Tensor<D>, axis?: AxisArg): Tensor<D> {
  checkTensor(x, 'squeeze', 'x');
  const axes = axis === undefined ? [...x.shape.keys()].filter((i) => x.shape[i] === 1) : axesOf(axis, x.rank, 'squeeze');
  for (const a of axes)
    if (x.shape[a] !== 1) throw new ShapeError(`cannot squeeze axis ${a} of size ${x.shape[a]} (shape ${fmt(x.shape)})`, 'squeeze');
  return x.reshape(x.shape.filter((_, i) => !axes.includes(i)));
}

/** Inserts a size-1 axis at `axis` (negative counts from the end of the result). @example unsqueeze(zeros([3]), 0).shape; // [1, 3] */
export function unsqueeze<D extends DType>(x: Tensor<D>, axis: number): Tensor<D> {
  checkTensor(x, 'unsqueeze', 'x');
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return x.reshape(shape);
}

/** Swaps two axes (the last two by default). @example transpose(zeros([2, 3])).shape; // [3, 2] */
export function transpose<D extends DType, R extends number>(x: Tensor<D, R>, axis0 = -2, axis1 = -1): Tensor<D, R> {
  checkTensor(x, 'transpose', 'x');
  if (x.rank < 2) return x.permute([...x.shape.keys()]);
  const a = normalizeAxis(axis0, x.rank, 'transpose');
  const b = normalizeAxis(axis1, x.rank, 'transpose');
  const axes = [...x.shape.keys()];
  [axes[a], axes[b]] = [b, a];
  return x.permute(axes);
}

/** Joins tensors of one shape along a new axis. @example stack([tensor([1, 2]), tensor([3, 4])]).shape; // [2, 2] */
export function stack<D extends DType>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  checkTensorList(tensors, 'stack', 'tensors');
  if (tensors.length === 0) throw new ValueError('needs at least one tensor', 'stack');
  const first = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (t.shape.length !== first.shape.length || t.shape.some((d, j) => d !== first.shape[j])) {
      throw new ShapeError(`tensor ${i} has shape ${fmt(t.shape)}, tensor 0 has ${fmt(first.shape)}; stack needs equal shapes`, 'stack');
    }
  }
  const a = normalizeAxis(axis, first.rank + 1, 'stack');
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/**
 * Splits along `axis` into pieces of `sizes` (a list), or of `sizes` elements each (the last may
 * be smaller).
 *
 * @example
 * split(arange(5), 2).map((t) => t.shape[0]); // [2, 2, 1]
 */
export function split<D extends DType, R extends number>(x: Tensor<D, R>, sizes: number | readonly number[], axis = 0): Tensor<D, R>[] {
  checkTensor(x, 'split', 'x');
  const a = normalizeAxis(axis, x.rank, 'split');
  const n = x.shape[a]!;
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new ValueError(`split size must be a positive integer, got ${sizes}`, 'split');
    list = Array.from({ length: Math.max(1, Math.ceil(n / sizes)) }, (_, i) => Math.min(sizes, n - i * sizes));
  } else {
    checkList(sizes, 'split', 'sizes', 'a positive integer or an array of sizes');
    list = [...sizes];
    for (const s of list) checkCount(s, 'each split size', 'split');
    const total = list.reduce((p, q) => p + q, 0);
    if (total !== n) throw new ShapeError(`split sizes ${fmt(list)} sum to ${total}, axis ${a} has ${n}`, 'split');
  }
  let start = 0;
  return list.map((size) => {
    const spec = x.shape.map((_, i) => (i === a ? ([start, start + size] as const) : null));
    start += size;
    return slice(x, spec) as Tensor<D, R>;
  });
}

/** Splits into `chunks` nearly equal pieces along `axis` (PyTorch semantics). @example chunk(arange(6), 3).length; // 3 */
export function chunk<D extends DType, R extends number>(x: Tensor<D, R>, chunks: number, axis = 0): Tensor<D, R>[] {
  checkTensor(x, 'chunk', 'x');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunks must be a positive integer, got ${chunks}`, 'chunk');
  const n = x.shape[normalizeAxis(axis, x.rank, 'chunk')]!;
  return split(x, Math.max(1, Math.ceil(n / chunks)), axis);
}

/**
 * Repeats the whole tensor `reps[i]` times along each axis (numpy.tile).
 *
 * @example
 * tile(tensor([1, 2]), [2]); // [1, 2, 1, 2]
 */
export function tile<D extends DType>(x: Tensor<D>, reps: readonly number[]): Tensor<D> {
  checkTensor(x, 'tile', 'x');
  checkList(reps, 'tile', 'reps');
  for (const r of reps) checkCount(r, 'each repetition', 'tile');
  const rank = Math.max(reps.length, x.rank);
  const shape = [...Array(rank - x.rank).fill(1), ...x.shape] as number[];
  const r = [...Array(rank - reps.length).fill(1), ...reps] as number[];
  // [a, b] → [1, a, 1, b] → expand [ra, a, rb, b] → reshape [ra·a, rb·b]
  const interleaved = shape.flatMap((d) => [1, d]);
  const expanded = x.reshape(interleaved).expand(shape.flatMap((d, i) => [r[i]!, d]));
  return expanded.reshape(shape.map((d, i) => d * r[i]!));
}

/**
 * Repeats each element `repeats` times along `axis` (numpy.repeat; flattened when omitted).
 *
 * @example
 * repeat(tensor([1, 2]), 2); // [1, 1, 2, 2]
 */
export function repeat<D extends DType>(x: Tensor<D>, repeats: number, axis?: number): Tensor<D> {
  checkTensor(x, 'repeat', 'x');
  checkCount(repeats, 'repeats', 'repeat');
  const src = axis === undefined ? x.reshape([-1]) : x;
  const a = normalizeAxis(axis === undefined ? 0 : axis, src.rank, 'repeat');
  const shape = [...src.shape];
  const withAxis = [...shape.slice(0, a + 1), 1, ...shape.slice(a + 1)];
  const expanded = src.reshape(withAxis).expand(withAxis.map((d, i) => (i === a + 1 ? repeats : d)));
  shape[a] = shape[a]! * repeats;
  return expanded.reshape(shape);
}

/** Reverses the order along `axis` (every axis when omitted). @example flip(tensor([1, 2, 3])); // [3, 2, 1] */
export function flip<D extends DType, R extends number>(x: Tensor<D, R>, axis?: AxisArg): Tensor<D, R> {
  checkTensor(x, 'flip', 'x');
  const axes = axesOf(axis, x.rank, 'flip');
  return slice(
    x,
    x.shape.map((_, i) => (axes.includes(i) ? ([null, null, -1] as const) : null)),
  ) as Tensor<D, R>;
}

/**
 * Picks entries `index` (1-D int32) along `axis`.
 *
 * @example
 * indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, tensor([2, 0], { dtype: 'int32' })); // [[5, 6], [1, 2]]
 */
export function indexSelect<D extends DType, R extends number>(x: Tensor<D, R>, axis: number, index: Tensor<'int32'>): Tensor<D, R> {
  checkTensor(x, 'indexSelect', 'x');
  checkTensor(index, 'indexSelect', 'index');
  if (index.rank !== 1) throw new ShapeError(`index must be 1-D, got shape ${fmt(index.shape)}`, 'indexSelect');
  const a = normalizeAxis(axis, x.rank, 'indexSelect');
  checkIndex('indexSelect', index, x.shape[a]!, a);
  const shape = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  const view = x.shape.map((_, i) => (i === a ? index.shape[0]! : 1));
  return gather(x, a, index.reshape(view).expand(shape) as Tensor<'int32'>) as Tensor<D, R>;
}

/**
 * One-hot encoding of int32 class indices: a new last axis of `numClasses`.
 *
 * @example
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot<D extends DType = 'float32'>(indices: Tensor<'int32'>, numClasses: number, dtype: D = 'float32' as D): Tensor<D> {
  const op = 'oneHot';
  checkTensor(indices, op, 'indices');
  if (indices.dtype !== 'int32') throw new DTypeError(`indices must be int32, got ${indices.dtype}`, op);
  assertDType(dtype, op);
  if (!Number.isInteger(numClasses) || numClasses <= 0)
    throw new ValueError(`numClasses must be a positive integer, got ${numClasses}`, op);
  if (indices.backend === 'cpu') {
    for (const v of indices.dataSync())
      if (v < 0 || v >= numClasses) throw new ValueError(`class index ${v} is out of range [0, ${numClasses})`, op);
  }
  const classes = arange(numClasses, undefined, 1, { dtype: 'int32' });
  return indices.unsqueeze(-1).eq(classes).cast(dtype) as Tensor<D>;
}
