import type { Workload } from './workloads.js';

/** One framework set up for one workload. */
export interface Runner {
  /** Runs `iters` steps back to back; resolves to milliseconds per step. */
  run(iters: number): Promise<number>;
  /** One training step that returns its loss (NaN for inference / matmul). */
  lossStep(): Promise<number>;
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
