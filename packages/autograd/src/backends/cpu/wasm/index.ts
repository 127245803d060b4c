// The CPU backend's WASM SIMD matmul: one kernel module instantiated on one memory, operands
// copied in, the product computed (by several threads in Node), the result copied out. Everything
// here is optional: when WebAssembly SIMD is missing, or it is switched off, `wasmSgemm` says no
// and the caller runs the TypeScript kernel.
import { ValueError } from '../../../errors.js';
import type { GemmDims } from '../matmul.js';
import { MAX_PAGES } from './emit.js';
import { CONTROL_BYTES, hardwareThreads, ThreadPool, workerThreads } from './pool.js';
import { JOB, MR, NR, sgemmModule, WORKSPACE_BYTES } from './sgemm.js';

/** The CPU backend's matmul settings, as {@link configureCpu} reports them. */
export interface CpuConfig {
  /** Whether float32 matmuls run on the WASM SIMD kernel (false: the TypeScript kernel). */
  wasm: boolean;
  /** Threads a large float32 matmul is split across (1 where worker threads are unavailable). */
  threads: number;
}

/** More threads than this never paid on the matmul sizes models use; it also bounds memory. */
const MAX_THREADS = 8;
/**
 * Tuning knobs and a counter, for tests and benchmarks (not part of the package's API).
 * - `minMacs`: float32 products from this many multiply-adds (m·n·k) up go to the WASM kernel;
 *   below it (16³), copying operands in and out costs about what the faster loop saves.
 * - `threadMinMacs`: products from this size up are split across threads. 2²¹ multiply-adds take
 *   ~0.1 ms on one core, several times what waking a sleeping worker costs; smaller products would
 *   mostly be finished by the caller before a worker woke (so little is lost, but nothing gained).
 * - `calls`: products the WASM kernel has computed.
 */
export const wasmInternals = { minMacs: 4096, threadMinMacs: 1 << 21, calls: 0 };

const JOB_PTR = CONTROL_BYTES;
/** Workspaces start after the control block (64 bytes) and the job descriptor (17 i32s). */
const WS_BASE = 256;
const PAGE = 65536;

type WorkerThreads = NonNullable<ReturnType<typeof workerThreads>>;

interface Kernel {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  chunk: (job: number, index: number, ws: number) => void;
  /** Threads the memory has workspaces for (1 where there are no worker threads). */
  threads: number;
  wt: WorkerThreads | null;
  /** The workers: started by the first product large enough to split; null when there are none. */
  pool: ThreadPool | null | undefined;
  /** First byte after the workspaces: operands go here. */
  operands: number;
  f32: Float32Array;
  i32: Int32Array;
}

const env = (name: string): string | undefined => globalThis.process?.env?.[name];

const threadsFromEnv = Number(env('CAROUSEL_THREADS'));
let wasmOn = env('CAROUSEL_WASM') !== '0';
let threadsWanted = Number.isInteger(threadsFromEnv) && threadsFromEnv >= 1 ? threadsFromEnv : Math.min(hardwareThreads(), MAX_THREADS);
/** undefined: not tried yet; null: WebAssembly SIMD (or the memory) is unavailable here. */
let kernel: Kernel | null | undefined;

/**
 * Instantiates the kernel, on a memory that `threads − 1` workers can share when this runtime has
 * worker threads (the workers themselves start with the first product worth splitting).
 */
function instantiate(wanted: number): Kernel | null {
  try {
    const wt = wanted > 1 ? workerThreads() : null;
    const threads = wt ? wanted : 1;
    const module = new WebAssembly.Module(sgemmModule(wt !== null));
    const operands = WS_BASE + threads * WORKSPACE_BYTES;
    const initial = Math.ceil((operands + PAGE) / PAGE);
    const memory = new WebAssembly.Memory(wt ? { initial, maximum: MAX_PAGES, shared: true } : { initial });
    const { chunk } = new WebAssembly.Instance(module, { env: { memory } }).exports as Pick<Kernel, 'chunk'>;
    const pool = wt ? undefined : null;
    return { memory, module, chunk, threads, wt, pool, operands, f32: new Float32Array(memory.buffer), i32: new Int32Array(memory.buffer) };
  } catch {
    // no WebAssembly, no SIMD128, or (in a browser main thread) a module too large to compile synchronously
    return null;
  }
}

/** The kernel's workers, started on first use; null (one thread) where they cannot be started. */
function poolOf(k: Kernel): ThreadPool | null {
  if (k.pool === undefined) {
    try {
      k.pool = new ThreadPool(k.wt!, k.memory, k.module, k.threads - 1, JOB_PTR, (t) => WS_BASE + t * WORKSPACE_BYTES);
    } catch {
      k.pool = null;
    }
  }
  return k.pool;
}

function getKernel(): Kernel | null {
  if (kernel === undefined) kernel = wasmOn ? instantiate(threadsWanted) : null;
  return kernel;
}

