import type { DType, TypedArray } from '../dtype.js';
import { BackendError, checkOptions, describeValue, ValueError } from '../errors.js';
import type { BinaryOp, UnaryOp } from '../ops/elementwise.js';
import type { Shape } from '../shape.js';
import { cpuBackend } from './cpu/index.js';

/** An opaque device buffer: a typed array on the CPU, a GPUBuffer on WebGPU. */
export type Buf = unknown;

/** A strided window onto a buffer; how kernels see broadcasts, transposes and slices without copies. */
export interface View {
  buf: Buf;
  shape: Shape;
  strides: readonly number[];
  offset: number;
}

/** The reductions a backend implements over contiguous rows. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
/** Index reductions along one axis. */
export type ArgReduceOp = 'argmax' | 'argmin';
/** Distributions of the counter-based random kernel. */
export type RandomDist = 'uniform' | 'normal';

/**
 * Sizes of a batched matmul on contiguous row-major operands; a batch stride of 0 broadcasts.
 * `out[b] = op(a[b])·op(b[b])` with op(a) m×k and op(b) k×n; `transA` means each a is stored k×m
 * and read as its transpose, `transB` each b stored n×k. The flags are only set for a backend that
 * declares {@link Backend.transposedMatmul}.
 */
export interface MatmulDims {
  batch: number;
  m: number;
  k: number;
  n: number;
  aBatchStride: number;
  bBatchStride: number;
  transA?: boolean;
  transB?: boolean;
}

/** Sizes of an axis-wise kernel, the tensor seen as `[outer, axisSize, inner]`. */
export interface AxisDims {
  outer: number;
  axisSize: number;
  inner: number;
}

/** Sizes of a fused recurrent sequence: `T` steps of a `[B, H]` state. */
export interface SequenceDims {
  T: number;
  B: number;
  H: number;
}

/**
 * How a fused LSTM cell is wired (one of the zoo's variants without FGR, layer norm, projection,
 * recurrent dropout or zoneout). Gate fields give the column block, in units of H, of that gate
 * in the `G·H` pre-activation (PyTorch order i, f, g, o, absent gates left out), or −1 when the
 * variant has no such gate; `peep*` the row of `weight_peephole`, or −1.
 *
 * ```
 * i = σ(pre_i + p_i ⊙ c)   f = σ(pre_f + p_f ⊙ c) | 1 − i (coupled) | 1   g = tanh(pre_g) | pre_g
 * c' = f ⊙ c + i ⊙ g       o = σ(pre_o + p_o ⊙ c') | 1                      h' = o ⊙ (tanh(c') | c')
 * ```
 */
export interface LSTMCellSpec {
  i: number;
  f: number;
  g: number;
  o: number;
  peepI: number;
  peepF: number;
  peepO: number;
  /** f = 1 − i (CIFG); `f` is then −1. */
  coupled: boolean;
  /** g = pre_g (NIAF) instead of tanh. */
  identityG: boolean;
  /** h = o ⊙ c' (NOAF) instead of o ⊙ tanh(c'). */
  identityH: boolean;
}

/**
 * What a fused forward kernel keeps for its backward (activations of every step); opaque to the
 * op layer. Null when the forward was told no backward will follow (`keep` false).
 */
export type FusedSaved = unknown;

/** Gradient buffers a fused LSTM backward fills (allocated by the op layer; null = not wanted). */
export interface LSTMGradBufs {
  /** `[T, B, G·H]`, the gradient of the input projection. */
  xw: Buf;
  /** `[G·H, H]`. */
  whh: Buf;
  /** `[G·H]`. */
  bhh: Buf | null;
  /** `[B, H]`. */
  h0: Buf;
  /** `[B, H]`. */
  c0: Buf;
  /** `[P, H]`. */
  peep: Buf | null;
}

/** Gradient buffers a fused GRU backward fills. */
export interface GRUGradBufs {
  xw: Buf;
  whh: Buf;
  bhh: Buf | null;
  h0: Buf;
}

