// WebGPU conformance, structural primitives: reductions over axes (both kernel classes), argmax,
// cumsum, matmul (tiles, batches, broadcasts), movement (slice, permute, expand, concat, pad, …),
// gather/scatterAdd (structural-cases.ts, shared with the f16 suite), and the counter-based random
// stream, compared with the CPU backend.
import { describe, expect, it } from 'vitest';
import { rand, randn, setSeed, uniform } from '../../src/index.js';
import { compare, EXACT, F32, reportParity, useWebGPU, webgpuAvailable } from './harness.js';
import { structuralCases } from './structural-cases.js';

const available = await webgpuAvailable();

describe.skipIf(!available)('webgpu conformance: structural', () => {
  useWebGPU();
  reportParity('structural');
  structuralCases();

  it('random: uniform is bit-identical to the CPU stream, normal within float32 rounding', async () => {
    await compare(
      'rand (bitwise)',
      () => {
        setSeed(1234);
        return [rand([1000]), rand([3, 7]), uniform([50], -2, 5)];
      },
      EXACT,
    );
    await compare(
      'randn',
      () => {
        setSeed(99);
        return [randn([2000]), randn([4, 4])];
      },
      F32,
    );
  });

  it('random values are well spread (not a broken constant stream)', async () => {
    setSeed(7);
    const u = await rand([4096]).data();
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(u).size).toBeGreaterThan(4000);
  });
});
