// Shared helpers of the WebGPU suite: opening the device (never a silent skip in CI), running one
// computation on the CPU and on WebGPU, and comparing at float32 tolerance while recording the
// worst errors per op for the parity report.
//
// A suite opened with `useWebGPU({ f16: true })` compares the f16 backend instead: `input` then
// rounds float values to half, and makes them float64 on the CPU (the reference) and float32
// (stored as f16) on WebGPU; `compare` checks EXACT cases as correctly rounded (the reference
// rounded to half, bit for bit) and the others at the F16 tolerance.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { roundHalf } from '../../src/backends/webgpu/half.js';
import { type DType, getBackend, setBackend, type Tensor, type TypedArray, tensor, tidy, type WebGPUOptions } from '../../src/index.js';

/**
 * Opens the WebGPU backend once. Without an adapter: in CI (`CI` set) this throws, so the suite
 * fails loudly; locally it prints why and returns false, and the suite is skipped.
 */
export async function webgpuAvailable(): Promise<boolean> {
  try {
    await setBackend('webgpu');
    return true;
  } catch (e) {
    if (process.env.CI) throw e;
    console.warn(`[webgpu suite] skipped, no WebGPU adapter: ${(e as Error).message}`);
    return false;
  } finally {
    await setBackend('cpu');
  }
}

/** The WebGPU backend the suite in this file compares with the CPU (set by {@link useWebGPU}). */
let options: WebGPUOptions = {};
/** The options of the suite's WebGPU backend (`{ f16: true }` in an f16 suite). */
export const webgpuOptions = (): WebGPUOptions => options;

/**
 * `beforeAll`: switch to WebGPU (and before each test, in case a failed comparison left the CPU
 * active); `afterAll`: back to the CPU. Call inside the suite's describe; `{ f16: true }` for the
 * f16 backend (see the top of this file).
 */
export function useWebGPU(webgpu: WebGPUOptions = {}): void {
  beforeAll(async () => {
    options = webgpu;
    await setBackend('webgpu', options);
  });
  beforeEach(async () => {
    await setBackend('webgpu', options);
  });
  afterAll(async () => {
    options = {};
    await setBackend('cpu');
  });
}

/** Deterministic values in [lo, hi) (mulberry32), optionally rounded to integers. */
export function values(n: number, seed: number, lo = -3, hi = 3, integer = false): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    const v = lo + (hi - lo) * u;
    out.push(integer ? Math.floor(v) : v);
  }
  return out;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A tensor on the active backend from deterministic values (integers for int32 and bool; bool is
 * `v > 0`). In an f16 suite, float values are rounded to half, and float64 on the CPU.
 */
export function input<D extends DType = 'float32'>(
  shape: readonly number[],
  seed: number,
  opts: { lo?: number; hi?: number; dtype?: D; integer?: boolean } = {},
): Tensor<D> {
  const dtype: DType = opts.dtype ?? 'float32';
  const v = values(size(shape), seed, opts.lo ?? -3, opts.hi ?? 3, opts.integer ?? dtype !== 'float32');
  if (dtype === 'float32' && options.f16) {
    return tensor(Float64Array.from(v, roundHalf), {
      shape: [...shape],
      dtype: getBackend() === 'cpu' ? 'float64' : 'float32',
    }) as Tensor<D>;
  }
  const data =
    dtype === 'bool' ? Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)) : dtype === 'int32' ? Int32Array.from(v) : Float32Array.from(v);
  return tensor(data, { shape: [...shape], dtype }) as Tensor<D>;
}

/** Float32 tolerance: |gpu − cpu| ≤ atol + rtol·|cpu|. */
export interface Tol {
  atol: number;
  rtol: number;
}
export const F32: Tol = { atol: 1e-5, rtol: 1e-5 };
export const EXACT: Tol = { atol: 0, rtol: 0 };
/**
 * The f16 suites' tolerance for every non-EXACT case, `atol` relative to the output's scale
 * (max(1, max|cpu|)): a kernel rounds its f32 result once (≤ 2⁻¹¹ relative), a composite (mean,
 * softmax) or a backward pass a few times; f32 sums add error on the scale of their terms.
 */
export const F16: Tol = { atol: 4 * 2 ** -11, rtol: 4 * 2 ** -11 };

