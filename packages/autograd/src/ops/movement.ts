import type { DType } from '../dtype.js';
import { DTypeError, describeValue, fmt, ShapeError, ValueError } from '../errors.js';
import { normalizeAxis, type Region, type Shape, sizeOf, stridesOf } from '../shape.js';
import { type RegionGrad, record } from '../tape.js';
import { emptyTensor, shareStorage, type Tensor } from '../tensor.js';
import { backendOf, checkList, checkTensor, checkTensorList } from './util.js';

/**
 * How `slice` treats one axis: a number picks one index and drops the axis; `null` keeps it all;
 * `[start, stop, step]` is a Python slice (negative indices count from the end, a negative step
 * walks backwards; `null`/omitted ends mean "to the edge").
 */
export type SliceSpec = number | null | readonly [start?: number | null, stop?: number | null, step?: number | null];

/** Reads a region of `x` into a new contiguous tensor; its transpose is {@link writeRegion}. */
function readRegion<D extends DType>(op: string, x: Tensor<D>, region: Region): Tensor<D> {
  const backend = backendOf(op, x);
  const out = emptyTensor(region.shape, x.dtype, backend);
  backend.copy({ buf: x.buf(op), shape: region.shape, strides: region.strides, offset: region.offset }, out.view(op), x.dtype);
  // the gradient covers only the region: the tape gathers such parts and writes them once
  return record(op, out, [x], (g) => [{ region, value: g }]);
}

/**
 * @internal The tape's accumulator for region gradients (see {@link RegionGrad}): `base` (or zeros)
 * with every part added into its region — one buffer, however many slices a tensor fed.
 */
export function accumulateRegions<D extends DType>(like: Tensor<D>, base: Tensor<D> | undefined, parts: readonly RegionGrad[]): Tensor<D> {
  const op = 'slice (backward)';
  const backend = backendOf(op, like);
  const { dtype } = like;
  const out = emptyTensor(like.shape, dtype, backend);
  if (base) backend.copy(base.view(op), out.view(op), dtype);
  else backend.fill(out.buf(op), dtype, out.size, 0);
  for (const { region, value } of parts) {
    const dst = { buf: out.buf(op), ...region };
    // read, add, write back: slices of one tensor may overlap
    const current = emptyTensor(region.shape, dtype, backend);
    const sum = emptyTensor(region.shape, dtype, backend);
    backend.copy(dst, current.view(op), dtype);
    backend.binary('add', current.view(op), value.view(op), sum.buf(op), dtype, region.shape);
    backend.copy(sum.view(op), dst, dtype);
    current.dispose();
    sum.dispose();
  }
  const values = parts.map((p) => p.value as Tensor<D>);
  return record(op, out, base ? [base, ...values] : values, (g) => [
    ...(base ? [g] : []),
    ...parts.map((p) => readRegion(op, g, p.region)),
  ]);
}

/** A tensor of `shape` filled with `value`, with `src` written into `region`; transpose of {@link readRegion}. */
function writeRegion<D extends DType>(op: string, shape: Shape, value: number, src: Tensor<D>, region: Region): Tensor<D> {
  const backend = backendOf(op, src);
  const out = emptyTensor(shape, src.dtype, backend);
  backend.fill(out.buf(op), src.dtype, out.size, value);
  backend.copy(src.view(op), { buf: out.buf(op), shape: region.shape, strides: region.strides, offset: region.offset }, src.dtype);
  return record(op, out, [src], (g) => [readRegion(`${op} (backward)`, g, region)]);
}

/**
 * Gives `x` a new shape with the same number of elements (one entry may be -1: inferred). Free:
 * the result shares `x`'s buffer.
 *
 * @example
 * reshape(arange(6), [2, -1]).shape; // [2, 3]
 */
export function reshape<D extends DType, const S extends readonly number[]>(x: Tensor<D>, shape: S): Tensor<D, S['length']> {
  const op = 'reshape';
  checkTensor(x, op, 'x');
  checkList(shape, op, 'shape', undefined, ShapeError);
  const target = [...shape];
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1 || target.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`invalid target shape ${fmt(target)}: sizes must be non-negative integers with at most one -1`, op);
  }
  if (unknown === 1) {
    const known = sizeOf(target.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0)
      throw new ShapeError(`cannot infer -1 in ${fmt(target)} for ${x.size} elements (shape ${fmt(x.shape)})`, op);
    target[target.indexOf(-1)] = x.size / known;
  }
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(`cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(target)} (${sizeOf(target)} elements)`, op);
  }
  const out = shareStorage(x, target, op) as Tensor<D, S['length']>;
  return record(op, out, [x], (g) => [g.reshape(x.shape)]);
}

