// A full training loop on WebGPU: an LSTM learning next-symbol prediction on embedded Reber strings,
// run from the same seed on the CPU and on WebGPU (each with the fused LSTM kernels it offers).
// Both must learn, and their loss curves must agree to float32-on-GPU precision; GPU memory must
// stay flat over the loop. With `CI` set and no WebGPU adapter, the suite fails instead of skipping.
import { getBackend, memory, setBackend, setSeed, type Tensor, tensor, tidy } from '@carousel/autograd';
import { afterAll, describe, expect, it } from 'vitest';
// @carousel/tasks depends on this package, so its generators are imported by path, not by name.
import { embeddedReberString, SYMBOLS } from '../../tasks/src/experiments/reber.js';
import { Rng } from '../../tasks/src/rng.js';
import { Adam, crossEntropy, Linear, LSTM } from '../src/index.js';
import { webgpuAvailable } from './webgpu.js';

const SEED = 7;
const HIDDEN = 8;
const BATCH = 8;
const STEPS = 30;
const IGNORE = -100;

interface Batch {
  /** One-hot inputs, `[T, B, 7]` (zeros after a string's end). */
  x: Float32Array;
  /** Next-symbol class indices, `[T, B]` (IGNORE after a string's end). */
  y: Int32Array;
  T: number;
}

/** A batch of embedded Reber strings, padded to the longest; the data stream is backend-independent. */
function makeBatch(rng: Rng): Batch {
  const strings = Array.from({ length: BATCH }, () => embeddedReberString(rng));
  const T = Math.max(...strings.map((s) => s.length)) - 1;
  const x = new Float32Array(T * BATCH * SYMBOLS.length);
  const y = new Int32Array(T * BATCH).fill(IGNORE);
  strings.forEach((s, b) => {
    for (let t = 0; t < s.length - 1; t++) {
      x[(t * BATCH + b) * SYMBOLS.length + SYMBOLS.indexOf(s[t] as (typeof SYMBOLS)[number])] = 1;
      y[t * BATCH + b] = SYMBOLS.indexOf(s[t + 1] as (typeof SYMBOLS)[number]);
    }
  });
  return { x, y, T };
}

interface Run {
  losses: number[];
  /**
   * `memory()` after each step: tensors ever made and not disposed (live + collected by the GC
   * safety net, so a leak shows even when the GC reclaims it, and leftovers of earlier code that
   * the GC happens to collect now do not count), and bytes on the backend.
   */
  tensors: number[];
  bytes: number[];
}

/** Builds the model from SEED on `backend` and trains it for STEPS Adam steps. */
async function train(backend: 'cpu' | 'webgpu'): Promise<Run> {
  await setBackend(backend);
  expect(getBackend()).toBe(backend);
  setSeed(SEED);
  const lstm = new LSTM(SYMBOLS.length, HIDDEN);
  const head = new Linear(HIDDEN, SYMBOLS.length);
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 0.03 });
  const rng = new Rng(SEED);
  const run: Run = { losses: [], tensors: [], bytes: [] };
  for (let step = 0; step < STEPS; step++) {
    const { x, y, T } = makeBatch(rng);
    const loss = tidy(() => {
      const input = tensor(x, { shape: [T, BATCH, SYMBOLS.length] });
      const target = tensor(y, { shape: [T, BATCH], dtype: 'int32' });
      const logits = head.forward(lstm.forward(input).output);
      const l: Tensor = crossEntropy(logits, target, { axis: -1, ignoreIndex: IGNORE });
      l.backward();
      opt.step();
      return l.detach();
    });
    opt.zeroGrad();
    run.losses.push((await loss.data())[0]!);
    loss.dispose();
    const m = memory();
    run.tensors.push(m.numTensors + m.numFinalized);
    run.bytes.push(m.bytesByBackend[backend] ?? 0);
  }
  opt.dispose();
  for (const p of params) p.dispose();
  await setBackend('cpu');
  return run;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

const available = await webgpuAvailable();

describe.skipIf(!available)('training an LSTM on embedded Reber: CPU vs WebGPU', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('converges on both backends with matching loss curves and flat memory', async () => {
    const cpu = await train('cpu');
    const gpu = await train('webgpu');

    for (const [name, run] of [
      ['cpu', cpu],
      ['webgpu', gpu],
    ] as const) {
      expect(run.losses.every(Number.isFinite), `${name}: finite losses`).toBe(true);
      // ln 7 ≈ 1.95 at the start; the learnable part of the task takes it well below that.
      expect(mean(run.losses.slice(-5)), `${name}: loss falls`).toBeLessThan(0.75 * mean(run.losses.slice(0, 5)));
      // memory is flat after the first step (the optimizer's moment buffers are created there);
      // bytes may only fall (the GC may reclaim tensors that earlier code left undisposed)
      expect(new Set(run.tensors.slice(1)).size, `${name}: undisposed tensors ${run.tensors}`).toBe(1);
      expect(Math.max(...run.bytes.slice(1)), `${name}: live bytes ${run.bytes}`).toBeLessThanOrEqual(run.bytes[1]!);
    }

    // Same seed, same data: the two curves agree to float32 precision (GPU transcendentals and
    // summation order differ from the CPU's, and Adam's early steps amplify a little).
    const worst = Math.max(...cpu.losses.map((c, i) => Math.abs(c - gpu.losses[i]!) / Math.abs(c)));
    console.log(
      `[webgpu training] ${STEPS} steps, loss ${cpu.losses[0]!.toFixed(4)} → ${cpu.losses.at(-1)!.toFixed(4)} (cpu), ` +
        `${gpu.losses[0]!.toFixed(4)} → ${gpu.losses.at(-1)!.toFixed(4)} (webgpu); worst relative gap ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});
