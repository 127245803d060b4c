/// <reference types="@webgpu/types" />
import { BackendError, WebGPUValidationError } from '../../errors.js';
import { type Kernel, PARAMS_BYTES } from './pipelines.js';

/** Receives a GPU error caught in a window, with the kernel keys that ran in that window. */
export type ErrorSink = (error: GPUError, kind: 'validation' | 'out-of-memory', kernels: readonly string[]) => void;

/** Dispatches recorded before a submit; bounds the latency of work nobody reads yet. */
const MAX_BATCH = 128;
/** Bytes of the per-batch parameter arena (each dispatch takes an aligned slot). */
const ARENA_BYTES = 64 * 1024;
/** Bind groups kept for reuse (cleared when full). */
const MAX_BIND_GROUPS = 4096;

/**
 * Records dispatches into one compute pass and submits them in batches. Each dispatch's small
 * parameter block (sizes, strides, offsets as i32) goes into an aligned slot of a shared arena
 * buffer, bound at a dynamic offset, and the arena is uploaded once per batch, just before the
 * submit. Bind groups depend only on the kernel's signature and the tensor buffers, so they are
 * cached: creating one costs more than the rest of a dispatch (~35 µs in Dawn for Node). A cached
 * group may outlive a destroyed pool buffer; it is never used again (buffer ids are not reused).
 *
 * The batch is submitted when it is full, when the arena is full, before any `queue.writeBuffer`
 * of tensor data (so a recycled buffer is never overwritten under a pending reader), before reads,
 * and at the end of the current task (a microtask).
 *
 * GPU errors are asynchronous and, in Dawn's messages, rarely name the dispatch at fault. So every
 * device call runs inside a window of error scopes (validation, out-of-memory) that {@link begin}
 * opens and `flush` closes; what a window catches goes to the error sink with the kernels that ran
 * in it (usually one, or the message names it: pipelines are labelled with their key).
 */