/**
 * Reorders axes: `out.shape[i] = x.shape[axes[i]]`.
 *
 * @example
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 */
export function permute<D extends DType, R extends number>(x: Tensor<D, R>, axes: readonly number[]): Tensor<D, R> {
  const op = 'permute';
  checkTensor(x, op, 'x');
  checkList(axes, op, 'axes');
  const norm = axes.map((a) => normalizeAxis(a, x.rank, op));
  if (norm.length !== x.rank || new Set(norm).size !== norm.length) {
    throw new ShapeError(`axes ${fmt(axes)} are not a permutation of the ${x.rank} axes of a tensor of shape ${fmt(x.shape)}`, op);
  }
  if (norm.every((a, i) => a === i)) return record(op, shareStorage(x, x.shape, op), [x], (g) => [g]) as Tensor<D, R>;
  const strides = stridesOf(x.shape);
  const region = { offset: 0, shape: norm.map((a) => x.shape[a]!), strides: norm.map((a) => strides[a]!) };
  const backend = backendOf(op, x);
  const out = emptyTensor(region.shape, x.dtype, backend) as Tensor<D, R>;
  backend.copy({ buf: x.buf(op), ...region }, out.view(op), x.dtype);
  const inverse = norm.map((_, i) => norm.indexOf(i));
  return record(op, out, [x], (g) => [g.permute(inverse)]);
}

/**
 * Broadcasts `x` to `shape` (NumPy rules; -1 keeps an axis). The gradient sums back.
 *
 * @example
 * expand(tensor([[1], [2]]), [2, 3]); // [[1, 1, 1], [2, 2, 2]]
 */
export function expand<D extends DType, const S extends readonly number[]>(x: Tensor<D>, shape: S): Tensor<D, S['length']> {
  const op = 'expand';
  checkTensor(x, op, 'x');
  checkList(shape, op, 'shape', undefined, ShapeError);
  const extra = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= extra ? x.shape[i - extra]! : d));
  const bad = () => new ShapeError(`cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}: each axis must match or be 1`, op);
  if (extra < 0 || target.some((d) => !Number.isInteger(d) || d < 0)) throw bad();
  for (let i = 0; i < x.rank; i++) if (x.shape[i] !== 1 && x.shape[i] !== target[i + extra]) throw bad();
  const backend = backendOf(op, x);
  const out = emptyTensor(target, x.dtype, backend) as Tensor<D, S['length']>;
  backend.copy(x.view(op, target), out.view(op), x.dtype);
  return record(op, out, [x], (g) => [g]);
}

/** Resolves one Python-style slice on an axis of size `n`. */
function resolveSlice(spec: SliceSpec, n: number, axis: number, op: string): { start: number; step: number; count: number; drop: boolean } {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < -n || spec >= n)
      throw new ValueError(`index ${spec} is out of range for axis ${axis} of size ${n}`, op);
    return { start: spec < 0 ? spec + n : spec, step: 1, count: 1, drop: true };
  }
  if (spec !== null && !Array.isArray(spec))
    throw new ValueError(`the spec of axis ${axis} must be an index, null or [start, stop, step], got ${describeValue(spec)}`, op);
  const [s, e, st] = spec ?? [];
  const step = st ?? 1;
  if (!Number.isInteger(step) || step === 0) throw new ValueError(`slice step must be a non-zero integer, got ${step} (axis ${axis})`, op);
  for (const v of [s, e])
    if (v != null && !Number.isInteger(v)) throw new ValueError(`slice bounds must be integers or null, got ${v} (axis ${axis})`, op);
  const clampIdx = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  let start: number;
  let stop: number;
  if (step > 0) {
    start = s == null ? 0 : clampIdx(s, 0, n);
    stop = e == null ? n : clampIdx(e, 0, n);
  } else {
    start = s == null ? n - 1 : clampIdx(s, -1, n - 1);
    stop = e == null ? -1 : clampIdx(e, -1, n - 1);
  }
  const count = Math.max(0, Math.ceil((stop - start) / step));
  return { start, step, count, drop: false };
}