/** Worst errors seen per name: max |Δ| and max |Δ|/|cpu| (over |cpu| ≥ 1e-3). */
export const parity = new Map<string, { maxAbs: number; maxRel: number; n: number }>();

interface Result {
  shape: readonly number[];
  dtype: DType;
  data: TypedArray;
}

async function runOn(backend: 'cpu' | 'webgpu', build: () => Tensor | Tensor[]): Promise<Result[]> {
  await setBackend(backend, backend === 'webgpu' ? options : undefined);
  const name = getBackend();
  const outs = tidy(() => {
    const r = build();
    return Array.isArray(r) ? r : [r];
  });
  const results: Result[] = [];
  for (const t of outs) {
    if (t.backend !== name) throw new Error(`expected a ${name} tensor, got one on ${t.backend}`);
    results.push({ shape: t.shape, dtype: t.dtype, data: await t.data() });
    t.dispose();
  }
  return results;
}

/**
 * Runs `build` (which creates its inputs, so they land on the active backend) on the CPU and on
 * WebGPU, and checks every output: same shape and dtype, values within `tol` (NaN matches NaN).
 * Leaves WebGPU active. In an f16 suite the CPU computes in float64; EXACT cases must match its
 * result rounded to half, and the others are checked at {@link F16}.
 */
export async function compare(name: string, build: () => Tensor | Tensor[], tol: Tol = F32): Promise<void> {
  const f16 = options.f16 === true;
  const exact = tol.atol === 0 && tol.rtol === 0;
  const cpu = await runOn('cpu', build);
  const gpu = await runOn('webgpu', build);
  if (cpu.length !== gpu.length) throw new Error(`${name}: ${cpu.length} CPU outputs vs ${gpu.length} WebGPU outputs`);
  const rec = parity.get(name) ?? { maxAbs: 0, maxRel: 0, n: 0 };
  const bad: string[] = [];
  cpu.forEach((c, k) => {
    const g = gpu[k]!;
    const cpuDType = f16 && c.dtype === 'float64' ? 'float32' : c.dtype;
    if (cpuDType !== g.dtype || c.shape.join() !== g.shape.join()) {
      bad.push(`output ${k}: CPU ${c.dtype}[${c.shape}] vs WebGPU ${g.dtype}[${g.shape}]`);
      return;
    }
    const half = f16 && g.dtype === 'float32';
    let scale = 1;
    if (half) for (const v of c.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(Number(v)));
    const { atol, rtol } = !half || exact ? tol : { atol: F16.atol * scale, rtol: F16.rtol };
    for (let i = 0; i < c.data.length; i++) {
      // f16: the correctly rounded result for EXACT cases; past the half range, the infinity f16 must give
      const ref = Number(c.data[i]);
      const x = half && (exact || Math.abs(ref) >= 65520) ? roundHalf(ref) : ref;
      const y = Number(g.data[i]);
      rec.n++;
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (Number.isNaN(x) !== Number.isNaN(y)) bad.push(`output ${k}[${i}]: CPU ${x} vs WebGPU ${y}`);
        continue;
      }
      if (x === y) continue;
      const d = Math.abs(x - y);
      if (!Number.isFinite(d)) {
        bad.push(`output ${k}[${i}]: CPU ${x} vs WebGPU ${y}`);
        continue;
      }
      rec.maxAbs = Math.max(rec.maxAbs, d);
      if (Math.abs(x) >= 1e-3) rec.maxRel = Math.max(rec.maxRel, d / Math.abs(x));
      if (d > atol + rtol * Math.abs(x)) bad.push(`output ${k}[${i}]: CPU ${x} vs WebGPU ${y} (|Δ| ${d.toExponential(2)})`);
    }
  });
  parity.set(name, rec);
  if (bad.length) throw new Error(`${name}: ${bad.length} mismatches, e.g.\n  ${bad.slice(0, 8).join('\n  ')}`);
}

/** Prints the parity table (worst errors per op) after the suite. */
export function reportParity(title: string): void {
  afterAll(() => {
    if (parity.size === 0) return;
    const rows = [...parity].map(
      ([k, v]) => `  ${k.padEnd(34)} ${v.maxAbs.toExponential(2).padStart(9)} ${v.maxRel.toExponential(2).padStart(9)} ${v.n}`,
    );
    console.log(`[webgpu parity: ${title}] op, max |Δ|, max rel, elements\n${rows.join('\n')}`);
  });
}
