import { assertDType, type DType } from '../dtype.js';
import { DTypeError, describeValue, ValueError } from '../errors.js';
import { broadcastShapes, type Shape, sameShape } from '../shape.js';
import { record } from '../tape.js';
import { emptyTensor, isTensor, shareStorage, type Tensor } from '../tensor.js';
import { type BinaryOp, binaryOps, type UnaryOp, unaryOps } from './elementwise.js';
import { backendOf, checkDType, checkTensor, toTensor } from './util.js';

/**
 * The broadcast shape of elementwise operands. Equal shapes and scalars (the common cases) are
 * answered without building a new shape, which also lets each operand's view reuse its strides.
 */
function resultShape(op: string, ...shapes: Shape[]): Shape {
  let full: Shape = [];
  for (const s of shapes) {
    if (s.length === 0) continue;
    if (full.length === 0) full = s;
    else if (!sameShape(full, s)) return broadcastShapes(op, ...shapes);
  }
  return full;
}

/** Applies an elementwise unary primitive from the table. */
export function unary<D extends DType, R extends number>(op: UnaryOp, x: Tensor<D, R>): Tensor<D, R> {
  const def = unaryOps[op];
  checkTensor(x, op, 'x');
  checkDType(x.dtype, def.accepts, op);
  const backend = backendOf(op, x);
  const out = emptyTensor(x.shape, x.dtype, backend) as Tensor<D, R>;
  backend.unary(op, x.buf(op), out.buf(op), x.dtype, x.size);
  const grad = 'grad' in def ? def.grad : undefined;
  return record(op, out, [x], grad ? (g) => [grad(g, x, out)] : null);
}

/** Applies an elementwise binary primitive from the table, with NumPy broadcasting. */
export function binary<D extends DType>(op: BinaryOp, a: Tensor<D> | number, b: Tensor<D> | number): Tensor {
  const def = binaryOps[op];
  const first = isTensor(a) ? a : isTensor(b) ? b : undefined;
  if (!first) throw new ValueError(`at least one operand must be a Tensor, got ${describeValue(a)} and ${describeValue(b)}`, op);
  const backend = backendOf(op, first);
  const ta = toTensor(a, first.dtype, op, backend, 'a');
  const tb = toTensor(b, first.dtype, op, backend, 'b');
  backendOf(op, ta, tb);
  if (ta.dtype !== tb.dtype) {
    throw new DTypeError(`cannot mix ${ta.dtype} and ${tb.dtype}; cast one operand first (e.g. b.cast('${ta.dtype}'))`, op);
  }
  checkDType(ta.dtype, def.accepts, op);
  const shape = resultShape(op, ta.shape, tb.shape);
  const out = emptyTensor(shape, def.kind === 'arith' ? ta.dtype : 'bool', backend);
  backend.binary(op, ta.view(op, shape), tb.view(op, shape), out.buf(op), ta.dtype, shape);
  const grad = 'grad' in def ? def.grad : undefined;
  return record(op, out, [ta, tb], grad ? (g) => grad(g, ta, tb, out) : null);
}

/**
 * Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three.
 *
 * `where(c, a, b)ᵢ = cᵢ ? aᵢ : bᵢ`
 *
 * @example
 * const x = tensor([-1, 2]);
 * where(x.gt(0), x, 0).arraySync(); // [0, 2]
 */
export function where<V extends DType>(cond: Tensor<'bool'>, a: Tensor<V> | number, b: Tensor<V> | number): Tensor<V> {
  const op = 'where';
  checkTensor(cond, op, 'cond');
  if (cond.dtype !== 'bool') throw new DTypeError(`condition must be a bool tensor, got ${cond.dtype}`, op);
  const backend = backendOf(op, cond);
  const dtype = (isTensor(a) ? a.dtype : isTensor(b) ? b.dtype : 'float32') as V;
  const ta = toTensor(a, dtype, op, backend, 'a');
  const tb = toTensor(b, dtype, op, backend, 'b');
  backendOf(op, cond, ta, tb);
  if (ta.dtype !== tb.dtype) throw new DTypeError(`branches must share a dtype, got ${ta.dtype} and ${tb.dtype}`, op);
  const shape = resultShape(op, cond.shape, ta.shape, tb.shape);
  const out = emptyTensor(shape, dtype, backend);
  backend.where(cond.view(op, shape), ta.view(op, shape), tb.view(op, shape), out.buf(op), dtype, shape);
  // d where = (c ? g : 0, c ? 0 : g); written with where so no 0·Inf from the unused branch
  return record(op, out, [cond, ta, tb], (g) => [null, where(cond, g, 0), where(cond, 0, g)]);
}

/**
 * Converts to another dtype: floats truncate toward zero into int32, non-zero becomes true in
 * bool. Differentiable between float dtypes.
 *
 * @example
 * tensor([1.7, -1.7]).cast('int32').arraySync(); // [1, -1]
 */
export function cast<T extends DType, R extends number>(x: Tensor<DType, R>, dtype: T): Tensor<T, R> {
  const op = 'cast';
  checkTensor(x, op, 'x');
  assertDType(dtype, op);
  if (x.dtype === dtype) return x as unknown as Tensor<T, R>;
  const backend = backendOf(op, x);
  const out = emptyTensor(x.shape, dtype, backend) as Tensor<T, R>;
  backend.cast(x.buf(op), x.dtype, out.buf(op), dtype, x.size);
  const differentiable = (dtype === 'float32' || dtype === 'float64') && (x.dtype === 'float32' || x.dtype === 'float64');
  return record(op, out, [x], differentiable ? (g) => [g.cast(x.dtype)] : null);
}

/**
 * A tensor sharing `x`'s data, with no history: gradients stop here.
 *
 * @example
 * const x = ones([2], { requiresGrad: true });
 * detach(x.mul(2)).requiresGrad; // false
 */
export function detach<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  checkTensor(x, 'detach', 'x');
  return shareStorage(x, x.shape, 'detach') as Tensor<D, R>;
}

/** @internal Shares `x`'s data but is a separate node of the graph (an identity op). */
export function identity<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  return record('identity', shareStorage(x, x.shape, 'identity') as Tensor<D, R>, [x], (g) => [g]);
}

/**
 * A copy with its own buffer; gradients flow through it.
 *
 * @example
 * const y = tensor([1, 2]).clone();
 */
export function clone<D extends DType, R extends number>(x: Tensor<D, R>): Tensor<D, R> {
  const op = 'clone';
  checkTensor(x, op, 'x');
  const backend = backendOf(op, x);
  const out = emptyTensor(x.shape, x.dtype, backend) as Tensor<D, R>;
  backend.copy(x.view(op), out.view(op), x.dtype);
  return record(op, out, [x], (g) => [g]);
}
