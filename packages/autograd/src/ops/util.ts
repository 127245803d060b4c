import type { Backend } from '../backends/backend.js';
import { type DType, isFloat } from '../dtype.js';
import { BackendError, DTypeError, ValueError } from '../errors.js';
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

/** A number operand becomes a scalar tensor of the other operand's dtype. */
export function toTensor<D extends DType>(x: Tensor<D> | number, dtype: D, op: string, backend: Backend): Tensor<D> {
  if (isTensor(x)) return x;
  if (typeof x !== 'number') throw new ValueError(`expected a Tensor or a number, got ${typeof x}`, op);
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
