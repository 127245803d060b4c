/// <reference types="@webgpu/types" />
import type { DType } from '../../dtype.js';
import type { Storage } from './shaders/common.js';

/**
 * A tensor's device buffer: a GPUBuffer from the pool (possibly larger than needed: its size class)
 * and what it holds. Elements are 4 bytes (f32, i32, and bool as u32 0/1), or 2 for float32 data
 * stored as f16; kernels read `storage` to pick their bindings' types.
 */
export class GpuBuf {
  freed = false;
  constructor(
    readonly buffer: GPUBuffer,
    /** Bytes of the GPUBuffer (the size class). */
    readonly capacity: number,
    readonly dtype: DType,
    /** Elements in use. */
    readonly size: number,
    readonly storage: Storage,
  ) {}
}

/**
 * The size class a request of `bytes` is rounded up to: 16 bytes at least, then four classes per
 * power of two (a quarter-step grid), so a reused buffer wastes under 25% and sizes that differ a
 * little (batch of 31 vs 32) share buffers.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 16) return 16;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(4, p / 4);
  return Math.ceil(bytes / step) * step;
}

/** Counters of a {@link BufferPool}. */
export interface PoolStats {
  /** GPUBuffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Released GPUBuffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** GPUBuffers ever created, and requests served from the pool. */
  created: number;
  reused: number;
  /** Buffers destroyed because the pool was full. */
  destroyed: number;
}

/**
 * Free lists of GPUBuffers by size class. `release` keeps a buffer for the next request of its
 * class, up to `maxPooledBytes` in all (beyond that it is destroyed). Reuse needs no fence: every
 * command goes through one queue, in order, so a later writer of a recycled buffer runs after the
 * earlier readers.
 */
export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  readonly #stats: PoolStats = { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0, reused: 0, destroyed: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
    readonly maxPooledBytes: number,
  ) {}

  /** A buffer of at least `bytes` (its size class). */
  acquire(bytes: number): { buffer: GPUBuffer; capacity: number } {
    const capacity = sizeClass(bytes);
    const list = this.#free.get(capacity);
    const s = this.#stats;
    let buffer = list?.pop();
    if (buffer) {
      s.reused++;
      s.pooledBuffers--;
      s.pooledBytes -= capacity;
    } else {
      buffer = this.device.createBuffer({ size: capacity, usage: this.usage, label: this.label });
      s.created++;
    }
    s.liveBuffers++;
    s.liveBytes += capacity;
    return { buffer, capacity };
  }

  /** Returns a buffer for reuse (or destroys it when the pool is full). */
  release(buffer: GPUBuffer, capacity: number): void {
    const s = this.#stats;
    s.liveBuffers--;
    s.liveBytes -= capacity;
    if (s.pooledBytes + capacity > this.maxPooledBytes) {
      buffer.destroy();
      s.destroyed++;
      return;
    }
    let list = this.#free.get(capacity);
    if (!list) this.#free.set(capacity, (list = []));
    list.push(buffer);
    s.pooledBuffers++;
    s.pooledBytes += capacity;
  }

  /** Destroys a live buffer instead of pooling it (e.g. after a failed map). */
  discard(buffer: GPUBuffer, capacity: number): void {
    this.#stats.liveBuffers--;
    this.#stats.liveBytes -= capacity;
    this.#stats.destroyed++;
    buffer.destroy();
  }

  /** Destroys every pooled buffer (live ones are untouched). */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.#stats.destroyed += this.#stats.pooledBuffers;
    this.#stats.pooledBuffers = 0;
    this.#stats.pooledBytes = 0;
  }

  stats(): PoolStats {
    return { ...this.#stats };
  }
}
