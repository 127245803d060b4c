import { activeBackend, type Backend, type Buf, type View } from './backends/backend.js';
import { type DType, type FloatDType, isFloat, type Scalar, type TypedArrayFor } from './dtype.js';
import { BackendError, DisposedError, DTypeError, describeValue, fmt, GradError, ShapeError, ValueError } from './errors.js';
import { type Storage, TENSOR, trackStorage, trackTensor, untrackTensor } from './memory.js';
import * as ops from './ops/index.js';
import type { SliceSpec } from './ops/movement.js';
import type { ReduceOptions } from './ops/reduce.js';
import { type AxisArg, broadcastStrides, type Shape, sameShape, sizeOf, stridesOf } from './shape.js';
import { backward, type Node } from './tape.js';
import type { ArrayOf, NestedArray } from './types.js';

/**
 * An n-dimensional array on a backend. The dtype is part of the type (`Tensor<'float32'>`), and so
 * is the rank when it is cheap to know (`Tensor<'float32', 2>`). Tensors are immutable: every op
 * returns a new tensor, and records itself on the autograd tape when an input requires grad.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * x.grad?.arraySync(); // [[2, 4], [6, 8]]
 */
export class Tensor<D extends DType = DType, R extends number = number> {
  /** Size of each axis, outermost first. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: D;
  /** @internal The device buffer (shared by reshaped views). */
  readonly storage: Storage;
  /** @internal How this tensor was computed; null for leaves and untracked tensors. */
  node: Node | null = null;
  /** Gradient accumulated by `backward()` (leaves only). */
  grad: Tensor<D, R> | null = null;
  #requiresGrad = false;
  #disposed = false;
  // derived from the shape once: every op asks for them
  readonly #size: number;
  #strides: number[] | undefined;

  /** @internal Use `tensor()`, `zeros()` and the ops; this wraps an existing storage. */
  constructor(storage: Storage, shape: Shape, dtype: D) {
    this.storage = storage;
    // a frozen shape is another tensor's (a view, an elementwise result): share it instead of copying
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.dtype = dtype;
    this.#size = sizeOf(shape);
    storage.refs++;
    trackTensor(this, storage);
  }

