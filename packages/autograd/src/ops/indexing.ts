import type { DType } from '../dtype.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import { record } from '../tape.js';
import { emptyTensor, type Tensor } from '../tensor.js';
import { zerosLike } from './creation.js';
import { backendOf, checkIndex, checkTensor } from './util.js';

function checkSameOutside(op: string, x: Tensor, index: Tensor, a: number): void {
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new ShapeError(`index shape ${fmt(index.shape)} must match the input shape ${fmt(x.shape)} on every axis but ${a}`, op);
  }
}

const axisDims = (shape: readonly number[], a: number) => ({
  outer: sizeOf(shape.slice(0, a)),
  axisSize: shape[a]!,
  inner: sizeOf(shape.slice(a + 1)),
});

/**
 * Picks values along `axis` by index (torch.gather): `out[i][j][k] = x[i][index[i][j][k]][k]` for
 * axis 1. `index` has x's shape except along `axis`.
 *
 * @example
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]], { dtype: 'int32' })); // [[2], [3]]
 */
export function gather<D extends DType>(x: Tensor<D>, axis: number, index: Tensor<'int32'>): Tensor<D> {
  const op = 'gather';
  checkTensor(x, op, 'x');
  checkTensor(index, op, 'index');
  const a = normalizeAxis(axis, x.rank, op);
  checkSameOutside(op, x, index, a);
  checkIndex(op, index, x.shape[a]!, a);
  const backend = backendOf(op, x, index);
  const out = emptyTensor(index.shape, x.dtype, backend);
  backend.gather(x.buf(op), index.buf(op), out.buf(op), x.dtype, axisDims(x.shape, a), index.shape[a]!);
  // the transpose of a gather is a scatter-add into zeros
  return record(op, out, [x, index], (g) => [scatterAdd(zerosLike(x), a, index, g), null]);
}

/**
 * Adds `src` into a copy of `x` at `index` along `axis` (torch.scatter_add):
 * `out[i][index[i][j][k]][k] += src[i][j][k]` for axis 1. Repeated indices accumulate.
 *
 * @example
 * scatterAdd(zeros([3]), 0, tensor([0, 0, 2], { dtype: 'int32' }), tensor([1, 2, 3])); // [3, 0, 3]
 */
export function scatterAdd<D extends DType, R extends number>(
  x: Tensor<D, R>,
  axis: number,
  index: Tensor<'int32'>,
  src: Tensor<D>,
): Tensor<D, R> {
  const op = 'scatterAdd';
  checkTensor(x, op, 'x');
  checkTensor(index, op, 'index');
  checkTensor(src, op, 'src');
  const a = normalizeAxis(axis, x.rank, op);
  checkSameOutside(op, x, index, a);
  if (src.shape.length !== index.shape.length || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new ShapeError(`src shape ${fmt(src.shape)} must equal the index shape ${fmt(index.shape)}`, op);
  }
  if (src.dtype !== x.dtype) throw new DTypeError(`src is ${src.dtype}, input is ${x.dtype}; cast first`, op);
  checkIndex(op, index, x.shape[a]!, a);
  const backend = backendOf(op, x, index, src);
  const out = emptyTensor(x.shape, x.dtype, backend) as Tensor<D, R>;
  backend.copy(x.view(op), out.view(op), x.dtype);
  backend.scatterAdd(out.buf(op), index.buf(op), src.buf(op), x.dtype, axisDims(x.shape, a), index.shape[a]!);
  return record(op, out, [x, index, src], (g) => [g, null, gather(g, a, index)]);
}
