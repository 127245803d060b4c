// The backends the conformance suite runs on, and the worst errors it measured on each. The CPU
// runs every row in float64 and float32; WebGPU (no f64 in WGSL) in float32, compared with the same
// float64 references. Without a WebGPU adapter its suites fail in CI and are skipped locally
// (webgpuAvailable says why).
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { setBackend } from '../../src/index.js';
import { webgpuAvailable } from '../webgpu/harness.js';

export interface BackendCase {
  name: 'cpu' | 'webgpu';
  available: boolean;
  /** The float dtypes the rows run in, the reference's first. */
  floats: readonly ('float64' | 'float32')[];
  /**
   * Whether float32 subnormals may read as zero. WGSL allows it (SwiftShader does it): a
   * subnormal input of, say, `eq` or `sign` is a zero there, so the suite gives zeros instead.
   */
  flushesSubnormals: boolean;
}

export const BACKENDS: readonly BackendCase[] = [
  { name: 'cpu', available: true, floats: ['float64', 'float32'], flushesSubnormals: false },
  { name: 'webgpu', available: await webgpuAvailable(), floats: ['float32'], flushesSubnormals: true },
];

/** The smallest normal float32. */
const MIN_NORMAL_F32 = 2 ** -126;

/** `values` with every number that is a float32 subnormal replaced by a zero of its sign. */
export const flushSubnormals = (values: number[][]): number[][] =>
  values.map((v) => v.map((x) => (x !== 0 && Math.abs(Math.fround(x)) < MIN_NORMAL_F32 ? (x < 0 ? -0 : 0) : x)));

/** Inside a describe: run its tests on `name` (before each, in case a test switched), then back to the CPU. */
export function onBackend(name: BackendCase['name']): void {
  beforeAll(() => setBackend(name));
  beforeEach(() => setBackend(name));
  afterAll(() => setBackend('cpu'));
}

/** Worst absolute error, and relative error over |reference| ≥ 1e-3, per `what`. */
const worst = new Map<string, { abs: number; rel: number; n: number }>();

/** Records how far `got` is from `want` under `what` (e.g. `webgpu float32 forward: tanh`). */
export function recordError(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const w = worst.get(what) ?? { abs: 0, rel: 0, n: 0 };
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const d = Math.abs(Number(got[i]) - Number(want[i]));
    if (!Number.isFinite(d)) continue; // NaN/∞ agreement is the comparison's business
    w.abs = Math.max(w.abs, d);
    if (Math.abs(Number(want[i])) >= 1e-3) w.rel = Math.max(w.rel, d / Math.abs(Number(want[i])));
    w.n++;
  }
  worst.set(what, w);
}

/** After the file: prints the worst errors recorded whose name starts with `prefix`. */
export function reportErrors(prefix: string): void {
  afterAll(() => {
    const rows = [...worst].filter(([k]) => k.startsWith(prefix));
    if (rows.length === 0) return;
    const lines = rows.map(
      ([k, v]) =>
        `  ${k.slice(prefix.length).padEnd(36)} ${v.abs.toExponential(2).padStart(9)} ${v.rel.toExponential(2).padStart(9)} ${v.n}`,
    );
    console.log(`[conformance ${prefix.trim()}] row, max |Δ|, max rel, elements\n${lines.join('\n')}`);
  });
}
