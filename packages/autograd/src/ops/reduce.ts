import type { ArgReduceOp, ReduceOp } from '../backends/backend.js';
import type { DType } from '../dtype.js';
import { fmt, ShapeError } from '../errors.js';
import { type AxisArg, normalizeAxis, sizeOf } from '../shape.js';
import { record } from '../tape.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { where } from './pointwise.js';
import { axesOf, backendOf, checkDType, checkTensor } from './util.js';

/** Options of the reductions. */
export interface ReduceOptions {
  /** Keep reduced axes with size 1, so the result broadcasts against the input (default false). */
  keepDims?: boolean;
}

/** The shape after reducing `axes`, with or without the size-1 axes kept. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduce<D extends DType>(op: ReduceOp, x: Tensor<D>, axis: AxisArg | undefined, opts: ReduceOptions): Tensor<D> {
  checkTensor(x, op, 'x');
  checkDType(x.dtype, 'numeric', op);
  const axes = axesOf(axis, x.rank, op);
  if ((op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0)) {
    throw new ShapeError(`cannot take the ${op} over an empty axis (shape ${fmt(x.shape)}, axes ${fmt(axes)})`, op);
  }
  const backend = backendOf(op, x);
  const kept = [...x.shape.keys()].filter((i) => !axes.includes(i));
  // Move the reduced axes last, then reduce rows. The move is a copy only when it reorders axes
  // longer than 1: a sum over the batch axis of [1, H] (a bias gradient at B = 1) reads x as it is.
  const order = [...kept, ...axes].filter((a) => x.shape[a] !== 1);
  const src = order.every((a, i) => i === 0 || a > order[i - 1]!) ? x : x.permute([...kept, ...axes]);
  const inner = sizeOf(axes.map((a) => x.shape[a]!));
  const keepShape = reducedShape(x.shape, axes, true);
  const out = emptyTensor(reducedShape(x.shape, axes, opts.keepDims ?? false), x.dtype, backend);
  backend.reduce(op, src.buf(op), out.buf(op), x.dtype, out.size, inner);
  if (src !== x) src.dispose();
  return record(op, out, [x], (g) => {
    const gk = g.reshape(keepShape);
    if (op === 'sum') return [gk.expand(x.shape)];
    const y = out.reshape(keepShape);
    if (op === 'prod') return [gk.mul(prodGradFactor(x, y, axes))];
    // max/min: the winners share the gradient equally (like torch.amax)
    const winners = x.eq(y).cast(x.dtype);
    return [gk.mul(winners).div(winners.sum(axes, { keepDims: true }))];
  });
}

/**
 * ∂prod/∂xᵢ = ∏_{j≠i} xⱼ, exact with zeros: y/x without zeros, the other factors at a lone zero, 0 beyond.
 * With zeros the value is 0 or the non-zero factors, but its derivative is not: a single zero factor
 * besides xᵢ is kept in value-0 form (the sum of the zero entries, minus xᵢ's), so second
 * derivatives are exact too.
 */
function prodGradFactor<D extends DType>(x: Tensor<D>, y: Tensor<D>, axes: number[]): Tensor<D> {
  const isZero = x.eq(0);
  const zeros = isZero.cast(x.dtype).sum(axes, { keepDims: true });
  const safeX = where(isZero, 1, x);
  const othersAtZero = safeX.prod(axes, { keepDims: true });
  const noZero = y.div(safeX);
  const zeroX = where(isZero, x, 0);
  const otherZeroX = zeroX.sum(axes, { keepDims: true }).sub(zeroX); // the zero factors besides xᵢ (0 in value)
  const otherZeros = zeros.sub(isZero.cast(x.dtype)); // how many there are
  const oneOtherZero = otherZeroX.mul(othersAtZero).div(safeX);
  return where(zeros.eq(0), noZero, where(otherZeros.eq(0), othersAtZero, where(otherZeros.eq(1), oneOtherZero, 0))) as Tensor<D>;
}

