import { activeBackend, type RandomDist } from '../backends/backend.js';
import {
  allocArray,
  assertDType,
  type DType,
  dtypeOfArray,
  type FloatDType,
  isFloat,
  type TypedArray,
  type TypedArrayFor,
} from '../dtype.js';
import { DTypeError, describeValue, fmt, ShapeError, ValueError } from '../errors.js';
import { tidy } from '../memory.js';
import { takeCounters } from '../random.js';
import { assertShape, type Shape, sizeOf } from '../shape.js';
import { emptyTensor, isTensor, type Tensor } from '../tensor.js';
import type { InferDType, NestedArray, RankOf } from '../types.js';
import { checkTensor } from './util.js';

/** Options of every creation function. */
export interface CreateOptions<D extends DType = DType> {
  /** Element type (default float32, or bool for boolean data). */
  dtype?: D;
  /** Make the result a leaf that collects gradients (float dtypes only). */
  requiresGrad?: boolean;
}

function finish<T extends Tensor>(t: T, opts: CreateOptions | undefined): T {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function fromFlat<D extends DType>(flat: ArrayLike<number>, shape: Shape, dtype: D, opts?: CreateOptions): Tensor<D> {
  const backend = activeBackend();
  const t = emptyTensor(shape, dtype, backend);
  const data = allocArray(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    if (dtype === 'int32' && !Number.isFinite(flat[i]!))
      throw new ValueError(`${flat[i]} (element ${i}) cannot be stored in int32`, 'tensor');
    data[i] = dtype === 'int32' ? Math.trunc(flat[i]!) : flat[i]!;
  }
  backend.write(t.buf('tensor'), data);
  return finish(t, opts);
}

/** Walks nested arrays, checking they are rectangular, and returns the shape and flat values. */
function flatten(data: NestedArray, op: string): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  for (let d: unknown = data; Array.isArray(d); d = d[0]) shape.push(d.length);
  const flat: number[] = [];
  const walk = (d: unknown, axis: number, path: string) => {
    if (axis === shape.length) {
      if (typeof d === 'number') flat.push(d);
      else if (typeof d === 'boolean') flat.push(d ? 1 : 0);
      else
        throw new ValueError(
          `element ${path || '(root)'} is ${Array.isArray(d) ? 'an array' : typeof d}; expected a number or boolean at depth ${shape.length}`,
          op,
        );
      return;
    }
    if (!Array.isArray(d) || d.length !== shape[axis]) {
      throw new ShapeError(
        `ragged nested array: ${path || '(root)'} has ${Array.isArray(d) ? `length ${d.length}` : 'no array'}, expected length ${shape[axis]} (shape ${fmt(shape)})`,
        op,
      );
    }
    d.forEach((v, i) => {
      walk(v, axis + 1, `${path}[${i}]`);
    });
  };
  walk(data, 0, '');
  return { shape, flat };
}

/**
 * Creates a tensor from nested arrays, a number, or a typed array (with `shape`). The rank is
 * inferred from the nesting and kept in the type.
 *
 * @example
 * const a = tensor([[1, 2], [3, 4]]);          // Tensor<'float32', 2>
 * const b = tensor([1, 2], { dtype: 'int32' }); // Tensor<'int32', 1>
 * const c = tensor([true, false]);             // Tensor<'bool', 1>
 */
