import type { Backend } from '../backends/backend.js';
import type { DType } from '../dtype.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { broadcastShapes, broadcastStrides, type Shape, sameShape, sizeOf } from '../shape.js';
import { record } from '../tape.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { backendOf, checkDType, checkTensor } from './util.js';

/**
 * Options of {@link matmul}: operands read with their last two axes swapped, without copying them.
 *
 * @example
 * const x = randn([32, 256]);
 * const w = randn([1024, 256]); // PyTorch's [out, in] layout
 * matmul(x, w, { transposeB: true }).shape; // [32, 1024], x·wᵀ
 */
export interface MatmulOptions {
  /** Use `a.transpose(-2, -1)` in place of `a` (a must be at least 2-D). */
  transposeA?: boolean;
  /** Use `b.transpose(-2, -1)` in place of `b` (b must be at least 2-D). */
  transposeB?: boolean;
}

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to a row/column and the added
 * axis is removed; leading (batch) axes broadcast. The options read an operand transposed in
 * place: `matmul(x, w, { transposeB: true })` is `x.matmul(w.transpose())` without the copy of w
 * (the form of a linear layer, `x·Wᵀ`).
 *
 * `(A·B)ᵢⱼ = Σₖ AᵢₖBₖⱼ`
 *
 * @param a - `[..., m, k]`, or `[..., k, m]` with `transposeA`; a 1-D `[k]` is a row.
 * @param b - `[..., k, n]`, or `[..., n, k]` with `transposeB`; a 1-D `[k]` is a column.
 * @param options - which operands to read transposed.
 * @throws ShapeError when an operand is 0-D (or 1-D and transposed), inner sizes differ, or batch axes do not broadcast.
 * @throws DTypeError when the dtypes differ or are not float.
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[1], [1]])); // [[3], [7]]
 * matmul(tensor([[1, 2]]), tensor([[1, 2], [3, 4]]), { transposeB: true }); // [[5, 11]]
 */
export function matmul<D extends DType>(a: Tensor<D>, b: Tensor<D>, options: MatmulOptions = {}): Tensor<D> {
  const op = 'matmul';
  checkTensor(a, op, 'a');
  checkTensor(b, op, 'b');
  const transA = options.transposeA ?? false;
  const transB = options.transposeB ?? false;
  if (a.rank === 0 || b.rank === 0)
    throw new ShapeError(`operands must be at least 1-D, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`, op);
  if ((transA && a.rank === 1) || (transB && b.rank === 1)) {
    const which =
      transA && a.rank === 1
        ? `transposeA needs a at least 2-D, got ${fmt(a.shape)}`
        : `transposeB needs b at least 2-D, got ${fmt(b.shape)}`;
    throw new ShapeError(which, op);
  }
  if (a.rank === 1 && b.rank === 1 && a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`vectors of different lengths: ${fmt(a.shape)} and ${fmt(b.shape)}`, op);
  }
  const a2 = a.rank === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  const out = batchedMatmul(a2, b2, transA, transB);
  if (a.rank > 1 && b.rank > 1) return out;
  const shape = out.shape.slice();
  if (b.rank === 1) shape.splice(-1, 1);
  if (a.rank === 1) shape.splice(-1 - (b.rank === 1 ? 0 : 1), 1);
  return out.reshape(shape);
}

/** What the kernel reads for one operand: a buffer, its batch stride, whether it is stored transposed. */
interface Operand {
  buf: unknown;
  stride: number;
  trans: boolean;
  /** A copy made for the kernel, freed after it. */
  temp: Tensor | null;
}

/**
 * Operand `t`, a stack of `rows`×`cols` matrices read transposed when `trans`, as the kernel wants
 * it. In place when its batch is the whole batch or one shared matrix; otherwise one strided copy
 * broadcasts its batch axes and, on a backend that cannot read transposed operands, transposes it.
 */