/**
 * Optional whole-sequence recurrent kernels. A backend that offers one overrides the composite
 * cell (a loop of matmuls and elementwise ops) with a kernel of the same meaning: the forward
 * fills `out` and returns what its backward needs; the backward maps the output gradient to the
 * gradients of every input (BPTT over the saved gates). `xw` is the input projection of every
 * step, `[T, B, G·H]`, b_ih included; `out` is `[T + 1, B, H]` for the LSTM (h of every step,
 * then the final c) and `[T, B, H]` for the GRU (reset after the matmul, as PyTorch).
 *
 * `keep` is false when no gradient will be asked of the call (grad mode off, or no input
 * requires grad: inference): the forward then need not keep its activations — on the CPU they
 * are most of its memory traffic — and returns null.
 */
export interface FusedKernels {
  /** Runs a whole LSTM sequence from (h0, c0), filling `out`; returns the activations its backward needs. */
  lstmForward(
    xw: Buf,
    whh: Buf,
    bhh: Buf | null,
    h0: Buf,
    c0: Buf,
    peep: Buf | null,
    out: Buf,
    dtype: 'float32' | 'float64',
    dims: SequenceDims,
    cell: LSTMCellSpec,
    keep: boolean,
  ): FusedSaved;
  /** `gOut` is the gradient of `out`; never mutates `saved`, so it may run more than once. */
  lstmBackward(saved: FusedSaved, gOut: Buf, grads: LSTMGradBufs): void;
  /** Runs a whole GRU sequence from h0, filling `out`; returns the activations its backward needs. */
  gruForward(
    xw: Buf,
    whh: Buf,
    bhh: Buf | null,
    h0: Buf,
    out: Buf,
    dtype: 'float32' | 'float64',
    dims: SequenceDims,
    keep: boolean,
  ): FusedSaved;
  /** `gOut` is the gradient of `out`; never mutates `saved`, so it may run more than once. */
  gruBackward(saved: FusedSaved, gOut: Buf, grads: GRUGradBufs): void;
}

/**
 * The narrow interface every backend implements. Kernels know nothing of gradients or dtypes'
 * semantics beyond storage: the op layer validates inputs and allocates outputs; a kernel only
 * fills `out`. All sizes are element counts.
 */
export interface Backend {
  readonly name: string;
  /** A new buffer for `size` elements of `dtype` (contents undefined). */
  alloc(dtype: DType, size: number): Buf;
  /** Returns a buffer (to the pool, or to the allocator). */
  free(buf: Buf): void;
  /** Copies host data into a buffer. */
  write(buf: Buf, data: TypedArray): void;
  /** Copies a buffer back to the host (a fresh typed array). */
  read(buf: Buf, dtype: DType, size: number): Promise<TypedArray>;
  /** Synchronous read; backends that cannot (WebGPU) throw a BackendError. */
  readSync(buf: Buf, dtype: DType, size: number): TypedArray;
  /** Bytes a buffer holds (for `memory()`). */
  bytes(buf: Buf): number;

