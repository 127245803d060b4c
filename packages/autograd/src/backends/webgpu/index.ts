/// <reference types="@webgpu/types" />
import { allocArray, type DType, type TypedArray } from '../../dtype.js';
import { BackendError, type CarouselError, WebGPUDeviceLostError, WebGPUOutOfMemoryError, WebGPUValidationError } from '../../errors.js';
import type { BinaryOp, UnaryOp } from '../../ops/elementwise.js';
import type { Shape } from '../../shape.js';
import type {
  ArgReduceOp,
  AxisDims,
  Backend,
  Buf,
  FusedKernels,
  MatmulDims,
  RandomDist,
  ReduceOp,
  View,
  WebGPUOptions,
} from '../backend.js';
import { BufferPool, GpuBuf, type PoolStats } from './buffers.js';
import { acquireDevice, type GpuDevice } from './device.js';
import { webgpuFused } from './fused/index.js';
import { decodeHalves, encodeHalves, toHalfBits } from './half.js';
import { type Kernel, kernelOp, PipelineCache } from './pipelines.js';
import { CommandQueue } from './queue.js';
import { groups1d, type Storage, storageBytes, storageKey, storageOf } from './shaders/common.js';
import { binarySource, castSource, copySource, fillSource, unarySource, whereSource } from './shaders/elementwise.js';
import { gatherSource, scatterAddSource } from './shaders/indexing.js';
import { matmulDirectSource, matmulSource, TILE } from './shaders/matmul.js';
import { randomSource } from './shaders/random.js';
import { argReduceSource, cumsumSource, REDUCE_CHUNK, ROW_REDUCE_MIN, reduceSource } from './shaders/reduce.js';
import { planStrided } from './strided.js';

const STORAGE = 0x80; // GPUBufferUsage.STORAGE (the constants are globals only after the device loads)
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

/** Counters for tests and profiling: the pools, compiled pipelines, dispatches and submits. */
export interface WebGPUStats {
  buffers: PoolStats;
  staging: PoolStats;
  pipelines: number;
  dispatches: number;
  submits: number;
}

/** The storage a kernel binding of `buf` has. */
const st = (buf: Buf): Storage => (buf as GpuBuf).storage;

const contiguous = (shape: Shape): number[] => {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
};

/**
 * The WebGPU backend: float32, int32 and bool tensors in pooled GPUBuffers (4 bytes per element),
 * WGSL compute kernels for every primitive, batched submits, asynchronous reads.
 *
 * With `f16`, float32 tensors are stored as IEEE half precision (2 bytes per element) and every
 * kernel computes in f32 (load → f32, store → f16, rounding to nearest even); int32 and bool are
 * unchanged. Such a backend is a separate instance, named `webgpu-f16`, on its own device: its
 * tensors never meet f32-stored ones inside a kernel, and an op mixing the two fails like any op
 * mixing backends (a BackendError naming both), instead of reading one format as the other.
 * Kernel-internal work buffers that carry state across steps (the fused recurrences' h and c,
 * their carried gradients, two-pass reduction partials) stay f32.
 *
 * Errors: GPU validation and out-of-memory errors arrive asynchronously (caught by the queue's
 * error scopes, or the device's uncaptured-error event); the first one is kept and thrown, as a
 * {@link WebGPUValidationError} or {@link WebGPUOutOfMemoryError} naming the op of the kernel at
 * fault, by the next `alloc`, `write`, `read` or `sync`. After a device loss every call but `free`
 * throws a {@link WebGPUDeviceLostError} naming its op. No promise of the backend is left to
 * reject unhandled.
 */