/** Grows the memory to hold `bytes`; false when that is past what the kernel can address. */
function reserve(k: Kernel, bytes: number): boolean {
  const have = k.memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / PAGE);
  if (have / PAGE + pages > MAX_PAGES) return false;
  k.memory.grow(pages);
  k.f32 = new Float32Array(k.memory.buffer);
  k.i32 = new Int32Array(k.memory.buffer);
  return true;
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * `C[b] = op(A[b])·op(B[b])` in float32 on the WASM SIMD kernel, as the TypeScript `matmul`
 * defines it (`transA`/`transB` read A, B stored transposed). Returns false, having done nothing,
 * when the kernel is unavailable or switched off or the operands do not fit its memory.
 */
export function wasmSgemm(a: Float32Array, b: Float32Array, c: Float32Array, dims: GemmDims): boolean {
  const k = getKernel();
  if (!k) return false;
  const { batch, m, k: depth, n, aBatchStride, bBatchStride } = dims;
  const lenA = aBatchStride === 0 ? m * depth : (batch - 1) * aBatchStride + m * depth;
  const lenB = bBatchStride === 0 ? depth * n : (batch - 1) * bBatchStride + depth * n;
  const lenC = batch * m * n;
  const aOff = k.operands;
  const bOff = align(aOff + 4 * lenA);
  const cOff = align(bOff + 4 * lenB);
  if (!reserve(k, cOff + 4 * lenC)) return false;
  k.f32.set(a.length === lenA ? a : a.subarray(0, lenA), aOff / 4);
  k.f32.set(b.length === lenB ? b : b.subarray(0, lenB), bOff / 4);

  // Operands are addressed by (row, column) strides in bytes: a transposed one swaps them.
  const job = k.i32;
  const j = JOB_PTR / 4;
  const [aRow, aCol] = dims.transA ? [4, 4 * m] : [4 * depth, 4];
  const [bRow, bCol] = dims.transB ? [4, 4 * depth] : [4 * n, 4];
  job.set([aOff, aRow, aCol, 4 * aBatchStride, bOff, bRow, bCol, 4 * bBatchStride, cOff, 4 * n, 4 * m * n, m, n, depth], j);

  const pool = k.threads > 1 && m * n * depth >= wasmInternals.threadMinMacs ? poolOf(k) : null;
  const threads = pool ? pool.size + 1 : 1;
  // Each chunk packs its own panels of both operands, so the split is along the dimension whose
  // repeats cost less: columns (repacking A) when m < n, else rows (repacking B). Two chunks per
  // thread let a thread that got the core to itself take the share of one that did not.
  const splitN = threads > 1 && m < n;
  const dim = splitN ? n : m;
  const unit = splitN ? NR : MR;
  const parts = threads === 1 || batch >= 2 * threads ? 1 : Math.min(Math.ceil((2 * threads) / batch), Math.ceil(dim / unit));
  const chunkSize = Math.max(1, Math.ceil(dim / parts / unit) * unit);
  const perBatch = Math.max(1, Math.ceil(dim / chunkSize));
  job[j + JOB.splitN] = splitN ? 1 : 0;
  job[j + JOB.chunkSize] = chunkSize;
  job[j + JOB.chunksPerBatch] = perBatch;
  const ws = WS_BASE;
  if (pool && threads > 1) pool.run(batch * perBatch, (index) => k.chunk(JOB_PTR, index, ws));
  else for (let index = 0; index < batch * perBatch; index++) k.chunk(JOB_PTR, index, ws);
  c.set(k.f32.subarray(cOff / 4, cOff / 4 + lenC));
  wasmInternals.calls++;
  return true;
}

/** Chunks of products the worker threads (not the calling thread) have run; for tests. */
export const workerChunks = (): number => kernel?.pool?.workerChunks ?? 0;

/**
 * Reads or changes how the CPU backend runs float32 matmuls. The default is the WebAssembly
 * SIMD kernel where the runtime has SIMD128, split across `os.availableParallelism()` threads
 * (at most 8) in Node; float64 and int32 always use the TypeScript kernel. The environment
 * variables `CAROUSEL_WASM=0` (TypeScript kernel only) and `CAROUSEL_THREADS=n` set the initial
 * values. Worker threads never keep the process alive.
 *
 * @param options `wasm: false` forces the TypeScript kernel; `threads` (≥ 1) sets how many threads a large matmul uses.
 * @returns the settings now in force: `wasm` is false where WebAssembly SIMD is unavailable.
 * @throws {@link ValueError} when `threads` is not a positive integer.
 * @example
 * configureCpu({ threads: 1 });   // deterministic single-threaded timings
 * configureCpu({ wasm: false });  // the portable TypeScript kernel
 * configureCpu().wasm;            // is the WASM kernel in use?
 */
export function configureCpu(options: { wasm?: boolean; threads?: number } = {}): CpuConfig {
  const { wasm, threads } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new ValueError(`threads must be a positive integer, got ${threads}`, 'configureCpu');
  }
  const changed = (wasm !== undefined && wasm !== wasmOn) || (threads !== undefined && threads !== threadsWanted);
  if (wasm !== undefined) wasmOn = wasm;
  if (threads !== undefined) threadsWanted = threads;
  if (changed && kernel !== undefined) {
    kernel?.pool?.terminate();
    kernel = undefined;
  }
  const k = getKernel();
  return { wasm: k !== null, threads: !k ? 1 : k.pool === undefined ? k.threads : (k.pool?.size ?? 0) + 1 };
}