  /** Sets the first `size` elements to `value`. */
  fill(out: Buf, dtype: DType, size: number, value: number): void;
  /** Applies an elementwise unary primitive over a contiguous buffer. */
  unary(op: UnaryOp, x: Buf, out: Buf, dtype: DType, size: number): void;
  /** `out = a op b` over `shape`; `a`/`b` are broadcast views, `dtype` is the inputs' dtype. */
  binary(op: BinaryOp, a: View, b: View, out: Buf, dtype: DType, shape: Shape): void;
  /** `out = cond ? a : b` over `shape`, all three broadcast views. */
  where(cond: View, a: View, b: View, out: Buf, dtype: DType, shape: Shape): void;
  /** Converts `size` elements between dtypes (truncation toward zero into int32). */
  cast(x: Buf, from: DType, out: Buf, to: DType, size: number): void;
  /** Copies a strided view into another (materializes transposes, slices, broadcasts; writes slices). */
  copy(src: View, dst: View, dtype: DType): void;
  /** Reduces each contiguous row of length `inner`: `[outer, inner] → [outer]`. */
  reduce(op: ReduceOp, x: Buf, out: Buf, dtype: DType, outer: number, inner: number): void;
  /** Index of the max/min along the middle axis: `[outer, axisSize, inner] → [outer, inner]` (int32). */
  argReduce(op: ArgReduceOp, x: Buf, out: Buf, dtype: DType, dims: AxisDims): void;
  /** Inclusive prefix sum along the middle axis, optionally from the end. */
  cumsum(x: Buf, out: Buf, dtype: DType, dims: AxisDims, reverse: boolean): void;
  /** Batched row-major GEMM: `out[b] = op(a[b]) · op(b[b])` (see {@link MatmulDims}). */
  matmul(a: Buf, b: Buf, out: Buf, dtype: DType, dims: MatmulDims): void;
  /**
   * True when `matmul` reads operands stored transposed (`dims.transA`/`transB`); otherwise the op
   * layer copies a transposed operand to row-major first, so older backends keep working.
   */
  readonly transposedMatmul?: boolean;
  /**
   * `out[o, j, i] = x[o, index[o, j, i], i]` where x is `[outer, axisSize, inner]` and index/out are
   * `[outer, indexSize, inner]` (torch.gather along the middle axis).
   */
  gather(x: Buf, index: Buf, out: Buf, dtype: DType, dims: AxisDims, indexSize: number): void;
  /** `out[o, index[o, j, i], i] += src[o, j, i]` (out already holds the base values). */
  scatterAdd(out: Buf, index: Buf, src: Buf, dtype: DType, dims: AxisDims, indexSize: number): void;
  /** Fills `out` from the counter-based stream `key` starting at `counter`. */
  random(dist: RandomDist, key: number, counter: number, out: Buf, dtype: DType, size: number): void;
  /** Optional fused kernels overriding composites of the same meaning (see {@link FusedKernels}). */
  fused?: Partial<FusedKernels>;
}

/**
 * Options of the `webgpu` backend: `setBackend('webgpu', options)`.
 *
 * **`f16`** stores float32 tensors as IEEE 754 half precision on the GPU: half the memory and
 * half the memory traffic of every kernel. Kernels still compute in f32: each value is converted
 * on load, and the result rounded (to nearest, ties to even) when stored. The dtype stays
 * `'float32'` everywhere, but every value a tensor holds is a half: about 3 significant digits
 * (relative spacing 2⁻¹⁰ ≈ 1e-3), magnitudes up to 65504 (beyond, ±Infinity), subnormals down to
 * 6e-8 (smaller values become 0). Each op rounds its output, so chains of ops and training
 * accumulate those errors. It is storage precision, like TF.js's `WEBGL_FORCE_F16_TEXTURES` and
 * like PyTorch's `.half()` tensors (whose CUDA kernels mostly compute in f32 too); PyTorch's
 * automatic mixed precision also keeps f32 master weights and scales the loss, which this mode
 * does not. int32 and bool tensors are unchanged.
 *
 * It needs the adapter feature `'shader-f16'` (requested only for this mode); without it
 * `setBackend` throws a {@link BackendError}. The f16 backend is a separate instance, named
 * `'webgpu-f16'` (what {@link getBackend} and `t.backend` then say), on its own device: tensors
 * of the two modes never mix, and an op given one of each throws a {@link BackendError}.
 *
 * @example
 * await setBackend('webgpu', { f16: true }); // throws a BackendError without 'shader-f16'
 * const w = randn([1024, 1024]); // float32 tensor, 2 MiB on the GPU instead of 4
 * console.log(getBackend(), w.dtype); // 'webgpu-f16' 'float32'
 */
export interface WebGPUOptions {
  /** Store float32 tensors as f16 (default false). */
  f16?: boolean;
}

/**
 * The options `setBackend(name, options)` takes for a backend name: {@link WebGPUOptions} for
 * `'webgpu'`, none for the others.
 *
 * @example
 * const options: BackendOptions<'webgpu'> = { f16: true };
 */
export type BackendOptions<N extends string = string> = N extends 'webgpu' ? WebGPUOptions : Record<string, never>;

interface Entry {
  factory: (options: WebGPUOptions) => Promise<Backend> | Backend;
  /** The option keys the backend takes, and their type. */
  options: Readonly<Record<string, 'boolean'>>;
}

