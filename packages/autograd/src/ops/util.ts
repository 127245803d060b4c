import type { Backend } from '../backends/backend.js';
import { type DType, isFloat } from '../dtype.js';
import { BackendError, type CarouselError, DTypeError, describeValue, ValueError } from '../errors.js';
import { type AxisArg, normalizeAxes } from '../shape.js';
import { emptyTensor, isTensor, type Tensor } from '../tensor.js';
import type { DTypeClass } from './elementwise.js';

/** Checks an op accepts a dtype, naming the op and what it expected. */
export function checkDType(dtype: DType, accepts: DTypeClass, op: string): void {
  const ok = accepts === 'any' || (accepts === 'float' ? isFloat(dtype) : accepts === 'numeric' ? dtype !== 'bool' : dtype === 'bool');
  if (!ok) {
    const want = { float: 'float32 or float64', numeric: 'float32, float64 or int32', bool: 'bool', any: '' }[accepts];
    throw new DTypeError(
      `expected ${want}, got ${dtype}${accepts === 'float' && dtype === 'int32' ? "; cast with .cast('float32') first" : ''}`,
      op,
    );
  }
}

/** The backend all inputs live on; mixing backends is an error, not a silent transfer. */
export function backendOf(op: string, ...ts: Tensor[]): Backend {
  const b = ts[0]!.storage.backend;
  for (const t of ts) {
    if (t.storage.backend !== b) throw new BackendError(`inputs live on different backends (${b.name} and ${t.storage.backend.name})`, op);
  }
  return b;
}

// Argument checks: one `isTensor`/`typeof`/`Array.isArray` per argument and op call, so JS callers
// (and `any`) get an error naming the op and the argument instead of a TypeError from deep inside.

/** What a wrong argument was, with the fix when it is a plain array where a Tensor belongs. */
const got = (x: unknown) => `got ${describeValue(x)}${Array.isArray(x) ? '; wrap it with tensor(…)' : ''}`;

/**
 * Throws a ValueError naming `op` and the argument `arg` unless `x` is a Tensor — the check every
 * op runs on its tensor arguments, for code building its own ops or layers on Carousel.
 *
 * @param x - the value to check.
 * @param op - the public op (or `Layer.forward`) to name in the message.
 * @param arg - the argument's name, e.g. `'input'` or `'tensors[2]'`.
 * @throws ValueError when `x` is not a Tensor; the message describes what it is.
 * @example
 * function double(x: Tensor): Tensor {
 *   checkTensor(x, 'double', 'x'); // double: x must be a Tensor, got undefined
 *   return x.mul(2);
 * }
 */
export function checkTensor(x: unknown, op: string, arg: string): asserts x is Tensor {
  if (!isTensor(x)) throw new ValueError(`${arg} must be a Tensor, ${got(x)}`, op);
}

/** Checks `xs` is an array of Tensors, naming the index of the first that is not. */
export function checkTensorList(xs: unknown, op: string, arg: string): asserts xs is readonly Tensor[] {
  if (!Array.isArray(xs)) throw new ValueError(`${arg} must be an array of Tensors, got ${describeValue(xs)}`, op);
  for (let i = 0; i < xs.length; i++) checkTensor(xs[i], op, `${arg}[${i}]`);
}

/**
 * Checks a list argument (a shape, axes, repetitions, slice specs) is an array; its entries are
 * checked by the op, which knows their range. `what` says what was expected. Shapes throw
 * ShapeError, as `zeros` does; other lists ValueError.
 */
export function checkList(
  xs: unknown,
  op: string,
  arg: string,
  what = 'an array of integers',
  error: new (message: string, op: string) => CarouselError = ValueError,
): asserts xs is readonly unknown[] {
  if (!Array.isArray(xs)) throw new error(`${arg} must be ${what}, got ${describeValue(xs)}`, op);
}

/** `normalizeAxes` of an axis argument that must be undefined (all axes), an integer or an array of them. */
export function axesOf(axis: AxisArg | undefined, rank: number, op: string): number[] {
  if (axis !== undefined && typeof axis !== 'number' && !Array.isArray(axis))
    throw new ValueError(`axis must be an integer or an array of integers (or omitted for all axes), got ${describeValue(axis)}`, op);
  return normalizeAxes(axis, rank, op);
}

/** A number operand becomes a scalar tensor of the other operand's dtype. */
export function toTensor<D extends DType>(x: Tensor<D> | number, dtype: D, op: string, backend: Backend, arg: string): Tensor<D> {
  if (isTensor(x)) return x;
  if (typeof x !== 'number') throw new ValueError(`expected a Tensor or a number, ${got(x)} (operand ${arg})`, op);
  if (dtype === 'int32' && !Number.isInteger(x))
    throw new DTypeError(`the number ${x} does not fit an int32 operand; cast the tensor with .cast('float32') first`, op);
  const t = emptyTensor([], dtype, backend);
  backend.fill(t.buf(op), dtype, 1, dtype === 'bool' ? Number(Boolean(x)) : x);
  return t;
}

/** Checks a count-like argument is a non-negative integer. */
export function checkCount(n: number, what: string, op: string): void {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${what} must be a non-negative integer, got ${n}`, op);
}

/** Index tensors must be int32 and, where the data can be read synchronously, in range. */
export function checkIndex(op: string, index: Tensor, axisSize: number, axis: number): void {
  if (index.dtype !== 'int32') throw new DTypeError(`indices must be int32, got ${index.dtype}; cast with .cast('int32')`, op);
  if (index.backend !== 'cpu') return;
  const data = index.dataSync() as Int32Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= axisSize)
      throw new ValueError(`index ${v} (at flat position ${i}) is out of range for axis ${axis} of size ${axisSize}`, op);
  }
}