function operand(op: string, t: Tensor, trans: boolean, batchShape: Shape, backend: Backend): Operand {
  const [rows, cols] = t.shape.slice(-2) as [number, number];
  const own = sizeOf(t.shape.slice(0, -2));
  const batch = sizeOf(batchShape);
  const flip = trans && !backend.transposedMatmul;
  const full = own === batch;
  if (!flip && (full || own === 1)) return { buf: t.buf(op), stride: full ? rows * cols : 0, trans, temp: null };
  const lead = full || own === 1 ? t.shape.slice(0, -2) : batchShape;
  const src = [...lead, rows, cols];
  const strides = broadcastStrides(t.shape, src);
  const r = src.length - 2;
  if (flip) {
    [src[r], src[r + 1]] = [cols, rows];
    [strides[r], strides[r + 1]] = [strides[r + 1]!, strides[r]!];
  }
  const temp = emptyTensor(src, t.dtype, backend);
  backend.copy({ buf: t.buf(op), shape: src, strides, offset: 0 }, temp.view(op), t.dtype);
  return { buf: temp.buf(op), stride: own === 1 ? 0 : rows * cols, trans: trans && !flip, temp };
}

/** The primitive `op(A)·op(B)`: both operands at least 2-D, `transA`/`transB` read one with its last two axes swapped. */
function batchedMatmul<D extends DType>(a: Tensor<D>, b: Tensor<D>, transA: boolean, transB: boolean): Tensor<D> {
  const op = 'matmul';
  const backend = backendOf(op, a, b);
  if (a.dtype !== b.dtype) throw new DTypeError(`cannot mix ${a.dtype} and ${b.dtype}; cast one operand first`, op);
  checkDType(a.dtype, 'float', op);
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transA ? [a1, a0] : [a0, a1];
  const [k2, n] = transB ? [b1, b0] : [b0, b1];
  if (k !== k2) {
    const form = `a[..., ${transA ? 'k, m' : 'm, k'}]${transA ? 'ᵀ' : ''} @ b[..., ${transB ? 'n, k' : 'k, n'}]${transB ? 'ᵀ' : ''}`;
    throw new ShapeError(`inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${k} vs ${k2}); expected ${form}`, op);
  }
  // Equal batch axes (plain matrices included) need no broadcasting, nor its error's label.
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = sameShape(aBatch, bBatch)
    ? aBatch
    : broadcastShapes(`${op} (batch axes of ${fmt(a.shape)} and ${fmt(b.shape)})`, aBatch, bBatch);
  const batch = sizeOf(batchShape);
  const out = emptyTensor([...batchShape, m, n], a.dtype, backend);
  const A = operand(op, a, transA, batchShape, backend);
  const B = operand(op, b, transB, batchShape, backend);
  const dims = { batch, m, k, n, aBatchStride: A.stride, bBatchStride: B.stride, transA: A.trans, transB: B.trans };
  // A shared right operand under back-to-back left ones folds the batch into the rows: one big GEMM.
  if (batch > 1 && B.stride === 0 && A.stride === m * k && !A.trans) Object.assign(dims, { batch: 1, m: batch * m, aBatchStride: 0 });
  backend.matmul(A.buf, B.buf, out.buf(op), a.dtype, dims);
  A.temp?.dispose();
  B.temp?.dispose();
  // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G, transposed back for an operand stored
  // transposed. Every product reads its operands in place; the tape sums broadcast batch axes.
  return record(op, out, [a, b], (g) => {
    const G = g as Tensor<D>;
    const dA = transA ? batchedMatmul(b, G, transB, true) : batchedMatmul(G, b, false, !transB);
    // A 2-D b shared by a batch of row-major a (a linear layer on [T, B, I]): dB's sum over the
    // batch is one GEMM over batch·m rows, not a batch of products and a reduction.
    const fold = b.rank === 2 && a.rank > 2 && !transA && sizeOf(a.shape.slice(0, -2)) === batch;
    const A2 = fold ? a.reshape([batch * m, k]) : a;
    const G2 = fold ? G.reshape([batch * m, n]) : G;
    const dB = transB ? batchedMatmul(G2, A2, true, transA) : batchedMatmul(A2, G2, !transA, false);
    return [dA, dB];
  });
}