export function tensor<const T extends NestedArray, D extends DType = InferDType<T>>(
  data: T,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, RankOf<T>>;
export function tensor<
  A extends TypedArray,
  D extends DType = A extends Float64Array ? 'float64' : A extends Int32Array ? 'int32' : A extends Uint8Array ? 'bool' : 'float32',
>(data: A, opts?: CreateOptions<D> & { shape?: Shape }): Tensor<NoInfer<D>>;
export function tensor(data: NestedArray | TypedArray, opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  const op = 'tensor';
  if (opts.dtype !== undefined) assertDType(opts.dtype, op);
  if (ArrayBuffer.isView(data)) {
    const shape = opts.shape ?? [data.length];
    assertShape(shape, op);
    if (sizeOf(shape) !== data.length)
      throw new ShapeError(`shape ${fmt(shape)} needs ${sizeOf(shape)} elements, the array has ${data.length}`, op);
    return fromFlat(data, shape, opts.dtype ?? dtypeOfArray(data as TypedArray), opts);
  }
  if (isTensor(data)) throw new ValueError('got a Tensor; use .clone() or .cast() instead', op);
  const { shape, flat } = flatten(data, op);
  return fromFlat(flat, shape, opts.dtype ?? (firstLeaf(data) === 'boolean' ? 'bool' : 'float32'), opts);
}

function firstLeaf(d: unknown): string {
  while (Array.isArray(d)) d = d[0];
  return typeof d;
}

/** A 0-d tensor holding `value`. @example scalar(3).item(); // 3 */
export function scalar<V extends number | boolean, D extends DType = V extends boolean ? 'bool' : 'float32'>(
  value: V,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, 0> {
  checkFill(value, 'scalar');
  return fromFlat([Number(value)], [], (opts?.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32')) as D, opts) as Tensor<D, 0>;
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * full([2, 2], 7);
 */
export function full<const S extends Shape, V extends number | boolean, D extends DType = V extends boolean ? 'bool' : 'float32'>(
  shape: S,
  value: V,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  assertShape(shape, 'full');
  checkFill(value, 'full');
  const dtype = (opts?.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32')) as D;
  assertDType(dtype, 'full');
  if (typeof value === 'number' && (Number.isNaN(value) || (dtype === 'int32' && !Number.isFinite(value))) && !isFloat(dtype))
    throw new ValueError(`${value} cannot be stored in ${dtype}`, 'full');
  const backend = activeBackend();
  const t = emptyTensor(shape, dtype, backend);
  backend.fill(t.buf('full'), dtype, t.size, Number(value));
  return finish(t, opts) as Tensor<D, S['length']>;
}

/** A tensor of zeros. @example zeros([2, 3]); */
export function zeros<D extends DType = 'float32', const S extends Shape = Shape>(
  shape: S,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  return full(shape, 0, { ...opts, dtype: (opts?.dtype ?? 'float32') as D });
}

/** A tensor of ones. @example ones([2, 3]); */
export function ones<D extends DType = 'float32', const S extends Shape = Shape>(
  shape: S,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  return full(shape, 1, { ...opts, dtype: (opts?.dtype ?? 'float32') as D });
}

/** A fill value must be a number or a boolean: anything else would be stored as NaN. */
function checkFill(value: unknown, op: string): void {
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ValueError(`value must be a number or a boolean, got ${describeValue(value)}`, op);
}

/** Zeros with `x`'s shape and dtype (and backend). @example zerosLike(ones([2])); */
export function zerosLike<D extends DType, R extends number>(x: Tensor<D, R>, opts?: CreateOptions<D>): Tensor<D, R> {
  return like('zerosLike', x, 0, opts);
}

/** Ones with `x`'s shape and dtype (and backend). @example onesLike(zeros([2])); */
export function onesLike<D extends DType, R extends number>(x: Tensor<D, R>, opts?: CreateOptions<D>): Tensor<D, R> {
  return like('onesLike', x, 1, opts);
}

/** `value` with `x`'s shape and dtype (and backend). @example fullLike(zeros([2]), 5); */
export function fullLike<D extends DType, R extends number>(x: Tensor<D, R>, value: number, opts?: CreateOptions<D>): Tensor<D, R> {
  return like('fullLike', x, value, opts);
}

function like<D extends DType, R extends number>(op: string, x: Tensor<D, R>, value: number, opts?: CreateOptions<D>): Tensor<D, R> {
  checkTensor(x, op, 'x');
  checkFill(value, op);
  const backend = x.storage.backend;
  const dtype = opts?.dtype ?? x.dtype;
  if (opts?.dtype !== undefined) assertDType(dtype, op);
  if ((Number.isNaN(value) || (dtype === 'int32' && !Number.isFinite(value))) && !isFloat(dtype))
    throw new ValueError(`${value} cannot be stored in ${dtype}`, op);
  const t = emptyTensor(x.shape, dtype, backend) as Tensor<D, R>;
  backend.fill(t.buf(op), dtype, t.size, Number(value));
  return finish(t, opts);
}

/**
 * Evenly spaced values in `[start, stop)` (one argument: `[0, stop)`).
 *
 * @example
 * arange(5);       // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.5); // [1, 1.5]
 */
export function arange<D extends DType = 'float32'>(
  start: number,
  stop?: number,
  step = 1,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, 1> {
  const op = 'arange';
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  if (![lo, hi, step].every(Number.isFinite)) throw new ValueError(`start, stop and step must be finite, got ${lo}, ${hi}, ${step}`, op);
  if (step === 0) throw new ValueError(`step must be non-zero, got start ${lo}, stop ${hi}, step 0`, op);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const flat = Array.from({ length: n }, (_, i) => lo + i * step);
  return fromFlat(flat, [n], opts?.dtype ?? ('float32' as D), opts) as Tensor<D, 1>;
}

/**
 * `num` evenly spaced values from `start` to `stop`, both included.
 *
 * @example
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace<D extends FloatDType = 'float32'>(
  start: number,
  stop: number,
  num: number,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, 1> {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`num must be a non-negative integer, got ${num}`, 'linspace');
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    throw new ValueError(`start and stop must be finite, got ${start} and ${stop}`, 'linspace');
  const flat = Array.from({ length: num }, (_, i) => (num === 1 ? start : start + ((stop - start) * i) / (num - 1)));
  return fromFlat(flat, [num], opts?.dtype ?? ('float32' as D), opts) as Tensor<D, 1>;
}

/**
 * The `n×m` identity matrix (ones on the diagonal).
 *
 * @example
 * eye(2); // [[1, 0], [0, 1]]
 */
export function eye<D extends DType = 'float32'>(n: number, m = n, opts?: CreateOptions<D>): Tensor<NoInfer<D>, 2> {
  assertShape([n, m], 'eye');
  const flat = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) flat[i * m + i] = 1;
  return fromFlat(flat, [n, m], opts?.dtype ?? ('float32' as D), opts) as Tensor<D, 2>;
}

function random<D extends FloatDType>(dist: RandomDist, shape: Shape, opts: CreateOptions<D> | undefined, op: string): Tensor<D> {
  assertShape(shape, op);
  const dtype = opts?.dtype ?? ('float32' as D);
  if (!isFloat(dtype)) throw new DTypeError(`random values must be float32 or float64, got ${dtype}`, op);
  const backend = activeBackend();
  const t = emptyTensor(shape, dtype, backend);
  const perElement = (dist === 'normal' ? 2 : 1) * (dtype === 'float64' ? 2 : 1);
  const { key, counter } = takeCounters(t.size * perElement);
  backend.random(dist, key, counter, t.buf(op), dtype, t.size);
  return t;
}

/**
 * Uniform samples in [0, 1) from the seeded stream (see `setSeed`).
 *
 * @example
 * setSeed(0);
 * rand([2, 2]);
 */
export function rand<D extends FloatDType = 'float32', const S extends Shape = Shape>(
  shape: S,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  return finish(random('uniform', shape, opts, 'rand'), opts) as Tensor<D, S['length']>;
}

/**
 * Standard normal samples from the seeded stream (Box–Muller).
 *
 * @example
 * randn([3]);
 */
export function randn<D extends FloatDType = 'float32', const S extends Shape = Shape>(
  shape: S,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  return finish(random('normal', shape, opts, 'randn'), opts) as Tensor<D, S['length']>;
}

/**
 * Uniform samples in [low, high) — the paper's "weights initialised in [−0.1, 0.1]".
 *
 * @example
 * uniform([4, 4], -0.1, 0.1);
 */
export function uniform<D extends FloatDType = 'float32', const S extends Shape = Shape>(
  shape: S,
  low: number,
  high: number,
  opts?: CreateOptions<D>,
): Tensor<NoInfer<D>, S['length']> {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high)
    throw new ValueError(`expected finite low <= high, got [${low}, ${high})`, 'uniform');
  // tidy: the draw, the scaled draw and the two scalar operands are intermediates
  const out = tidy(() =>
    random('uniform', shape, opts, 'uniform')
      .mul(high - low)
      .add(low),
  ) as Tensor<D>;
  return finish(out, opts) as Tensor<D, S['length']>;
}

/**
 * Bernoulli samples: `true` with probability `p` (a number, or a tensor of probabilities).
 *
 * @example
 * bernoulli(0.5, [10]); // a bool mask, e.g. for dropout
 */
export function bernoulli(p: number | Tensor<FloatDType>, shape?: Shape): Tensor<'bool'> {
  const op = 'bernoulli';
  if (typeof p !== 'number' && !isTensor(p))
    throw new ValueError(`p must be a number or a Tensor of probabilities, got ${describeValue(p)}`, op);
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`p must be in [0, 1], got ${p}`, op);
    if (!shape) throw new ShapeError('a shape is needed when p is a number', op);
    return tidy(() => random('uniform', shape, undefined, op).lt(p));
  }
  if (p.backend === 'cpu') {
    const probs = p.dataSync();
    for (let i = 0; i < probs.length; i++)
      if (!(probs[i]! >= 0 && probs[i]! <= 1))
        throw new ValueError(`p must be in [0, 1], got ${probs[i]} at element ${i} (shape ${fmt(p.shape)})`, op);
  }
  const u = random('uniform', shape ?? p.shape, { dtype: p.dtype }, op);
  const out = u.lt(p as Tensor<FloatDType>);
  u.dispose();
  return out;
}

export type { TypedArrayFor };