/**
 * NumPy/Python slicing, one spec per leading axis (missing trailing axes are kept whole).
 *
 * @example
 * const x = arange(10);
 * slice(x, [[2, 8, 2]]);     // [2, 4, 6]
 * slice(x, [[null, null, -1]]); // reversed
 * slice(tensor([[1, 2], [3, 4]]), [1]); // [3, 4] (the axis is dropped)
 */
export function slice<D extends DType>(x: Tensor<D>, specs: readonly SliceSpec[]): Tensor<D> {
  const op = 'slice';
  checkTensor(x, op, 'x');
  checkList(specs, op, 'specs', 'an array with one spec per leading axis');
  if (specs.length > x.rank) throw new ShapeError(`${specs.length} slice specs for a tensor of rank ${x.rank} (shape ${fmt(x.shape)})`, op);
  const strides = stridesOf(x.shape);
  let offset = 0;
  const shape: number[] = [];
  const rStrides: number[] = [];
  const keptShape: number[] = [];
  x.shape.forEach((n, axis) => {
    const { start, step, count, drop } = resolveSlice(specs[axis] ?? null, n, axis, op);
    if (count > 0) offset += start * strides[axis]!;
    keptShape.push(count);
    if (!drop) {
      shape.push(count);
      rStrides.push(step * strides[axis]!);
    }
  });
  return readRegion(op, x, { offset: sizeOf(keptShape) === 0 ? 0 : offset, strides: rStrides, shape });
}

/**
 * Pads each leading axis with `[before, after]` elements of `value` (missing axes unpadded).
 *
 * @example
 * pad(tensor([1, 2]), [[1, 2]]); // [0, 1, 2, 0, 0]
 */
export function pad<D extends DType, R extends number>(
  x: Tensor<D, R>,
  widths: readonly (readonly [number, number])[],
  value = 0,
): Tensor<D, R> {
  const op = 'pad';
  checkTensor(x, op, 'x');
  checkList(widths, op, 'widths', 'an array of [before, after] pairs');
  if (typeof value !== 'number') throw new ValueError(`value must be a number, got ${describeValue(value)}`, op);
  if (widths.length > x.rank)
    throw new ShapeError(`${widths.length} pad widths for a tensor of rank ${x.rank} (shape ${fmt(x.shape)})`, op);
  if (x.dtype === 'int32' && !Number.isInteger(value)) throw new ValueError(`pad value ${value} cannot be stored in int32`, op);
  for (const w of widths) {
    if (!Array.isArray(w) || w.length !== 2 || w.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new ValueError(`pad widths must be [before, after] pairs of non-negative integers, got ${JSON.stringify(w)}`, op);
    }
  }
  const shape = x.shape.map((d, i) => d + (widths[i]?.[0] ?? 0) + (widths[i]?.[1] ?? 0));
  const strides = stridesOf(shape);
  const offset = widths.reduce((acc, w, i) => acc + w[0] * strides[i]!, 0);
  return writeRegion(op, shape, value, x, { offset, strides, shape: [...x.shape] }) as Tensor<D, R>;
}

/**
 * Joins tensors along an existing axis; all other axes must match.
 *
 * @example
 * concat([tensor([1, 2]), tensor([3])]); // [1, 2, 3]
 */
export function concat<D extends DType>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  const op = 'concat';
  checkTensorList(tensors, op, 'tensors');
  if (tensors.length === 0) throw new ValueError('needs at least one tensor', op);
  const first = tensors[0]!;
  const a = normalizeAxis(axis, first.rank, op);
  for (const [i, t] of tensors.entries()) {
    if (t.dtype !== first.dtype) throw new DTypeError(`tensor ${i} is ${t.dtype}, tensor 0 is ${first.dtype}; cast first`, op);
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new ShapeError(`tensor ${i} has shape ${fmt(t.shape)}, incompatible with ${fmt(first.shape)} outside axis ${a}`, op);
    }
  }
  const backend = backendOf(op, ...tensors);
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a]!, 0);
  const out = emptyTensor(shape, first.dtype, backend);
  const strides = stridesOf(shape);
  const regions: Region[] = [];
  let start = 0;
  for (const t of tensors) {
    const region = { offset: start * strides[a]!, strides, shape: [...t.shape] };
    backend.copy(t.view(op), { buf: out.buf(op), ...region }, t.dtype);
    regions.push(region);
    start += t.shape[a]!;
  }
  return record(op, out, tensors, (g) => regions.map((r) => readRegion(`${op} (backward)`, g, r)));
}