const registry = new Map<string, Entry>([
  ['cpu', { factory: () => cpuBackend, options: {} }],
  // loaded on first use: the device code (and, in Node, the optional 'webgpu' package) stays out of CPU-only runs
  ['webgpu', { factory: async (o) => (await import('./webgpu/index.js')).createWebGPUBackend(o), options: { f16: 'boolean' } }],
]);
/**
 * Backends made or being made, by name and options: `webgpu` and `webgpu:f16` are two instances (two
 * devices). Promises, so that concurrent first calls share one instance; a failed one is forgotten.
 */
const instances = new Map<string, Promise<Backend>>();
let current: Backend | undefined;

/**
 * Makes a backend available to `setBackend(name)`; `factory` may be async and is called once.
 *
 * @throws {@link ValueError} when `name` is not a non-empty string or `factory` not a function.
 * @example
 * async function useBackend(myBackend: Backend): Promise<void> {
 *   registerBackend('mine', () => myBackend); // your Backend implementation
 *   await setBackend('mine');
 * }
 */
export function registerBackend(name: string, factory: () => Promise<Backend> | Backend): void {
  if (typeof name !== 'string' || name === '')
    throw new ValueError(`name must be a non-empty string, got ${describeValue(name)}`, 'registerBackend');
  if (typeof factory !== 'function')
    throw new ValueError(
      `factory must be a function returning a Backend (or a promise of one), got ${describeValue(factory)}`,
      'registerBackend',
    );
  registry.set(name, { factory, options: {} });
}

/**
 * Switches the active backend. Async because WebGPU needs an adapter; fails with a
 * {@link BackendError} naming what is missing. `options` configure a backend (see
 * {@link WebGPUOptions}); each distinct configuration is its own backend instance, made once.
 *
 * @throws {@link BackendError} for an unknown or unavailable backend (no WebGPU adapter, or no
 *   'shader-f16' for `{ f16: true }`).
 * @throws {@link ValueError} for an option the backend does not take, or of the wrong type.
 * @example
 * await setBackend('cpu');
 * @example
 * await setBackend('webgpu'); // float32 tensors stored as f32
 * await setBackend('webgpu', { f16: true }); // … or as f16 (another instance: 'webgpu-f16')
 */
export async function setBackend<N extends string>(name: N, options?: BackendOptions<N>): Promise<void> {
  current = await loadBackend(name, options as WebGPUOptions | undefined);
}

async function loadBackend(name: string, options: WebGPUOptions = {}): Promise<Backend> {
  const entry = registry.get(name);
  if (!entry) {
    throw new BackendError(`unknown backend '${name}'; registered: ${[...registry.keys()].join(', ')}`, 'setBackend');
  }
  const key = name + instanceSuffix(name, entry, options);
  let backend = instances.get(key);
  if (!backend) {
    const made = (async () => entry.factory(options))();
    instances.set(key, made);
    made.catch(() => instances.get(key) === made && instances.delete(key));
    backend = made;
  }
  return backend;
}

/** Checks `options` against what the backend takes; the instance key's suffix (`:f16`), '' for defaults. */
function instanceSuffix(name: string, entry: Entry, options: object): string {
  checkOptions(options, 'setBackend');
  const known = Object.keys(entry.options);
  let suffix = '';
  for (const [k, v] of Object.entries(options)) {
    if (!Object.hasOwn(entry.options, k)) {
      const takes = known.length ? `it takes ${known.map((o) => `'${o}'`).join(', ')}` : 'it takes no options';
      throw new ValueError(`unknown option '${k}' for backend '${name}'; ${takes}`, 'setBackend');
    }
    if (v === undefined) continue;
    if (typeof v !== entry.options[k]) throw new ValueError(`option '${k}' must be a ${entry.options[k]}, got ${typeof v}`, 'setBackend');
    if (v) suffix += `:${k}`;
  }
  return suffix;
}

/**
 * The name of the active backend (`'cpu'` unless changed with `setBackend`).
 *
 * @example
 * getBackend(); // 'cpu'
 */
export function getBackend(): string {
  return activeBackend().name;
}

/** @internal The active backend object; the CPU backend is created on first use. */
export function activeBackend(): Backend {
  current ??= cpuBackend;
  return current;
}
