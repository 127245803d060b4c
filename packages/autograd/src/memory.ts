import type { Backend, Buf } from './backends/backend.js';
import type { DType } from './dtype.js';
import { checkFunction, describeValue, ValueError } from './errors.js';
import type { Tensor } from './tensor.js';
import type { TensorContainer } from './types.js';

/** A device buffer shared by the tensors that view it (a reshape shares its input's storage). */
export interface Storage {
  readonly backend: Backend;
  readonly buf: Buf;
  readonly dtype: DType;
  readonly size: number;
  refs: number;
}

interface Stats {
  tensors: number;
  buffers: number;
  bytes: Map<string, number>;
  finalized: number;
}
const stats: Stats = { tensors: 0, buffers: 0, bytes: new Map(), finalized: 0 };

/** @internal Counts a new storage. */
export function trackStorage(s: Storage): void {
  stats.buffers++;
  stats.bytes.set(s.backend.name, (stats.bytes.get(s.backend.name) ?? 0) + s.backend.bytes(s.buf));
}

/** @internal Drops one reference; frees the buffer when none is left. */
export function releaseStorage(s: Storage): void {
  if (--s.refs > 0) return;
  stats.buffers--;
  stats.bytes.set(s.backend.name, (stats.bytes.get(s.backend.name) ?? 0) - s.backend.bytes(s.buf));
  s.backend.free(s.buf);
}

// The safety net: a tensor collected without dispose() still returns its buffer, and is counted.
// Only tensors that no tidy scope owns are registered: a scope disposes everything it owns when it
// ends, so its tensors cannot leak, and register/unregister (with the weak cells the collector then
// walks) cost more than the rest of a small op. A tensor is registered when it is made outside any
// scope, returned past the outermost one, or kept; so "in a scope" ⇔ "not registered".
const registry = new FinalizationRegistry<Storage>((s) => {
  stats.finalized++;
  stats.tensors--;
  releaseStorage(s);
});

const scopes: Set<Tensor>[] = [];

/** @internal Called for every new tensor: counts it and puts it in the innermost `tidy` scope. */
export function trackTensor(t: Tensor, s: Storage): void {
  stats.tensors++;
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(t);
  else registry.register(t, s, t);
}

/** Removes `t` from every scope; true when one owned it (and so it is not registered). */
function leaveScopes(t: Tensor): boolean {
  let owned = false;
  for (const scope of scopes) owned = scope.delete(t) || owned;
  return owned;
}

/** @internal Called once when a tensor is disposed. */
export function untrackTensor(t: Tensor, s: Storage): void {
  stats.tensors--;
  if (!leaveScopes(t)) registry.unregister(t);
  releaseStorage(s);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors it returns (in any
 * nesting of arrays and plain objects) and those passed to {@link keep}. Returned tensors move
 * to the enclosing scope. `fn` must be synchronous.
 *
 * @example
 * const w = randn([3, 3]);
 * const y = tidy(() => w.matmul(w).relu().sum()); // the intermediates are freed
 */
export function tidy<T>(fn: () => T): T {
  checkFunction(fn, 'tidy', 'fn');
  const scope = new Set<Tensor>();
  scopes.push(scope);
  try {
    let result: T;
    try {
      result = fn();
    } catch (e) {
      // nothing escapes a scope that threw: free what it made (it would otherwise leak to the GC)
      for (const t of [...scope]) t.dispose();
      throw e;
    }
    if (result instanceof Promise) {
      // the rest of an async fn may still use them: the safety net takes them instead of dispose
      for (const t of scope) registry.register(t, t.storage, t);
      throw new ValueError(
        'fn returned a Promise; tidy scopes must be synchronous (await outside tidy, then tidy the synchronous parts)',
        'tidy',
      );
    }
    const returned = new Set<Tensor>();
    collectTensors(result, returned);
    // disposed while the scope is still on the stack, so untrackTensor sees it owned them
    for (const t of scope) if (!returned.has(t)) t.dispose();
    // what is left is returned: it moves to the enclosing scope, or past the outermost to the safety net
    const parent = scopes[scopes.length - 2];
    for (const t of scope) {
      if (parent) parent.add(t);
      else registry.register(t, t.storage, t);
    }
    return result;
  } finally {
    scopes.pop();
  }
}

/**
 * Exempts a tensor from disposal by every enclosing `tidy`. Returns the tensor.
 *
 * @example
 * let kept;
 * tidy(() => { kept = keep(ones([2])); });
 */
export function keep<T extends Tensor>(t: T): T {
  if (typeof t !== 'object' || t === null || !isTensor(t)) throw new ValueError(`t must be a Tensor, got ${describeValue(t)}`, 'keep');
  if (leaveScopes(t)) registry.register(t, t.storage, t);
  return t;
}

/**
 * Disposes every tensor in `x` (a tensor, or arrays/objects holding tensors) now.
 *
 * @example
 * const t = ones([1000]);
 * dispose(t);
 */
export function dispose(x: TensorContainer): void {
  const found = new Set<Tensor>();
  collectTensors(x, found);
  for (const t of found) t.dispose();
}

/** Live memory, as {@link memory} reports it. */
export interface MemoryInfo {
  /** Tensors alive (created and neither disposed nor collected). */
  numTensors: number;
  /** Device buffers alive (views share one). */
  numBuffers: number;
  /** Bytes held in device buffers, all backends. */
  numBytes: number;
  /** Bytes per backend name. */
  bytesByBackend: Record<string, number>;
  /** Tensors freed by the garbage-collection safety net instead of `dispose`/`tidy`: leaks. */
  numFinalized: number;
}

/**
 * Reports live tensors and bytes.
 *
 * @example
 * const before = memory().numTensors;
 * tidy(() => {
 *   ones([3]).add(1);
 * });
 * memory().numTensors === before; // true: the scope freed both tensors
 */
export function memory(): MemoryInfo {
  const bytesByBackend = Object.fromEntries(stats.bytes);
  return {
    numTensors: stats.tensors,
    numBuffers: stats.buffers,
    numBytes: [...stats.bytes.values()].reduce((a, b) => a + b, 0),
    bytesByBackend,
    numFinalized: stats.finalized,
  };
}

function collectTensors(x: unknown, out: Set<Tensor>): void {
  if (x === null || typeof x !== 'object') return;
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectTensors(v, out);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collectTensors(v, out);
}

// Duck-typed to avoid importing the Tensor class here (tensor.ts imports this module).
const isTensor = (x: object): x is Tensor => (x as { [TENSOR]?: true })[TENSOR] === true;
/** @internal Brand set on Tensor.prototype. */
export const TENSOR = Symbol.for('carousel.tensor');
