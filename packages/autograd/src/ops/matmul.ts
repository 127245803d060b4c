import type { DType } from '../dtype.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { broadcastShapes, sameShape, sizeOf } from '../shape.js';
import { record } from '../tape.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { backendOf, checkDType } from './util.js';

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to a row/column and the added
 * axis is removed; leading (batch) axes broadcast.
 *
 * `(A·B)ᵢⱼ = Σₖ AᵢₖBₖⱼ`
 *
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[1], [1]])); // [[3], [7]]
 */
export function matmul<D extends DType>(a: Tensor<D>, b: Tensor<D>): Tensor<D> {
  const op = 'matmul';
  if (a.rank === 0 || b.rank === 0)
    throw new ShapeError(`operands must be at least 1-D, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`, op);
  if (a.rank === 1 && b.rank === 1 && a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`vectors of different lengths: ${fmt(a.shape)} and ${fmt(b.shape)}`, op);
  }
  const a2 = a.rank === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  const out = batchedMatmul(a2, b2);
  if (a.rank > 1 && b.rank > 1) return out;
  const shape = out.shape.slice();
  if (b.rank === 1) shape.splice(-1, 1);
  if (a.rank === 1) shape.splice(-1 - (b.rank === 1 ? 0 : 1), 1);
  return out.reshape(shape);
}

/** The primitive: both operands at least 2-D. */
function batchedMatmul<D extends DType>(a: Tensor<D>, b: Tensor<D>): Tensor<D> {
  const op = 'matmul';
  const backend = backendOf(op, a, b);
  if (a.dtype !== b.dtype) throw new DTypeError(`cannot mix ${a.dtype} and ${b.dtype}; cast one operand first`, op);
  checkDType(a.dtype, 'float', op);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) {
    throw new ShapeError(
      `inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${k} vs ${k2}); expected a[..., m, k] @ b[..., k, n]`,
      op,
    );
  }
  const batchShape = broadcastShapes(
    `${op} (batch axes of ${fmt(a.shape)} and ${fmt(b.shape)})`,
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const batch = sizeOf(batchShape);
  const out = emptyTensor([...batchShape, m, n], a.dtype, backend);
  // A shared 2-D right operand folds the batch into the rows: one big GEMM instead of many small ones.
  if (b.rank === 2 && sameShape(a.shape.slice(0, -2), batchShape)) {
    backend.matmul(a.buf(op), b.buf(op), out.buf(op), a.dtype, { batch: 1, m: batch * m, k, n, aBatchStride: 0, bBatchStride: 0 });
  } else {
    const operand = (t: Tensor<D>, rows: number, cols: number) => {
      const own = sizeOf(t.shape.slice(0, -2));
      if (own === batch) return { t, stride: rows * cols };
      if (own === 1) return { t, stride: 0 };
      return { t: t.expand([...batchShape, rows, cols]), stride: rows * cols };
    };
    const A = operand(a, m, k);
    const B = operand(b, k, n);
    backend.matmul(A.t.buf(op), B.t.buf(op), out.buf(op), a.dtype, { batch, m, k, n, aBatchStride: A.stride, bBatchStride: B.stride });
    if (A.t !== a) A.t.dispose();
    if (B.t !== b) B.t.dispose();
  }
  // dA = G·Bᵀ, dB = Aᵀ·G (the tape sums broadcast batch axes back to each operand's shape)
  return record(op, out, [a, b], (g) => [g.matmul(b.transpose(-1, -2)), a.transpose(-1, -2).matmul(g as Tensor<D>)]);
}