export class CommandQueue {
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** The pass's current pipeline (setting it again costs a call into the driver). */
  #pipeline: GPUComputePipeline | null = null;
  /** The one dynamic offset of a dispatch (the parameter slot), reused. */
  readonly #offsets = new Uint32Array(1);
  #count = 0;
  #arenaUsed = 0;
  readonly #arena = new Int32Array(ARENA_BYTES / 4);
  readonly #arenaBuffer: GPUBuffer;
  readonly #groups = new Map<string, GPUBindGroup>();
  readonly #ids = new WeakMap<GPUBuffer, number>();
  #nextId = 0;
  #flushScheduled = false;
  /** Whether an error-scope window is open, and the kernels recorded in it. */
  #scoped = false;
  readonly #kernels = new Set<string>();
  /** Settles when every window closed so far has reported. */
  #reported: Promise<unknown> = Promise.resolve();
  /** Dispatches and submits so far (for tests and profiling). */
  dispatches = 0;
  submits = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly align: number,
    private readonly onError: ErrorSink,
  ) {
    this.#arenaBuffer = device.createBuffer({
      size: ARENA_BYTES + PARAMS_BYTES, // the last slot's window may reach past the arena
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      label: 'carousel params arena',
    });
  }

  /**
   * Opens an error-scope window unless one is open, and notes `kernel` (a kernel key) as running
   * in it. Call before any device call: creating pipelines and buffers can fail too (buffer
   * allocation, uploads and read-back copies note no kernel).
   */
  begin(kernel?: string): void {
    if (!this.#scoped) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.#scoped = true;
      this.#scheduleFlush();
    }
    if (kernel) this.#kernels.add(kernel);
  }

  /**
   * Records `kernel` over `groups` workgroups with `buffers` at bindings 0…n−1 and `params`
   * (an `array<i32>`) at binding n.
   */
  dispatch(kernel: Kernel, buffers: readonly GPUBuffer[], params: ArrayLike<number>, groups: readonly [number, number, number]): void {
    if (kernel.error) throw new WebGPUValidationError(kernel.error, kernel.op);
    const bytes = params.length * 4;
    if (bytes > PARAMS_BYTES)
      throw new BackendError(`${params.length} kernel parameters exceed the ${PARAMS_BYTES / 4} supported (too many axes?)`, kernel.op);
    const slot = Math.max(1, Math.ceil(bytes / this.align)) * this.align;
    if (this.#count >= MAX_BATCH || this.#arenaUsed + slot > ARENA_BYTES) this.flush();
    this.begin(kernel.key); // after the flush, which closes the window
    const offset = this.#arenaUsed;
    this.#arena.set(params, offset / 4);
    this.#arenaUsed += slot;
    const pass = this.#beginPass();
    if (kernel.pipeline !== this.#pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.#pipeline = kernel.pipeline;
    }
    this.#offsets[0] = offset;
    pass.setBindGroup(0, this.#bindGroup(kernel, buffers), this.#offsets, 0, 1);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.#count++;
    this.dispatches++;
    this.#scheduleFlush();
  }

  #bindGroup(kernel: Kernel, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = kernel.signature;
    for (const b of buffers) {
      let id = this.#ids.get(b);
      if (id === undefined) this.#ids.set(b, (id = this.#nextId++));
      key += `:${id}`;
    }
    let group = this.#groups.get(key);
    if (!group) {
      if (this.#groups.size >= MAX_BIND_GROUPS) this.#groups.clear();
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      entries.push({ binding: buffers.length, resource: { buffer: this.#arenaBuffer, offset: 0, size: PARAMS_BYTES } });
      group = this.device.createBindGroup({ layout: kernel.layout, entries });
      this.#groups.set(key, group);
    }
    return group;
  }

  /** Records a buffer-to-buffer copy after the pending dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.begin();
    this.#pass?.end();
    this.#pass = null;
    this.#encoderOrNew().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.#count++;
    this.#scheduleFlush();
  }

  /** Submits everything recorded so far, and closes the error-scope window. */
  flush(): void {
    if (this.#encoder) {
      this.#pass?.end();
      this.#pass = null;
      if (this.#arenaUsed > 0) this.device.queue.writeBuffer(this.#arenaBuffer, 0, this.#arena.buffer, 0, this.#arenaUsed);
      this.device.queue.submit([this.#encoder.finish()]);
      this.submits++;
      this.#encoder = null;
      this.#count = 0;
      this.#arenaUsed = 0;
    }
    if (this.#scoped) this.#closeWindow();
  }

  #closeWindow(): void {
    const kernels = [...this.#kernels];
    this.#kernels.clear();
    this.#scoped = false;
    // popped in reverse order of the pushes; a lost device rejects or resolves null: the backend reports the loss
    const reports = (['validation', 'out-of-memory'] as const).map((kind) =>
      this.device.popErrorScope().then(
        (error) => error && this.onError(error, kind, kernels),
        () => {},
      ),
    );
    this.#reported = Promise.all([this.#reported, ...reports]);
  }

  /** Waits until the windows closed so far have reported their errors (never rejects). */
  reported(): Promise<unknown> {
    return this.#reported;
  }

  /** Uploads tensor data, after the pending work (which may still read the buffer's old contents). */
  write(buffer: GPUBuffer, data: ArrayBufferView): void {
    this.flush();
    this.begin();
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  destroy(): void {
    this.flush();
    this.#groups.clear();
    this.#arenaBuffer.destroy();
  }

  #encoderOrNew(): GPUCommandEncoder {
    this.#encoder ??= this.device.createCommandEncoder({ label: 'carousel batch' });
    return this.#encoder;
  }

  #beginPass(): GPUComputePassEncoder {
    if (!this.#pass) {
      this.#pass = this.#encoderOrNew().beginComputePass();
      this.#pipeline = null;
    }
    return this.#pass;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }
}
