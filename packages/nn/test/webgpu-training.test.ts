// A full training loop on WebGPU: an LSTM learning next-symbol prediction on embedded Reber strings,
// run from the same seed on the CPU and on WebGPU (each with the fused LSTM kernels it offers).
// Both must learn, and their loss curves must agree to float32-on-GPU precision; GPU memory must
// stay flat over the loop. With `CI` set and no WebGPU adapter, the suite fails instead of skipping.
import { setBackend } from '@carousel/autograd';
import { afterAll, describe, expect, it } from 'vitest';
import { STEPS, train } from './reber-training.js';
import { webgpuAvailable } from './webgpu.js';

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

const available = await webgpuAvailable();

describe.skipIf(!available)('training an LSTM on embedded Reber: CPU vs WebGPU', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('converges on both backends with matching loss curves and flat memory', async () => {
    const cpu = await train('cpu');
    const gpu = await train('webgpu');
    expect([cpu.backend, gpu.backend]).toEqual(['cpu', 'webgpu']);

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