export class WebGPUBackend implements Backend {
  /** `webgpu`, or `webgpu-f16` for f16 storage. */
  readonly name: string;
  /** Whether float32 tensors are stored as f16. */
  readonly f16: boolean;
  readonly transposedMatmul = true;
  readonly device: GPUDevice;
  readonly description: string;
  /** How float32 tensors are stored. */
  readonly #float: 'f32' | 'f16';
  readonly #pool: BufferPool;
  readonly #staging: BufferPool;
  readonly #queue: CommandQueue;
  readonly #pipelines: PipelineCache;
  readonly #maxGroups: number;
  readonly #maxBinding: number;
  /** The fused LSTM/GRU sequence kernels (fused/), on this backend's kernels, pipelines and queue. */
  readonly fused: FusedKernels;
  /** The first GPU error not yet thrown. */
  #pending: CarouselError | null = null;
  #lost: GPUDeviceLostInfo | null = null;

  /** `device` must have the 'shader-f16' feature when `options.f16` is set ({@link acquireDevice} opens one). */
  constructor({ device, limits, description }: GpuDevice, { f16 = false }: WebGPUOptions = {}) {
    this.f16 = f16;
    this.name = f16 ? 'webgpu-f16' : 'webgpu';
    this.#float = f16 ? 'f16' : 'f32';
    this.fused = webgpuFused({
      backend: this,
      storage: this.#float,
      work: (size) => this.#alloc('float32', size, 'f32'),
      kernel: (key, source) => this.#kernel(key, source),
      dispatch: (kernel, buffers, params, groups) => this.#queue.dispatch(kernel, buffers, params, groups),
    });
    this.device = device;
    this.description = description;
    this.#maxGroups = limits.maxComputeWorkgroupsPerDimension;
    this.#maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    this.#pool = new BufferPool(device, STORAGE | COPY_SRC | COPY_DST, 'carousel tensor', 512 * 2 ** 20);
    this.#staging = new BufferPool(device, MAP_READ | COPY_DST, 'carousel readback', 64 * 2 ** 20);
    this.#queue = new CommandQueue(device, limits.minStorageBufferOffsetAlignment, (error, kind, kernels) =>
      this.#fail(error, kind, kernels),
    );
    this.#pipelines = new PipelineCache(device);
    // errors outside the queue's windows (none are expected): attributed to no kernel
    device.addEventListener('uncapturederror', (e) => {
      const error = (e as GPUUncapturedErrorEvent).error;
      this.#fail(error, error.constructor.name === 'GPUOutOfMemoryError' ? 'out-of-memory' : 'validation', []);
    });
    device.lost.then((info) => {
      this.#lost = info;
    });
  }

  /**
   * Keeps the first GPU error for the next check (later ones are mostly its echoes). The kernel at
   * fault: the one the message names (pipelines are labelled with their key), else the window's
   * only kernel; otherwise the message lists them.
   */
  #fail(error: GPUError, kind: 'validation' | 'out-of-memory', kernels: readonly string[]): void {
    if (this.#pending || this.#lost) return;
    const key = kernels.find((k) => error.message.includes(`"${k}"`)) ?? (kernels.length === 1 ? kernels[0] : undefined);
    const where = key ? `kernel '${key}'` : kernels.length ? `one of the kernels ${kernels.join(', ')}` : 'a WebGPU call';
    const message = `${kind === 'out-of-memory' ? 'out of GPU memory' : 'the GPU rejected'} ${where}: ${error.message.trim()}`;
    const op = key ? kernelOp(key) : 'webgpu';
    this.#pending = kind === 'out-of-memory' ? new WebGPUOutOfMemoryError(message, op) : new WebGPUValidationError(message, op);
  }

  #lostError(op: string): WebGPUDeviceLostError {
    const info = this.#lost!;
    return new WebGPUDeviceLostError(
      `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); its tensors are gone. ` +
        "Start again with fresh tensors after reloading the page or restarting the process, or use setBackend('cpu')",
      op,
    );
  }

  /** Throws after a device loss (naming `op`), else the pending GPU error (naming its own op). */
  #check(op: string): void {
    if (this.#lost) throw this.#lostError(op);
    if (this.#pending === null) return;
    const error = this.#pending;
    this.#pending = null;
    throw error;
  }

  stats(): WebGPUStats {
    return {
      buffers: this.#pool.stats(),
      staging: this.#staging.stats(),
      pipelines: this.#pipelines.size,
      dispatches: this.#queue.dispatches,
      submits: this.#queue.submits,
    };
  }

  /** Submits pending work and waits until the GPU has finished it. */
  async sync(): Promise<void> {
    this.#check('sync');
    this.#queue.flush();
    await this.device.queue.onSubmittedWorkDone().catch(() => {}); // a loss is reported just below
    await this.#queue.reported();
    this.#check('sync');
  }

  /** Releases the pooled buffers and the device; the backend is unusable afterwards. */
  destroy(): void {
    if (this.#lost) return;
    this.#pool.trim();
    this.#staging.trim();
    this.#queue.destroy();
    this.device.destroy();
  }

  // ---- buffers --------------------------------------------------------------------------------

  alloc(dtype: DType, size: number): Buf {
    if (!this.#lost) this.#check('alloc'); // (see #alloc)
    if (dtype === 'float64') {
      throw new BackendError(
        "float64 is not supported on WebGPU (WGSL has no f64): use float32, or the 'cpu' backend for float64 work such as gradcheck",
        'alloc',
      );
    }
    return this.#alloc(dtype, size, storageOf(dtype, this.#float));
  }

  /** A buffer of `size` elements stored as `storage` (a tensor's, or an f32 work buffer on an f16 backend). */
  #alloc(dtype: DType, size: number, storage: Storage): GpuBuf {
    // a pending error is thrown here, before the op allocates its output (nothing leaks); after a
    // loss, allocation goes on (WebGPU makes calls on a lost device no-ops) and the op's kernel
    // throws, naming the op
    if (!this.#lost) this.#check('alloc');
    // whole 4-byte words: WebGPU copies and bindings are (an odd count of halves gets a pad half)
    const bytes = Math.ceil((Math.max(1, size) * storageBytes(storage)) / 4) * 4;
    if (bytes > this.#maxBinding) {
      throw new BackendError(
        `${size} elements (${bytes} bytes) exceed this device's largest storage buffer (${this.#maxBinding} bytes)`,
        'alloc',
      );
    }
    this.#queue.begin(); // creating a buffer may run out of memory
    const { buffer, capacity } = this.#pool.acquire(bytes);
    return new GpuBuf(buffer, capacity, dtype, size, storage);
  }

  free(buf: Buf): void {
    const b = buf as GpuBuf;
    if (b.freed) return;
    b.freed = true;
    this.#pool.release(b.buffer, b.capacity);
  }

  bytes(buf: Buf): number {
    return (buf as GpuBuf).capacity;
  }

  write(buf: Buf, data: TypedArray): void {
    this.#check('write');
    const b = buf as GpuBuf;
    const n = Math.min(data.length, b.size);
    if (n === 0) return;
    let words: Float32Array | Int32Array | Uint32Array | Uint16Array;
    if (b.storage === 'f16') words = encodeHalves(data, n);
    else if (b.dtype === 'float32') words = data instanceof Float32Array ? data : Float32Array.from(data);
    else if (b.dtype === 'int32') words = data instanceof Int32Array ? data : Int32Array.from(data);
    else words = Uint32Array.from(data, (v) => (v ? 1 : 0));
    this.#queue.write(b.buffer, words.subarray(0, b.storage === 'f16' ? words.length : n));
  }

  async read(buf: Buf, dtype: DType, size: number): Promise<TypedArray> {
    const b = buf as GpuBuf;
    this.#check('read');
    if (size === 0) return allocArray(dtype, 0);
    const bytes = Math.ceil((size * storageBytes(b.storage)) / 4) * 4;
    // Recorded and submitted now, before any await: the buffer may be freed and reused right after.
    this.#queue.begin(); // creating a staging buffer may run out of memory
    const { buffer: staging, capacity } = this.#staging.acquire(bytes);
    this.#queue.copy(b.buffer, 0, staging, 0, bytes);
    this.#queue.flush();
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */, 0, bytes);
    } catch (e) {
      this.#staging.discard(staging, capacity);
      // a loss rejects the map about when it resolves device.lost: give it a moment
      await Promise.race([this.device.lost, new Promise((resolve) => setTimeout(resolve, 10))]);
      this.#check('read');
      throw new BackendError(`reading a WebGPU buffer failed: ${(e as Error).message}`, 'read');
    }
    const raw = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.#staging.release(staging, capacity);
    await this.#queue.reported(); // the errors of the work this read waited for
    this.#check('read');
    if (b.storage === 'f16') return decodeHalves(new Uint16Array(raw), size);
    if (dtype === 'float32') return new Float32Array(raw);
    if (dtype === 'int32') return new Int32Array(raw);
    return Uint8Array.from(new Uint32Array(raw), (v) => (v ? 1 : 0));
  }

  readSync(): TypedArray {
    throw new BackendError(
      'WebGPU tensors cannot be read synchronously (dataSync, arraySync, item); use `await t.data()` or `await t.array()`',
      'dataSync',
    );
  }

  // ---- kernels --------------------------------------------------------------------------------

  /** The pipeline for `key`, inside an error-scope window; throws if the device is lost. */
  #kernel(key: string, source: () => string): Kernel {
    if (this.#lost) throw this.#lostError(kernelOp(key));
    this.#queue.begin(key);
    return this.#pipelines.get(key, source);
  }

  #run1d(kernel: Kernel, buffers: readonly Buf[], params: number[], n: number): void {
    if (n <= 0) return;
    this.#queue.dispatch(
      kernel,
      buffers.map((b) => (b as GpuBuf).buffer),
      params,
      groups1d(n, this.#maxGroups),
    );
  }

  fill(out: Buf, dtype: DType, size: number, value: number): void {
    // the value's bits as the CPU stores them (Int32Array/Uint8Array conversions included)
    const s = st(out);
    const bits =
      s === 'f16'
        ? toHalfBits(value)
        : dtype === 'float32'
          ? new Int32Array(new Float32Array([value]).buffer)[0]!
          : dtype === 'int32'
            ? new Int32Array([value])[0]!
            : new Uint8Array([value])[0]!;
    this.#run1d(
      this.#kernel(`fill${storageKey(s)}`, () => fillSource(s)),
      [out],
      [size, bits],
      size,
    );
  }

  unary(op: UnaryOp, x: Buf, out: Buf, dtype: DType, size: number): void {
    const [xs, ys] = [st(x), st(out)];
    this.#run1d(
      this.#kernel(`unary:${op}:${dtype}${storageKey(xs, ys)}`, () => unarySource(op, dtype, xs, ys)),
      [x, out],
      [size],
      size,
    );
  }

  binary(op: BinaryOp, a: View, b: View, out: Buf, dtype: DType, shape: Shape): void {
    const plan = planStrided(shape, [a.strides, b.strides, contiguous(shape)], [a.offset, b.offset], 2);
    const s = [st(a.buf), st(b.buf), st(out)] as const;
    const kernel = this.#kernel(`binary:${op}:${dtype}:${plan.cls}${storageKey(...s)}`, () => binarySource(op, dtype, plan.cls, ...s));
    this.#run1d(kernel, [a.buf, b.buf, out], plan.params, plan.n);
  }

  where(cond: View, a: View, b: View, out: Buf, _dtype: DType, shape: Shape): void {
    const plan = planStrided(shape, [cond.strides, a.strides, b.strides, contiguous(shape)], [cond.offset, a.offset, b.offset], 3);
    const s = st(out);
    this.#run1d(
      this.#kernel(`where:${plan.cls}${storageKey(s)}`, () => whereSource(plan.cls, s)),
      [cond.buf, a.buf, b.buf, out],
      plan.params,
      plan.n,
    );
  }

  cast(x: Buf, from: DType, out: Buf, to: DType, size: number): void {
    const [xs, ys] = [st(x), st(out)];
    this.#run1d(
      this.#kernel(`cast:${from}:${to}${storageKey(xs, ys)}`, () => castSource(from, to, xs, ys)),
      [x, out],
      [size],
      size,
    );
  }

  copy(src: View, dst: View, dtype: DType): void {
    if (src.buf === dst.buf) {
      // a read-only and a writable binding of one buffer may not alias: go through a temporary
      const n = dst.shape.reduce((p, d) => p * d, 1);
      const tmp = this.#alloc(dtype, n, st(dst.buf));
      this.copy(src, { buf: tmp, shape: dst.shape, strides: contiguous(dst.shape), offset: 0 }, dtype);
      this.copy({ buf: tmp, shape: dst.shape, strides: contiguous(dst.shape), offset: 0 }, dst, dtype);
      this.free(tmp);
      return;
    }
    const plan = planStrided(dst.shape, [src.strides, dst.strides], [src.offset, dst.offset], 2);
    const [ss, ds] = [st(src.buf), st(dst.buf)];
    this.#run1d(
      this.#kernel(`copy:${plan.cls}${storageKey(ss, ds)}`, () => copySource(plan.cls, ss, ds)),
      [src.buf, dst.buf],
      plan.params,
      plan.n,
    );
  }

  reduce(op: ReduceOp, x: Buf, out: Buf, dtype: DType, outer: number, inner: number): void {
    if (outer === 0) return;
    const [xs, os] = [st(x), st(out)];
    if (inner < ROW_REDUCE_MIN) {
      this.#run1d(
        this.#kernel(`reduce:${op}:${dtype}:thread${storageKey(xs, os)}`, () => reduceSource(op, dtype, 'thread', xs, os)),
        [x, out],
        [outer, inner],
        outer,
      );
      return;
    }
    // Few long rows: a first pass reduces chunks in parallel, a second (recursive) pass the partials
    // (kept in the dtype's 32-bit type: f16 partials would round each chunk's sum)
    const chunks = outer < 64 && inner > REDUCE_CHUNK ? Math.ceil(inner / REDUCE_CHUNK) : 1;
    const target = chunks === 1 ? (out as GpuBuf) : this.#alloc(dtype, outer * chunks, storageOf(dtype, 'f32'));
    const ts = target.storage;
    const kernel = this.#kernel(`reduce:${op}:${dtype}:row${storageKey(xs, ts)}`, () => reduceSource(op, dtype, 'row', xs, ts));
    const params = [outer * chunks, inner, chunks === 1 ? inner : REDUCE_CHUNK, chunks];
    this.#queue.dispatch(kernel, [(x as GpuBuf).buffer, target.buffer], params, groups1d(outer * chunks, this.#maxGroups, 1));
    if (chunks === 1) return;
    this.reduce(op, target, out, dtype, outer, chunks);
    this.free(target);
  }

  argReduce(op: ArgReduceOp, x: Buf, out: Buf, dtype: DType, { outer, axisSize, inner }: AxisDims): void {
    const n = outer * inner;
    if (n === 0) return;
    const cls = inner === 1 && axisSize >= ROW_REDUCE_MIN ? 'row' : 'thread';
    const xs = st(x);
    const kernel = this.#kernel(`argReduce:${op}:${dtype}:${cls}${storageKey(xs)}`, () => argReduceSource(op, dtype, cls, xs));
    const params = [n, axisSize, inner];
    if (cls === 'thread') this.#run1d(kernel, [x, out], params, n);
    else this.#queue.dispatch(kernel, [(x as GpuBuf).buffer, (out as GpuBuf).buffer], params, groups1d(n, this.#maxGroups, 1));
  }

  cumsum(x: Buf, out: Buf, dtype: DType, { outer, axisSize, inner }: AxisDims, reverse: boolean): void {
    const n = outer * inner;
    const s = st(out);
    this.#run1d(
      this.#kernel(`cumsum:${dtype}${storageKey(s)}`, () => cumsumSource(dtype, s)),
      [x, out],
      [n, axisSize, inner, reverse ? 1 : 0],
      axisSize === 0 ? 0 : n,
    );
  }

  matmul(
    a: Buf,
    b: Buf,
    out: Buf,
    dtype: DType,
    { batch, m, k, n, aBatchStride, bBatchStride, transA = false, transB = false }: MatmulDims,
  ): void {
    if (dtype !== 'float32') throw new BackendError(`matmul on WebGPU is float32 only, got ${dtype}`, 'matmul');
    if (batch === 0 || m === 0 || n === 0) return;
    if (k === 0) {
      this.fill(out, dtype, batch * m * n, 0);
      return;
    }
    // one pipeline per layout: the index arithmetic is compiled in, not branched on per element
    const flags = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
    const s = [st(a), st(b), st(out)] as const;
    const sk = storageKey(...s);
    if (m < TILE || n < TILE) {
      const size = batch * m * n;
      const kernel = this.#kernel(`matmul:float32:direct:${flags}${sk}`, () => matmulDirectSource(transA, transB, s));
      this.#run1d(kernel, [a, b, out], [size, m, k, n, aBatchStride, bBatchStride], size);
      return;
    }
    const cols = Math.ceil(n / TILE);
    if (cols > this.#maxGroups) throw new BackendError(`matmul with n = ${n} columns exceeds this device's dispatch limit`, 'matmul');
    const groups: [number, number, number] = [cols, Math.min(Math.ceil(m / TILE), this.#maxGroups), Math.min(batch, this.#maxGroups)];
    this.#queue.dispatch(
      this.#kernel(`matmul:float32:${flags}${sk}`, () => matmulSource(transA, transB, s)),
      [(a as GpuBuf).buffer, (b as GpuBuf).buffer, (out as GpuBuf).buffer],
      [batch, m, k, n, aBatchStride, bBatchStride],
      groups,
    );
  }

  gather(x: Buf, index: Buf, out: Buf, _dtype: DType, { outer, axisSize, inner }: AxisDims, indexSize: number): void {
    const n = outer * indexSize * inner;
    const s = st(out);
    this.#run1d(
      this.#kernel(`gather${storageKey(s)}`, () => gatherSource(s)),
      [x, index, out],
      [n, axisSize, indexSize, inner],
      n,
    );
  }

  scatterAdd(out: Buf, index: Buf, src: Buf, dtype: DType, { outer, axisSize, inner }: AxisDims, indexSize: number): void {
    const n = outer * axisSize * inner;
    if (indexSize === 0) return;
    const s = st(out);
    this.#run1d(
      this.#kernel(`scatterAdd:${dtype}${storageKey(s)}`, () => scatterAddSource(dtype, s)),
      [out, index, src],
      [n, axisSize, indexSize, inner],
      n,
    );
  }

  random(dist: RandomDist, key: number, counter: number, out: Buf, dtype: DType, size: number): void {
    if (dtype !== 'float32') throw new BackendError(`random values on WebGPU are float32 only, got ${dtype}`, 'random');
    const s = st(out);
    this.#run1d(
      this.#kernel(`random:${dist}${storageKey(s)}`, () => randomSource(dist, s)),
      [out],
      [size, key | 0, counter | 0],
      size,
    );
  }
}

/**
 * Acquires a device and builds the backend (what `setBackend('webgpu', options)` calls, once per
 * precision). `gpu` replaces `navigator.gpu` or Dawn's (tests fake adapters with it).
 */
export async function createWebGPUBackend(options: WebGPUOptions = {}, gpu?: GPU): Promise<WebGPUBackend> {
  return new WebGPUBackend(await acquireDevice(options, gpu), options);
}
