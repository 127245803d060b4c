/// <reference types="@webgpu/types" />
// What the LSTM and GRU sequences share: the backend services they use, contiguous views, the
// time loop of step dispatches, and the weight gradients of a whole sequence.
//
// Memory: nothing lives between the forward and the backward call. The backward replays the
// forward from the op's inputs (alive as long as its tape node) to get every step's activations,
// in temporaries it frees before returning. The interface has no hook for "this node's saved state
// is dead", so activations saved by the forward could only be freed by the garbage collector,
// which knows nothing of GPU memory: recomputing one GEMM per step buys GPU memory that tidy and
// dispose account for exactly. (Like the composite's rules, which read the weights when they run,
// the replay sees a weight assigned in place between forward and backward.)
import { BackendError, DisposedError } from '../../../errors.js';
import type { Backend, Buf, SequenceDims, View } from '../../backend.js';
import type { GpuBuf } from '../buffers.js';
import type { Kernel } from '../pipelines.js';
import { type Storage, storageKey, withHelpers } from '../shaders/common.js';
import { stepGroups, type Tile, tileKey } from './tiles.js';

/** What the fused kernels need from the WebGPU backend: its plain kernels, its pipeline cache and queue. */
export interface FusedHost {
  readonly backend: Pick<Backend, 'alloc' | 'free' | 'copy' | 'fill' | 'matmul' | 'reduce'>;
  /** How the backend stores float32 tensors (the kernels' tensor bindings): f32, or f16. */
  readonly storage: 'f32' | 'f16';
  /** A float32 work buffer stored as f32 whatever `storage` is (freed with `backend.free`). */
  work(size: number): Buf;
  /** The cached pipeline for `key` (compiled from `source()` on first use). */
  kernel(key: string, source: () => string): Kernel;
  /** Records a dispatch after the pending work (one queue, so no CPU round trip between steps). */
  dispatch(kernel: Kernel, buffers: readonly GPUBuffer[], params: ArrayLike<number>, groups: readonly [number, number, number]): void;
}

/** `n` contiguous elements of `buf` from `offset`. */
export const vec = (buf: Buf, offset: number, n: number): View => ({ buf, shape: [n], strides: [1], offset });

/** Copies `n` contiguous float32 elements. */
export function copyVec(host: FusedHost, src: Buf, srcOff: number, dst: Buf, dstOff: number, n: number): void {
  host.backend.copy(vec(src, srcOff, n), vec(dst, dstOff, n), 'float32');
}

/**
 * Float32 temporaries of one call, freed together (reuse is queue-ordered, so right after recording).
 * `alloc` gives f32 work buffers, for what a kernel carries from step to step (h, c, their
 * gradients: rounding those to f16 at every step would compound, and the cell state's small
 * increments would be lost); `tensor` buffers stored like the backend's tensors, for per-step
 * values that are only read back once (gate gradients).
 */
export class Temps {
  readonly #bufs: Buf[] = [];
  constructor(private readonly host: FusedHost) {}

  alloc(size: number): Buf {
    return this.#keep(this.host.work(size));
  }

  tensor(size: number): Buf {
    return this.#keep(this.host.backend.alloc('float32', size));
  }

  #keep(b: Buf): Buf {
    this.#bufs.push(b);
    return b;
  }

  free(): void {
    for (const b of this.#bufs) this.host.backend.free(b);
    this.#bufs.length = 0;
  }
}

/**
 * One cell kind's step kernel for a tile shape; `source` gets the tile and the storage of the
 * tensor bindings, and returns the WGSL body.
 */
export function stepKernel(host: FusedHost, name: string, tile: Tile, source: (tile: Tile, t: Storage) => string): Kernel {
  return host.kernel(`fused:${name}:${tileKey(tile)}${storageKey(host.storage)}`, () => withHelpers(source(tile, host.storage)));
}

/**
 * Dispatches `kernel` once for each step t of `steps`, in order, over the `[B, H]` state; `params`
 * is the kernel's parameter block, whose slot 3 is set to t.
 */
export function runSteps(
  host: FusedHost,
  kernel: Kernel,
  bufs: readonly Buf[],
  params: number[],
  { B, H }: SequenceDims,
  tile: Tile,
  steps: readonly number[],
): void {
  const buffers = bufs.map((b) => (b as GpuBuf).buffer);
  const groups = stepGroups(tile, B, H);
  for (const t of steps) {
    params[3] = t;
    host.dispatch(kernel, buffers, params, groups);
  }
}

/** 0, 1, …, T − 1. */
export const forwardOrder = (T: number): number[] => Array.from({ length: T }, (_, t) => t);
/** T − 1, …, 0. */
export const backwardOrder = (T: number): number[] => Array.from({ length: T }, (_, i) => T - 1 - i);

/** `[bias | peep]` in one f32 work buffer (zeros without a bias), so a kernel binds both as one. */
export function biasAndPeep(host: FusedHost, temps: Temps, bhh: Buf | null, GH: number, peep: Buf | null, PH: number): Buf {
  const aux = temps.alloc(GH + PH);
  if (bhh) copyVec(host, bhh, 0, aux, 0, GH);
  else host.backend.fill(aux, 'float32', GH, 0);
  if (peep) copyVec(host, peep, 0, aux, GH, PH);
  return aux;
}

/**
 * The recurrent weight's gradients of a whole sequence, as one GEMM: `dW = Σₜ dₜᵀ · h(t−1)` with
 * `d` the `[rows, GH]` gate gradients of every step and `hs` the matching `[rows, H]` previous
 * states (from offset 0), and `db = Σ_rows d`. Both go through the transpose of d, so they are the
 * backend's own matmul and row reduction.
 */
export function weightGrads(host: FusedHost, d: Buf, hs: Buf, rows: number, GH: number, H: number, dW: Buf, db: Buf | null): void {
  const { backend } = host;
  const dT = backend.alloc('float32', GH * rows);
  backend.copy(
    { buf: d, shape: [GH, rows], strides: [1, GH], offset: 0 },
    { buf: dT, shape: [GH, rows], strides: [rows, 1], offset: 0 },
    'float32',
  );
  backend.matmul(dT, hs, dW, 'float32', { batch: 1, m: GH, k: rows, n: H, aBatchStride: 0, bBatchStride: 0 });
  if (db) backend.reduce('sum', dT, db, 'float32', GH, rows);
  backend.free(dT);
}

/** The backward replays the forward from these buffers: each must still be alive. */
export function checkAlive(op: string, inputs: Record<string, Buf | null>): void {
  for (const [name, buf] of Object.entries(inputs)) {
    if (buf && (buf as GpuBuf).freed) {
      throw new DisposedError(
        `${name} was disposed before the backward pass; the WebGPU kernel recomputes the forward from its inputs, so keep them until backward() has run`,
        op,
      );
    }
  }
}

/** WGSL has no f64 (and WebGPU tensors are never float64: this guards the interface's contract). */
export function checkFloat32(op: string, dtype: string): void {
  if (dtype !== 'float32') throw new BackendError(`the WebGPU fused kernel is float32 only, got ${dtype}`, op);
}
