// The CPU backend's WASM SIMD matmul: one kernel module instantiated on one memory, operands
// copied in, the product computed (by several threads in Node), the result copied out. Everything
// here is optional: when WebAssembly SIMD is missing, or it is switched off, `wasmSgemm` says no
// and the caller runs the TypeScript kernel.
import { checkOptions, describeValue, ValueError } from '../../../errors.js';
import type { GemmDims } from '../matmul.js';
import { MAX_PAGES } from './emit.js';
import { CONST_SLOTS, CONST_TABLE } from './lanes.js';
import { CONTROL_BYTES, hardwareThreads, ThreadPool, workerThreads } from './pool.js';
import { JOB, JOB_FIELDS, MR, NR, PACKED_B_ROW, sgemmModule, WORKSPACE_BYTES } from './sgemm.js';

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

// The memory's layout: the worker pool's control block, the job descriptor, the recurrent
// kernels' constant table, each thread's workspace, then operands (or a fused kernel's scratch).
const JOB_PTR = CONTROL_BYTES;
if (JOB_PTR + 4 * JOB_FIELDS > CONST_TABLE) throw new Error('the WASM job descriptor overlaps the constant table');
const WS_BASE = CONST_TABLE + 16 * CONST_SLOTS;
const PAGE = 65536;

type WorkerThreads = NonNullable<ReturnType<typeof workerThreads>>;

interface Kernel {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  chunk: (job: number, index: number, ws: number) => void;
  pack: (src: number, rowStride: number, colStride: number, k: number, n: number, dst: number) => void;
  gemv: (a: number, aCol: number, b: number, c: number, n: number, k: number, tile: number) => void;
  /** Other modules on the same memory (the recurrent kernels' pointwise code), by key. */
  modules: Map<string, WebAssembly.Exports | null>;
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
    const { chunk, pack, gemv } = new WebAssembly.Instance(module, { env: { memory } }).exports as Pick<Kernel, 'chunk' | 'pack' | 'gemv'>;
    const pool = wt ? undefined : null;
    const [f32, i32] = [new Float32Array(memory.buffer), new Int32Array(memory.buffer)];
    return { memory, module, chunk, pack, gemv, modules: new Map(), threads, wt, pool, operands, f32, i32 };
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
  const [aRow, aCol] = dims.transA ? [4, 4 * m] : [4 * depth, 4];
  const [bRow, bCol] = dims.transB ? [4, 4 * depth] : [4 * n, 4];
  k.i32.set([aOff, aRow, aCol, 4 * aBatchStride, bOff, bRow, bCol, 4 * bBatchStride, cOff, 4 * n, 4 * m * n, m, n, depth], JOB_PTR / 4);
  runJob(k, batch, m, n, depth, false);
  c.set(k.f32.subarray(cOff / 4, cOff / 4 + lenC));
  wasmInternals.calls++;
  return true;
}

/**
 * Runs the job whose operands and strides are already in the descriptor: splits it into chunks
 * and, when it is large enough, shares them with the workers.
 */
function runJob(k: Kernel, batch: number, m: number, n: number, depth: number, bPacked: boolean): void {
  const job = k.i32;
  const j = JOB_PTR / 4;
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
  job[j + JOB.bPacked] = bPacked ? 1 : 0;
  const ws = WS_BASE;
  if (pool && threads > 1) pool.run(batch * perBatch, (index) => k.chunk(JOB_PTR, index, ws));
  else for (let index = 0; index < batch * perBatch; index++) k.chunk(JOB_PTR, index, ws);
}

/** A product on operands already in the kernel's memory (byte addresses and strides). */
export interface ResidentGemm {
  /** A's element (i, p) is at `a + i·aRow + p·aCol`. */
  a: number;
  aRow: number;
  aCol: number;
  /** B prepacked by {@link WasmScratch.pack} with the whole depth k. */
  b: number;
  /** C's element (i, j) at `c + i·cRow + 4j`. */
  c: number;
  cRow: number;
  m: number;
  n: number;
  k: number;
}

/**
 * The WASM kernel's memory lent to one call of a fused recurrent kernel: its operands region from
 * `base` on, the packing and product entry points on it, and modules of pointwise code
 * instantiated on the same memory. The region is the matmul's operand space, so it holds nothing
 * between calls: a kernel copies its inputs in and its results out.
 */