  /** Number of elements. */
  get size(): number {
    return this.#size;
  }
  /** Number of axes. */
  get rank(): R {
    return this.shape.length as R;
  }
  /** The backend holding the data (`'cpu'`, `'webgpu'`). */
  get backend(): string {
    return this.storage.backend.name;
  }
  /** True once `dispose()` ran (directly or through `tidy`). */
  get isDisposed(): boolean {
    return this.#disposed;
  }
  /** True when gradients flow to this tensor (a leaf that asked for it, or a result of one). */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  /** Marks a float leaf as collecting gradients (or stops it); a computed tensor cannot opt out. */
  set requiresGrad(value: boolean) {
    if (value && !isFloat(this.dtype)) {
      throw new DTypeError(`only float tensors can require grad, this one is ${this.dtype}`, 'requiresGrad');
    }
    if (!value && this.node) throw new GradError('cannot stop a non-leaf tensor from requiring grad; use detach()', 'requiresGrad');
    this.#requiresGrad = value;
  }
  /** True for tensors not produced by a recorded op (inputs, parameters). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** @internal The buffer, after checking the tensor is alive; `op` names the caller in the error. */
  buf(op: string): Buf {
    if (this.#disposed) throw new DisposedError(`tensor of shape ${fmt(this.shape)} was disposed`, op);
    return this.storage.buf;
  }
  /** @internal A strided view reading this tensor broadcast to `shape`. */
  view(op: string, shape: Shape = this.shape): View {
    const buf = this.buf(op);
    if (shape !== this.shape && !sameShape(shape, this.shape))
      return { buf, shape, strides: broadcastStrides(this.shape, shape), offset: 0 };
    // kernels only read a view's strides, so one array serves every view of this tensor
    this.#strides ??= stridesOf(this.shape);
    return { buf, shape, strides: this.#strides, offset: 0 };
  }
  /** @internal Marks an op output as part of the graph. */
  attach(node: Node): void {
    this.node = node;
    this.#requiresGrad = true;
  }

  /** Frees the buffer now (idempotent). Using the tensor afterwards throws a DisposedError. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
    untrackTensor(this, this.storage);
  }

  /**
   * Overwrites this tensor's values with `value`'s, in place (same shape and dtype; `value` may be
   * a number). For parameter updates by optimizers and `loadStateDict`: only leaves may be
   * assigned, and views sharing the buffer see the change. Runs untracked.
   */
  assign(value: Tensor<D> | number): this {
    const op = 'assign';
    if (this.node) throw new GradError('only leaf tensors can be assigned in place (this one was computed by an op)', op);
    const backend = this.storage.backend;
    if (typeof value === 'number') {
      backend.fill(this.buf(op), this.dtype, this.size, value);
      return this;
    }
    if (!isTensor(value)) throw new ValueError(`value must be a Tensor or a number, got ${describeValue(value)}`, op);
    if (value.dtype !== this.dtype) throw new DTypeError(`cannot assign ${value.dtype} values to a ${this.dtype} tensor; cast first`, op);
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError(`cannot assign a tensor of shape ${fmt(value.shape)} to one of shape ${fmt(this.shape)}`, op);
    }
    if (value.storage.backend !== backend) throw new BackendError(`cannot assign across backends (${value.backend} → ${this.backend})`, op);
    backend.copy(value.view(op), this.view(op), this.dtype);
    return this;
  }

  // ---- reading data ---------------------------------------------------------------------------

  /** The elements as a flat typed array (a copy), read asynchronously (works on every backend). */
  async data(): Promise<TypedArrayFor[D]> {
    return (await this.storage.backend.read(this.buf('data'), this.dtype, this.size)) as TypedArrayFor[D];
  }
  /** The elements as a flat typed array (a copy). Synchronous: CPU only; WebGPU throws. */
  dataSync(): TypedArrayFor[D] {
    return this.storage.backend.readSync(this.buf('dataSync'), this.dtype, this.size) as TypedArrayFor[D];
  }
  /** The elements as nested JS arrays, read asynchronously. */
  async array(): Promise<ArrayOf<D, R>> {
    return nest(await this.data(), this.shape, this.dtype) as ArrayOf<D, R>;
  }
  /** The elements as nested JS arrays (CPU only). */
  arraySync(): ArrayOf<D, R> {
    return nest(this.dataSync(), this.shape, this.dtype) as ArrayOf<D, R>;
  }
  /** The single element of a one-element tensor (CPU only). */
  item(): Scalar<D> {
    if (this.size !== 1) throw new ShapeError(`item() needs exactly one element, this tensor has shape ${fmt(this.shape)}`, 'item');
    const v = this.dataSync()[0]!;
    return (this.dtype === 'bool' ? v !== 0 : v) as Scalar<D>;
  }
  /** A short description: dtype, shape, and the values when small. */
  toString(): string {
    if (this.#disposed) return `Tensor<${this.dtype}>${fmt(this.shape)} (disposed)`;
    const body = this.size <= 64 && this.storage.backend.name === 'cpu' ? ` ${JSON.stringify(this.arraySync())}` : '';
    return `Tensor<${this.dtype}>${fmt(this.shape)}${body}`;
  }

  // ---- autograd -------------------------------------------------------------------------------

  /**
   * Backpropagates from this tensor, accumulating into `.grad` of every leaf that requires grad.
   * A non-scalar needs a seed gradient of its shape.
   */
  backward(gradient?: Tensor<D> | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    backward(this, gradient ?? undefined, opts);
  }
  /** A tensor sharing this data, cut from the graph (no gradient flows through it). */
  detach(): Tensor<D, R> {
    return ops.detach(this);
  }
  /** A copy with its own buffer (differentiable). */
  clone(): Tensor<D, R> {
    return ops.clone(this);
  }

  // biome-ignore-start format: one-line forwards to the op functions
  // ---- elementwise ----------------------------------------------------------------------------

  /** Method form of the `neg` function: `x.neg(…)` is `neg(x, …)`. */
  neg(): Tensor<D, R> {
    return ops.neg(this);
  }
  /** Method form of the `abs` function: `x.abs(…)` is `abs(x, …)`. */
  abs(): Tensor<D, R> {
    return ops.abs(this);
  }
  /** Method form of the `sign` function: `x.sign(…)` is `sign(x, …)`. */
  sign(): Tensor<D, R> {
    return ops.sign(this);
  }
  /** Method form of the `exp` function: `x.exp(…)` is `exp(x, …)`. */
  exp(): Tensor<D, R> {
    return ops.exp(this);
  }
  /** Method form of the `expm1` function: `x.expm1(…)` is `expm1(x, …)`. */
  expm1(): Tensor<D, R> {
    return ops.expm1(this);
  }
  /** Method form of the `log` function: `x.log(…)` is `log(x, …)`. */
  log(): Tensor<D, R> {
    return ops.log(this);
  }
  /** Method form of the `log1p` function: `x.log1p(…)` is `log1p(x, …)`. */
  log1p(): Tensor<D, R> {
    return ops.log1p(this);
  }
  /** Method form of the `sqrt` function: `x.sqrt(…)` is `sqrt(x, …)`. */
  sqrt(): Tensor<D, R> {
    return ops.sqrt(this);
  }
  /** Method form of the `rsqrt` function: `x.rsqrt(…)` is `rsqrt(x, …)`. */
  rsqrt(): Tensor<D, R> {
    return ops.rsqrt(this);
  }
  /** Method form of the `square` function: `x.square(…)` is `square(x, …)`. */
  square(): Tensor<D, R> {
    return ops.square(this);
  }
  /** Method form of the `reciprocal` function: `x.reciprocal(…)` is `reciprocal(x, …)`. */
  reciprocal(): Tensor<D, R> {
    return ops.reciprocal(this);
  }
  /** Method form of the `sin` function: `x.sin(…)` is `sin(x, …)`. */
  sin(): Tensor<D, R> {
    return ops.sin(this);
  }
  /** Method form of the `cos` function: `x.cos(…)` is `cos(x, …)`. */
  cos(): Tensor<D, R> {
    return ops.cos(this);
  }
  /** Method form of the `tanh` function: `x.tanh(…)` is `tanh(x, …)`. */
  tanh(): Tensor<D, R> {
    return ops.tanh(this);
  }
  /** Method form of the `sigmoid` function: `x.sigmoid(…)` is `sigmoid(x, …)`. */
  sigmoid(): Tensor<D, R> {
    return ops.sigmoid(this);
  }
  /** Method form of the `erf` function: `x.erf(…)` is `erf(x, …)`. */
  erf(): Tensor<D, R> {
    return ops.erf(this);
  }
  /** Method form of the `floor` function: `x.floor(…)` is `floor(x, …)`. */
  floor(): Tensor<D, R> {
    return ops.floor(this);
  }
  /** Method form of the `relu` function: `x.relu(…)` is `relu(x, …)`. */
  relu(): Tensor<D, R> {
    return ops.relu(this);
  }
  /** Method form of the `leakyRelu` function: `x.leakyRelu(…)` is `leakyRelu(x, …)`. */
  leakyRelu(negativeSlope = 0.01): Tensor<D, R> {
    return ops.leakyRelu(this, negativeSlope);
  }
  /** Method form of the `elu` function: `x.elu(…)` is `elu(x, …)`. */
  elu(alpha = 1): Tensor<D, R> {
    return ops.elu(this, alpha);
  }
  /** Method form of the `gelu` function: `x.gelu(…)` is `gelu(x, …)`. */
  gelu(): Tensor<D, R> {
    return ops.gelu(this);
  }
  /** Method form of the `softplus` function: `x.softplus(…)` is `softplus(x, …)`. */
  softplus(beta = 1, threshold = 20): Tensor<D, R> {
    return ops.softplus(this, beta, threshold);
  }
  /** Method form of the `clamp` function: `x.clamp(…)` is `clamp(x, …)`. */
  clamp(min?: number | null, max?: number | null): Tensor<D, R> {
    return ops.clamp(this, min, max);
  }
  /** Method form of the `logicalNot` function: `x.logicalNot(…)` is `logicalNot(x, …)`. */
  logicalNot(): Tensor<'bool', R> {
    return ops.logicalNot(this);
  }

  /** Method form of the `add` function: `x.add(…)` is `add(x, …)`. */
  add<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.add(this, other) as never;
  }
  /** Method form of the `sub` function: `x.sub(…)` is `sub(x, …)`. */
  sub<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.sub(this, other) as never;
  }
  /** Method form of the `mul` function: `x.mul(…)` is `mul(x, …)`. */
  mul<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.mul(this, other) as never;
  }
  /** Method form of the `div` function: `x.div(…)` is `div(x, …)`. */
  div<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.div(this, other) as never;
  }
  /** Method form of the `pow` function: `x.pow(…)` is `pow(x, …)`. */
  pow<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.pow(this, other) as never;
  }
  /** Method form of the `maximum` function: `x.maximum(…)` is `maximum(x, …)`. */
  maximum<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.maximum(this, other) as never;
  }
  /** Method form of the `minimum` function: `x.minimum(…)` is `minimum(x, …)`. */
  minimum<O extends Tensor<D> | number>(other: O): Tensor<D, O extends number ? R : number> {
    return ops.minimum(this, other) as never;
  }
  /** Method form of the `eq` function: `x.eq(…)` is `eq(x, …)`. */
  eq<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.eq(this, other) as never;
  }
  /** Method form of the `ne` function: `x.ne(…)` is `ne(x, …)`. */
  ne<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.ne(this, other) as never;
  }
  /** Method form of the `lt` function: `x.lt(…)` is `lt(x, …)`. */
  lt<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.lt(this, other) as never;
  }
  /** Method form of the `le` function: `x.le(…)` is `le(x, …)`. */
  le<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.le(this, other) as never;
  }
  /** Method form of the `gt` function: `x.gt(…)` is `gt(x, …)`. */
  gt<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.gt(this, other) as never;
  }
  /** Method form of the `ge` function: `x.ge(…)` is `ge(x, …)`. */
  ge<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.ge(this, other) as never;
  }
  /** Method form of the `logicalAnd` function: `x.logicalAnd(…)` is `logicalAnd(x, …)`. */
  logicalAnd<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.logicalAnd(this, other) as never;
  }
  /** Method form of the `logicalOr` function: `x.logicalOr(…)` is `logicalOr(x, …)`. */
  logicalOr<O extends Tensor<D> | number>(other: O): Tensor<'bool', O extends number ? R : number> {
    return ops.logicalOr(this, other) as never;
  }
  /** For a bool tensor: picks `a` where true and `b` where false (broadcasting all three). */
  where<V extends DType>(a: Tensor<V> | number, b: Tensor<V> | number): Tensor<V> {
    return ops.where(this as Tensor<'bool'>, a, b);
  }
  /** Converts to another dtype (the only way to mix dtypes). */
  cast<T extends DType>(dtype: T): Tensor<T, R> {
    return ops.cast(this, dtype);
  }

  // ---- reductions -----------------------------------------------------------------------------

  /** Method form of the `sum` function: `x.sum(…)` is `sum(x, …)`. */
  sum(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.sum(this, axis, opts);
  }
  /** Method form of the `mean` function: `x.mean(…)` is `mean(x, …)`. */
  mean(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.mean(this, axis, opts);
  }
  /** Method form of the `prod` function: `x.prod(…)` is `prod(x, …)`. */
  prod(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.prod(this, axis, opts);
  }
  /** Method form of the `max` function: `x.max(…)` is `max(x, …)`. */
  max(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.max(this, axis, opts);
  }
  /** Method form of the `min` function: `x.min(…)` is `min(x, …)`. */
  min(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.min(this, axis, opts);
  }
  /** Method form of the `argmax` function: `x.argmax(…)` is `argmax(x, …)`. */
  argmax(axis?: number, opts?: ReduceOptions): Tensor<'int32'> {
    return ops.argmax(this, axis, opts);
  }
  /** Method form of the `argmin` function: `x.argmin(…)` is `argmin(x, …)`. */
  argmin(axis?: number, opts?: ReduceOptions): Tensor<'int32'> {
    return ops.argmin(this, axis, opts);
  }
  /** Method form of the `logsumexp` function: `x.logsumexp(…)` is `logsumexp(x, …)`. */
  logsumexp(axis?: AxisArg, opts?: ReduceOptions): Tensor<D> {
    return ops.logsumexp(this, axis, opts);
  }
  /** Method form of the `variance` function: `x.variance(…)` is `variance(x, …)`. */
  variance(axis?: AxisArg, opts?: ReduceOptions & { correction?: number }): Tensor<D> {
    return ops.variance(this, axis, opts);
  }
  /** Method form of the `std` function: `x.std(…)` is `std(x, …)`. */
  std(axis?: AxisArg, opts?: ReduceOptions & { correction?: number }): Tensor<D> {
    return ops.std(this, axis, opts);
  }
  /** Method form of the `softmax` function: `x.softmax(…)` is `softmax(x, …)`. */
  softmax(axis = -1): Tensor<D, R> {
    return ops.softmax(this, axis);
  }
  /** Method form of the `logSoftmax` function: `x.logSoftmax(…)` is `logSoftmax(x, …)`. */
  logSoftmax(axis = -1): Tensor<D, R> {
    return ops.logSoftmax(this, axis);
  }
  /** Method form of the `cumsum` function: `x.cumsum(…)` is `cumsum(x, …)`. */
  cumsum(axis: number, opts?: { reverse?: boolean }): Tensor<D, R> {
    return ops.cumsum(this, axis, opts);
  }

  // ---- linear algebra -------------------------------------------------------------------------

  /** Method form of the `matmul` function: `x.matmul(…)` is `matmul(x, …)`. */
  matmul<O extends number>(other: Tensor<D, O>): Tensor<D, R extends 2 ? (O extends 2 ? 2 : number) : number> {
    return ops.matmul(this, other) as never;
  }
  /** Method form of the `dot` function: `x.dot(…)` is `dot(x, …)`. */
  dot(other: Tensor<D>): Tensor<D, 0> {
    return ops.dot(this, other);
  }
  /** Method form of the `outer` function: `x.outer(…)` is `outer(x, …)`. */
  outer(other: Tensor<D>): Tensor<D, 2> {
    return ops.outer(this, other);
  }

  // ---- movement -------------------------------------------------------------------------------

  /** Method form of the `reshape` function: `x.reshape(…)` is `reshape(x, …)`. */
  reshape<const S extends readonly number[]>(shape: S): Tensor<D, S['length']> {
    return ops.reshape(this, shape);
  }
  /** Method form of the `flatten` function: `x.flatten(…)` is `flatten(x, …)`. */
  flatten(startAxis = 0, endAxis = -1): Tensor<D> {
    return ops.flatten(this, startAxis, endAxis);
  }
  /** Method form of the `squeeze` function: `x.squeeze(…)` is `squeeze(x, …)`. */
  squeeze(axis?: AxisArg): Tensor<D> {
    return ops.squeeze(this, axis);
  }
  /** Method form of the `unsqueeze` function: `x.unsqueeze(…)` is `unsqueeze(x, …)`. */
  unsqueeze(axis: number): Tensor<D> {
    return ops.unsqueeze(this, axis);
  }
  /** Method form of the `permute` function: `x.permute(…)` is `permute(x, …)`. */
  permute(axes: readonly number[]): Tensor<D, R> {
    return ops.permute(this, axes);
  }
  /** Method form of the `transpose` function: `x.transpose(…)` is `transpose(x, …)`. */
  transpose(axis0 = -2, axis1 = -1): Tensor<D, R> {
    return ops.transpose(this, axis0, axis1);
  }
  /** The transpose of a 2-D tensor (reverses all axes otherwise). */
  get T(): Tensor<D, R> {
    return ops.permute(this, [...this.shape.keys()].reverse());
  }
  /** Method form of the `expand` function: `x.expand(…)` is `expand(x, …)`. */
  expand<const S extends readonly number[]>(shape: S): Tensor<D, S['length']> {
    return ops.expand(this, shape);
  }
  /** Method form of the `expand` function: `x.broadcastTo(…)` is `expand(x, …)`. */
  broadcastTo<const S extends readonly number[]>(shape: S): Tensor<D, S['length']> {
    return ops.expand(this, shape);
  }
  /** Method form of the `slice` function: `x.slice(…)` is `slice(x, …)`. */
  slice(specs: readonly SliceSpec[]): Tensor<D> {
    return ops.slice(this, specs);
  }
  /** Method form of the `pad` function: `x.pad(…)` is `pad(x, …)`. */
  pad(widths: readonly (readonly [number, number])[], value = 0): Tensor<D, R> {
    return ops.pad(this, widths, value);
  }
  /** Method form of the `split` function: `x.split(…)` is `split(x, …)`. */
  split(sizes: number | readonly number[], axis = 0): Tensor<D, R>[] {
    return ops.split(this, sizes, axis);
  }
  /** Method form of the `chunk` function: `x.chunk(…)` is `chunk(x, …)`. */
  chunk(chunks: number, axis = 0): Tensor<D, R>[] {
    return ops.chunk(this, chunks, axis);
  }
  /** Method form of the `tile` function: `x.tile(…)` is `tile(x, …)`. */
  tile(reps: readonly number[]): Tensor<D> {
    return ops.tile(this, reps);
  }
  /** Method form of the `repeat` function: `x.repeat(…)` is `repeat(x, …)`. */
  repeat(repeats: number, axis?: number): Tensor<D> {
    return ops.repeat(this, repeats, axis);
  }
  /** Method form of the `flip` function: `x.flip(…)` is `flip(x, …)`. */
  flip(axis?: AxisArg): Tensor<D, R> {
    return ops.flip(this, axis);
  }
  /** Method form of the `gather` function: `x.gather(…)` is `gather(x, …)`. */
  gather(axis: number, index: Tensor<'int32'>): Tensor<D> {
    return ops.gather(this, axis, index);
  }
  /** Method form of the `indexSelect` function: `x.indexSelect(…)` is `indexSelect(x, …)`. */
  indexSelect(axis: number, index: Tensor<'int32'>): Tensor<D, R> {
    return ops.indexSelect(this, axis, index);
  }
  /** Method form of the `scatterAdd` function: `x.scatterAdd(…)` is `scatterAdd(x, …)`. */
  scatterAdd(axis: number, index: Tensor<'int32'>, src: Tensor<D>): Tensor<D, R> {
    return ops.scatterAdd(this, axis, index, src);
  }
  // biome-ignore-end format: one-line forwards to the op functions
}
Object.defineProperty(Tensor.prototype, TENSOR, { value: true });