/**
 * Sum over `axis` (all axes when omitted; negative axes count from the end).
 *
 * `sum(x)ᵢ = Σⱼ xᵢⱼ`
 *
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 0); // [4, 6]
 */
export function sum<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  return reduce('sum', x, axis, opts);
}

/**
 * Product over `axis` (gradient exact even with zeros).
 *
 * @example
 * prod(tensor([2, 3, 4])); // 24
 */
export function prod<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  return reduce('prod', x, axis, opts);
}

/**
 * Maximum over `axis`; tied maxima share the gradient. NaN propagates.
 *
 * @example
 * max(tensor([[1, 5], [7, 2]]), 1); // [5, 7]
 */
export function max<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  return reduce('max', x, axis, opts);
}

/**
 * Minimum over `axis`; tied minima share the gradient. NaN propagates.
 *
 * @example
 * min(tensor([[1, 5], [7, 2]]), 1); // [1, 2]
 */
export function min<D extends DType>(x: Tensor<D>, axis?: AxisArg, opts: ReduceOptions = {}): Tensor<D> {
  return reduce('min', x, axis, opts);
}

function argReduce(op: ArgReduceOp, x: Tensor, axis: number | undefined, opts: ReduceOptions): Tensor<'int32'> {
  checkTensor(x, op, 'x');
  checkDType(x.dtype, 'numeric', op);
  const flat = axis === undefined;
  const src = flat ? x.reshape([x.size]) : x;
  const a = normalizeAxis(flat ? 0 : axis, src.rank, op);
  const axisSize = src.shape[a]!;
  if (axisSize === 0) throw new ShapeError(`cannot take the ${op} of an empty axis (shape ${fmt(x.shape)})`, op);
  const backend = backendOf(op, x);
  const outShape = flat ? (opts.keepDims ? x.shape.map(() => 1) : []) : reducedShape(src.shape, [a], opts.keepDims ?? false);
  const out = emptyTensor(outShape, 'int32', backend);
  const dims = { outer: sizeOf(src.shape.slice(0, a)), axisSize, inner: sizeOf(src.shape.slice(a + 1)) };
  backend.argReduce(op, src.buf(op), out.buf(op), x.dtype, dims);
  return record(op, out, [x], null);
}

/**
 * Index of the maximum along `axis` (of the flattened tensor when omitted); first one on ties.
 *
 * @example
 * argmax(tensor([[1, 5], [7, 2]]), 1); // [1, 0]
 */
export function argmax(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor<'int32'> {
  return argReduce('argmax', x, axis, opts);
}

/**
 * Index of the minimum along `axis` (of the flattened tensor when omitted); first one on ties.
 *
 * @example
 * argmin(tensor([3, 1, 2])); // 1
 */
export function argmin(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor<'int32'> {
  return argReduce('argmin', x, axis, opts);
}

/**
 * Inclusive cumulative sum along `axis` (from the end with `reverse`).
 *
 * `cumsum(x)ᵢ = Σ_{j≤i} xⱼ`
 *
 * @example
 * cumsum(tensor([1, 2, 3]), 0); // [1, 3, 6]
 */
export function cumsum<D extends DType, R extends number>(x: Tensor<D, R>, axis: number, opts: { reverse?: boolean } = {}): Tensor<D, R> {
  const op = 'cumsum';
  checkTensor(x, op, 'x');
  checkDType(x.dtype, 'numeric', op);
  const a = normalizeAxis(axis, x.rank, op);
  const backend = backendOf(op, x);
  const out = emptyTensor(x.shape, x.dtype, backend) as Tensor<D, R>;
  const dims = { outer: sizeOf(x.shape.slice(0, a)), axisSize: x.shape[a]!, inner: sizeOf(x.shape.slice(a + 1)) };
  const reverse = opts.reverse ?? false;
  backend.cumsum(x.buf(op), out.buf(op), x.dtype, dims, reverse);
  // the transpose of a prefix sum is a suffix sum
  return record(op, out, [x], (g) => [cumsum(g, a, { reverse: !reverse })]);
}
