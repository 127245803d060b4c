// `pnpm bench --scaling`: how Carousel's LSTM train step (the W2 step: forward, linear head on the
// last step, MSE, backward, SGD) grows with T, H and B around W2 (I = 64, H = 256, B = 32,
// T = 100), one axis at a time, with the exponent observed (least-squares slope of log time on
// log size) next to the exponent of the FLOP model (T and B: 1; H: that of H·(I + H), which is
// 2 only for H ≫ I), and each point's memory: the framework's live tensor bytes at the step's
// peak and the process's RSS and ArrayBuffer bytes.
import { carousel } from './carousel.js';
import { median, sample, type TimingPolicy } from './runner.js';
import { flops, type RnnWorkload } from './workloads.js';

export type Axis = 'T' | 'H' | 'B';

export interface ScalingPoint {
  axis: Axis;
  w: RnnWorkload;
  /** Median ms per train step (wall), and the process's CPU ms per step. */
  ms: number;
  cpuMs: number;
  samples: number;
  /** memory().numBytes after the backward of one step. */
  tensorBytes: number;
  /** Process peaks while this point ran. */
  rss: number;
  arrayBuffers: number;
}

/** The grid: W2 and one axis varied at a time (`quick`: a small centre, for the smoke run). */
export function scalingGrid(quick: boolean): { axis: Axis; w: RnnWorkload }[] {
  const centre: RnnWorkload = quick
    ? { cell: 'lstm', I: 8, H: 32, B: 4, T: 20, O: 8, mode: 'train', name: 'scaling' }
    : { cell: 'lstm', I: 64, H: 256, B: 32, T: 100, O: 8, mode: 'train', name: 'scaling' };
  const values: Record<Axis, number[]> = quick
    ? { T: [5, 10, 20], H: [8, 16, 32], B: [1, 2, 4] }
    : { T: [25, 50, 100], H: [64, 128, 256], B: [8, 16, 32] };
  return (['T', 'H', 'B'] as const).flatMap((axis) => values[axis].map((v) => ({ axis, w: { ...centre, [axis]: v } })));
}

/** Measures every point of the grid (Carousel only; the process's memory peaks are per point). */
export async function runScaling(quick: boolean, policy: TimingPolicy, log: (line: string) => void): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const { axis, w } of scalingGrid(quick)) {
    const r = await carousel.setup(w);
    let rss = process.memoryUsage.rss();
    let arrayBuffers = process.memoryUsage().arrayBuffers;
    const tensorBytes = (await r.tensorBytes?.()) ?? 0;
    // one sample at a time so the memory peaks are read between them
    const step = async () => {
      await r.run(1);
      const m = process.memoryUsage();
      rss = Math.max(rss, m.rss);
      arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers);
    };
    const { samples, cpu } = await sample(step, policy);
    await r.dispose();
    const ms = median(samples);
    points.push({ axis, w, ms, cpuMs: median(cpu), samples: samples.length, tensorBytes, rss, arrayBuffers });
    log(`  ${axis}: T=${w.T} H=${w.H} B=${w.B}: ${ms.toFixed(ms >= 100 ? 0 : 2)} ms`);
  }
  return points;
}

/** Least-squares slope of log y on log x. */
export function logSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return num / den;
}

/**
 * For each axis: the exponent observed in wall time and in CPU time (steadier on a loaded
 * machine; it also counts the GEMM's worker threads), and the FLOP model's, over the points measured.
 */
export function exponents(points: readonly ScalingPoint[]): { axis: Axis; wall: number; cpu: number; model: number }[] {
  return (['T', 'H', 'B'] as const).map((axis) => {
    const ps = points.filter((p) => p.axis === axis);
    const xs = ps.map((p) => p.w[axis]);
    const slope = (ys: number[]) => logSlope(xs, ys);
    return { axis, wall: slope(ps.map((p) => p.ms)), cpu: slope(ps.map((p) => p.cpuMs)), model: slope(ps.map((p) => flops(p.w))) };
  });
}
