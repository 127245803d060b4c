// Worker threads that run kernel chunks on the shared WASM memory, for a caller that stays
// synchronous: the calling thread publishes a job, takes chunks itself, and blocks on
// Atomics.wait until the chunks the workers took are done. Node only (worker_threads, and a main
// thread that may block); elsewhere the pool is never created and kernels run on one thread.
import type { Worker } from 'node:worker_threads';

/** Int32 slots of the control block at the start of the memory. */
const REMAINING = 0; // chunks not yet taken; a thread takes chunk r−1 by moving r to r−1
const DONE = 1; // chunks finished
const FAILED = 2; // set when a worker's chunk threw
const BY_WORKERS = 3; // chunks the workers have run, ever (for tests)

/**
 * Milliseconds an idle thread polls before it sleeps. A recurrent layer publishes a product every
 * step with ~0.1 ms of single-threaded work in between, and each step waited for a sleeping worker
 * to wake (tens of µs, far more on a busy machine) and then for the caller to wake in turn: W3's
 * LSTM forward went from 57–78 ms to 54–69 (medians of 7 alternating runs, 2 cores). Past 1 ms
 * the wait is not a step's.
 */
const SPIN_MS = 1;

/** Bytes the control block takes at address 0. */
export const CONTROL_BYTES = 64;

/**
 * The worker's whole program (CommonJS, evaluated). It instantiates the kernel module on the
 * shared memory and loops: sleep while no chunk is left, take one, run it, count it done.
 * Taking a chunk is a compare-and-swap on REMAINING, so a worker that wakes late can only take
 * a chunk of the job now published, whose descriptor is then stable until every chunk is done.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, module, job, ws } = workerData;
const { chunk } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, 0, 16);
let idleSince = -1;
for (;;) {
  const r = Atomics.load(ctl, ${REMAINING});
  if (r === 0) {
    const now = performance.now();
    if (idleSince < 0) idleSince = now;
    if (now - idleSince < ${SPIN_MS}) continue;
    idleSince = -1;
    Atomics.wait(ctl, ${REMAINING}, 0);
    continue;
  }
  idleSince = -1;
  if (Atomics.compareExchange(ctl, ${REMAINING}, r, r - 1) !== r) continue;
  try { chunk(job, r - 1, ws); } catch { Atomics.store(ctl, ${FAILED}, 1); }
  Atomics.add(ctl, ${BY_WORKERS}, 1);
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}`;

type WorkerThreads = typeof import('node:worker_threads');

/** `node:worker_threads` when this runtime has it and lets the calling thread block, else null. */
export function workerThreads(): WorkerThreads | null {
  try {
    const wt = globalThis.process?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
    return wt && typeof SharedArrayBuffer === 'function' ? wt : null;
  } catch {
    return null;
  }
}

/** Hardware threads (`os.availableParallelism()`), 1 where it cannot be told. */
export function hardwareThreads(): number {
  try {
    const os = globalThis.process?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
    return Math.max(1, os?.availableParallelism?.() ?? 1);
  } catch {
    return 1;
  }
}

/** `size` workers sharing `memory`; worker i runs chunks of the job at `job` with workspace `wsOf(i + 1)`. */
export class ThreadPool {
  readonly #workers: Worker[];
  readonly #ctl: Int32Array;

  constructor(
    wt: WorkerThreads,
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    size: number,
    job: number,
    wsOf: (thread: number) => number,
  ) {
    this.#ctl = new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
    this.#workers = Array.from({ length: size }, (_, i) => {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { memory, module, job, ws: wsOf(i + 1) } });
      // idle workers sleep in Atomics.wait forever: they must not keep the process alive
      w.unref();
      // A worker that fails to start (or is terminated) takes no chunks, and the caller waits only
      // for chunks taken, so the others carry on; `size` stops counting it.
      w.on('error', () => {});
      w.on('exit', () => this.#live--);
      return w;
    });
    this.#live = size;
  }

  #live: number;

  /** Extra threads still running (the caller is one more). */
  get size(): number {
    return this.#live;
  }

  /**
   * Runs chunks `0…count−1` of the published job: the caller takes chunks with `run` alongside
   * the workers and returns once all are done. A worker that has not woken yet simply takes none.
   *
   * @throws Error when a worker's chunk threw (a kernel bug: the caller's result is incomplete)
   */
  run(count: number, run: (index: number) => void): void {
    const ctl = this.#ctl;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, REMAINING, count);
    Atomics.notify(ctl, REMAINING);
    for (;;) {
      const r = Atomics.load(ctl, REMAINING);
      if (r === 0) break;
      if (Atomics.compareExchange(ctl, REMAINING, r, r - 1) !== r) continue;
      run(r - 1);
      Atomics.add(ctl, DONE, 1);
    }
    // the workers' chunks end about when the caller's do: spin a little before sleeping
    const spinUntil = performance.now() + SPIN_MS;
    let d = Atomics.load(ctl, DONE);
    while (d < count && performance.now() < spinUntil) d = Atomics.load(ctl, DONE);
    for (; d < count; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
    if (Atomics.load(ctl, FAILED)) throw new Error('a worker thread failed while running a matmul chunk');
  }

  /** Chunks the workers (not the caller) have run since the pool started. */
  get workerChunks(): number {
    return Atomics.load(this.#ctl, BY_WORKERS);
  }

  /** Stops the workers (they hold no state beyond the shared memory). */
  terminate(): void {
    for (const w of this.#workers) void w.terminate();
  }
}