export interface WasmScratch {
  /** First byte the caller may use. */
  readonly base: number;
  /** Makes room up to byte `end`; false (nothing changed) past what the kernel can address. */
  reserve(end: number): boolean;
  /** The memory as floats; take it again after `reserve` (growing replaces the buffer). */
  f32(): Float32Array;
  /** Packs B (element (p, j) at `src + p·rowStride + j·colStride` bytes, k×n) at `dst` for {@link ResidentGemm}. */
  pack(src: number, rowStride: number, colStride: number, k: number, n: number, dst: number): void;
  /** Bytes a packed k×n matrix takes. */
  packedBytes(k: number, n: number): number;
  /** `C = A·B` on resident operands, split across threads when large. */
  gemm(g: ResidentGemm): void;
  /**
   * `C = op(A)·op(B)` on resident row-major operands (A m×k, or k×m with `transA`; B k×n), e.g.
   * a weight gradient over a whole sequence.
   */
  gemmPlain(a: number, b: number, c: number, m: number, n: number, k: number, transA: boolean): void;
  /**
   * The exports of the module `build(shared)` makes, instantiated once per key on this memory
   * (null: it failed to); its `init` export, if any, runs once first (it writes the constant table).
   */
  module(key: string, build: (shared: boolean) => Uint8Array<ArrayBuffer>): WebAssembly.Exports | null;
}

/** The kernel's memory for a fused recurrent kernel, or null where the WASM kernel is unavailable or off. */
export function wasmScratch(): WasmScratch | null {
  const k = getKernel();
  if (!k) return null;
  const at = JOB_PTR / 4;
  return {
    base: align(k.operands),
    reserve: (end) => reserve(k, end),
    f32: () => k.f32,
    pack: (src, rs, cs, depth, n, dst) => k.pack(src, rs, cs, depth, n, dst),
    packedBytes: (depth, n) => 4 * depth * Math.ceil(n / NR) * NR,
    gemm(g) {
      if (g.m < MR) {
        // a row at a time: the tile would be mostly padding (the workspace is free scratch here)
        for (let i = 0; i < g.m; i++) k.gemv(g.a + i * g.aRow, g.aCol, g.b, g.c + i * g.cRow, g.n, g.k, WS_BASE);
      } else {
        k.i32.set([g.a, g.aRow, g.aCol, 0, g.b, PACKED_B_ROW, 4 * g.k, 0, g.c, g.cRow, 0, g.m, g.n, g.k], at);
        runJob(k, 1, g.m, g.n, g.k, true);
      }
      wasmInternals.calls++;
    },
    gemmPlain(a, b, c, m, n, depth, transA) {
      const [aRow, aCol] = transA ? [4, 4 * m] : [4 * depth, 4];
      k.i32.set([a, aRow, aCol, 0, b, 4 * n, 4, 0, c, 4 * n, 0, m, n, depth], at);
      runJob(k, 1, m, n, depth, false);
      wasmInternals.calls++;
    },
    module(key, build) {
      if (!k.modules.has(key)) {
        let exports: WebAssembly.Exports | null = null;
        try {
          exports = new WebAssembly.Instance(new WebAssembly.Module(build(k.wt !== null)), { env: { memory: k.memory } }).exports;
          (exports.init as (() => void) | undefined)?.();
        } catch {
          // e.g. a browser's main thread refusing to compile a large module synchronously
        }
        k.modules.set(key, exports);
      }
      return k.modules.get(key)!;
    },
  };
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
 * @throws {@link ValueError} when `options` is not a plain object, `wasm` not a boolean or
 *   `threads` not a positive integer.
 * @example
 * configureCpu({ threads: 1 });   // deterministic single-threaded timings
 * configureCpu({ wasm: false });  // the portable TypeScript kernel
 * configureCpu().wasm;            // is the WASM kernel in use?
 */
export function configureCpu(options: { wasm?: boolean; threads?: number } = {}): CpuConfig {
  checkOptions(options, 'configureCpu', '{ wasm?, threads? }');
  const { wasm, threads } = options;
  if (wasm !== undefined && typeof wasm !== 'boolean')
    throw new ValueError(`wasm must be a boolean, got ${describeValue(wasm)}`, 'configureCpu');
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