/** @internal Wraps a fresh buffer into a tracked tensor. */
export function fromBuffer<D extends DType>(backend: Backend, buf: Buf, shape: Shape, dtype: D): Tensor<D> {
  const storage: Storage = { backend, buf, dtype, size: sizeOf(shape), refs: 0 };
  trackStorage(storage);
  return new Tensor(storage, shape, dtype);
}

/** @internal Allocates an uninitialised tensor on the active backend. */
export function emptyTensor<D extends DType>(shape: Shape, dtype: D, backend: Backend = activeBackend()): Tensor<D> {
  let buf: Buf;
  try {
    buf = backend.alloc(dtype, sizeOf(shape));
  } catch (e) {
    // e.g. a RangeError from a typed array too large for the platform: name the shape, not the kernel
    throw new BackendError(`cannot allocate a ${dtype} tensor of shape ${fmt(shape)} on ${backend.name}: ${(e as Error).message}`, 'alloc');
  }
  return fromBuffer(backend, buf, shape, dtype);
}

/** @internal A tensor sharing `t`'s storage under another shape (a free reshape). */
export function shareStorage<D extends DType>(t: Tensor<D>, shape: Shape, op: string): Tensor<D> {
  t.buf(op);
  return new Tensor(t.storage, shape, t.dtype);
}

/**
 * True for Carousel tensors (works across module copies).
 *
 * @example
 * isTensor(ones([2])); // true
 * isTensor([1, 2]);    // false
 */
export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { [TENSOR]?: boolean })[TENSOR] === true;
}

function nest(flat: ArrayLike<number>, shape: Shape, dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(flat[0]!);
  const build = (axis: number, offset: number): NestedArray[] => {
    const n = shape[axis]!;
    const stride = sizeOf(shape.slice(axis + 1));
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = axis === shape.length - 1 ? conv(flat[offset + i]!) : build(axis + 1, offset + i * stride);
    }
    return out;
  };
  return build(0, 0);
}

export type { FloatDType };
