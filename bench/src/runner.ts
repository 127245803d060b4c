import type { Workload } from './workloads.js';

/** The memory of the process a framework runs in (bytes). */
export interface ProcessMemory {
  /** The process's peak resident set size so far (getrusage's ru_maxrss). */
  peakRss: number;
  /** JS frameworks: the peak of `process.memoryUsage().arrayBuffers`, read after every request. */
  peakArrayBuffers?: number;
}

/** One framework set up for one workload. */
export interface Runner {
  /** Runs `iters` steps back to back; resolves to milliseconds per step. */
  run(iters: number): Promise<number>;
  /** One training step that returns its loss (NaN for inference / matmul). */
  lossStep(): Promise<number>;
  /** Carousel only: one step that reports the live tensor bytes (`memory().numBytes`) at its peak. */
  tensorBytes?(): number | Promise<number>;
  /** When the framework runs in a process of its own (every one does in `pnpm bench`): its memory. */
  memory?(): Promise<ProcessMemory>;
  dispose(): Promise<void> | void;
}

export interface Framework {
  /** Short label used in the table. */
  name: string;
  /** Version / configuration, printed once. */
  detail: string;
  /** Why the framework cannot run a workload (undefined when it can). */
  unsupported?(w: Workload): string | undefined;
  setup(w: Workload): Promise<Runner>;
  /**
   * False when the loss need not fall within 3 steps (brain.js: RMSprop with clipping on a
   * next-vector objective); the harness check then asks only for finite losses.
   */
  lossFalls?: boolean;
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Times `iters` calls of a synchronous step. */
export function timeSync(step: () => unknown, iters: number): number {
  const t0 = now();
  for (let i = 0; i < iters; i++) step();
  return (now() - t0) / iters;
}

/** How long to warm up and how to sample (see main.ts for the two policies). */
export interface TimingPolicy {
  warmupCalls: number;
  warmupMs: number;
  minSampleMs: number;
  minReps: number;
  maxReps: number;
  budgetMs: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Times one `step` alone under `policy`: warm-up, then samples of `iters` calls each (enough for
 * `minSampleMs`, from the warm-up's mean time per call). A step may return a promise (a Runner's
 * `run`); it is awaited. Returns wall ms per call of every sample, the process's CPU ms per call
 * (user + system: on a loaded machine it shows the work done when wall time shows the wait), and
 * `iters`.
 */
export async function sample(
  step: (i: number) => unknown,
  policy: TimingPolicy,
): Promise<{ samples: number[]; cpu: number[]; iters: number }> {
  let i = 0;
  // only promises are awaited: a synchronous step runs in a plain loop, no microtask per call
  const calls = async (n: number) => {
    for (let k = 0; k < n; k++) {
      const r = step(i++);
      if (r instanceof Promise) await r;
    }
  };
  const tw = now();
  let first = 0;
  let calls0 = 0;
  for (let c = 0; ; c++) {
    await calls(1);
    if (c === 0) {
      first = now() - tw;
      if (first > 3000) break;
    }
    calls0 = c + 1;
    if (calls0 >= policy.warmupCalls && now() - tw >= policy.warmupMs) break;
  }
  // the first call is JIT-cold: the others give the time per call
  const perCall = calls0 > 1 ? (now() - tw - first) / (calls0 - 1) : first;
  const iters = Math.max(1, Math.ceil(policy.minSampleMs / Math.max(perCall, 1e-4)));
  const samples: number[] = [];
  const cpu: number[] = [];
  const t0 = now();
  for (let rep = 0; rep < policy.maxReps; rep++) {
    const c0 = process.cpuUsage();
    const s0 = now();
    await calls(iters);
    samples.push((now() - s0) / iters);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / iters);
    if (rep + 1 >= policy.minReps && now() - t0 > policy.budgetMs) break;
  }
  return { samples, cpu, iters };
}
