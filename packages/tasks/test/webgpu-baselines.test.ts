// The BPTT baselines on WebGPU: float32, asynchronous reads, the same learning as on the CPU from
// the same seed; and the models that cannot run there say why. With `CI` set and no WebGPU
// adapter the suite fails instead of skipping.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, setBackend } from '@carousel/autograd';
import { afterAll, describe, expect, it } from 'vitest';
import { continualReber } from '../src/experiments/cerg.js';
import { BPTT_MODELS, bpttLearner, createLearner } from '../src/learners/index.js';
import { Rng } from '../src/rng.js';

// Point the Vulkan loader at SwiftShader (Debian's chromium package) unless a driver was chosen.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = join(tmpdir(), `carousel-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

async function webgpuAvailable(): Promise<boolean> {
  try {
    await setBackend('webgpu');
    return true;
  } catch (e) {
    if (process.env.CI) throw e;
    console.warn(`[webgpu baselines] skipped, no WebGPU adapter: ${(e as Error).message}`);
    return false;
  } finally {
    await setBackend('cpu');
  }
}

/** A tiny task: 2 inputs, 8 steps, the target at the end is the first step's first input. */
function data(seed: number, n: number) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const xs = Array.from({ length: 8 }, () => Float64Array.of(rng.chance(0.5) ? 1 : 0, rng.uniform(-1, 1)));
    const targets = xs.map((_, t) => (t === 7 ? Float64Array.of(xs[0]![0]!) : null));
    return { xs, targets };
  });
}

const SPEC = { inputSize: 2, outputSize: 1, lr: 0.5, seed: 3 };
const SEQUENCES = 4;

const available = await webgpuAvailable();

describe.skipIf(!available)('BPTT baselines on WebGPU', () => {
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('train in float32 with asynchronous reads, matching the CPU run from the same seed', async () => {
    const seqs = data(5, SEQUENCES);
    for (const model of BPTT_MODELS) {
      await setBackend('cpu');
      // float32 on both: the seeded stream gives the same initial weights for the same dtype on every backend
      const cpu = bpttLearner(model, SPEC, 4, 'float32');
      const cpuLosses = seqs.map((s) => cpu.train(s.xs, s.targets));
      const cpuOut = cpu.predict(seqs[0]!.xs);

      await setBackend('webgpu');
      const gpu = bpttLearner(model, SPEC, 4);
      expect(gpu.net.config.dtype).toBe('float32');
      expect(() => gpu.train(seqs[0]!.xs, seqs[0]!.targets)).toThrow(/read asynchronously: use trainAsync\(\)/);
      expect(() => gpu.predict(seqs[0]!.xs)).toThrow(BackendError);
      const gpuLosses: number[] = [];
      for (const s of seqs) gpuLosses.push(await gpu.trainAsync(s.xs, s.targets));
      const gpuOut = await gpu.predictAsync(seqs[0]!.xs);
      await setBackend('cpu');

      expect(gpuOut.length).toBe(8);
      // same initial weights and data; GPU transcendentals and summation order differ slightly
      for (const [i, l] of gpuLosses.entries())
        expect(Math.abs(l - cpuLosses[i]!), `${model} loss ${i}: ${l} vs ${cpuLosses[i]}`).toBeLessThan(1e-4);
      for (const [t, row] of gpuOut.entries()) expect(Math.abs(row[0]! - cpuOut[t]![0]!), `${model} output ${t}`).toBeLessThan(1e-4);
      // training moved the net: the losses are not all the same
      expect(new Set(gpuLosses.map((l) => l.toFixed(6))).size).toBeGreaterThan(1);
    }
  }, 120_000);

  it('refuses the models that learn on Float64Arrays, saying why', async () => {
    await setBackend('webgpu');
    try {
      expect(() => createLearner('lstm1997', { ...SPEC }, { lstm1997: { blocks: 1, cellsPerBlock: 1 }, hidden: 2 })).toThrow(
        /lstm1997 cannot run on 'webgpu': it learns by RTRL1997.*CPU only/,
      );
      expect(() => bpttLearner('gru', SPEC, 4, 'float64')).toThrow(/cannot train in float64 on webgpu/);
      expect(() => continualReber.runTrial('forget-gates', { seed: 1, maxSequences: 1 })).toThrow(/CERG cannot run on 'webgpu'/);
    } finally {
      await setBackend('cpu');
    }
  });
});
