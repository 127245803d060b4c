// The structural cases of the WebGPU suite (structural-cases.ts) on the f16 backend, against the
// CPU in float64 from the same half inputs: copies exact, arithmetic correctly rounded where it is
// exact in f32, the rest at the F16 tolerance (harness.ts). Then what only f16 storage has: the
// random stream rounded to half (uniforms stay below 1), and chunked reductions that keep their
// partial sums in f32.
import './f16.js';
import { describe, expect, it } from 'vitest';
import { roundHalf } from '../../src/backends/webgpu/half.js';
import { rand, randn, setBackend, setSeed, tensor } from '../../src/index.js';
import { f16Available } from './f16.js';
import { compare, reportParity, useWebGPU, values } from './harness.js';
import { structuralCases, transposedMatmulCases } from './structural-cases.js';

const available = await f16Available();

/** Generous: lavapipe compiles each new pipeline in ~0.1–1 s (more on a loaded machine). */
describe.skipIf(!available)('webgpu-f16 conformance: structural', { timeout: 60_000 }, () => {
  useWebGPU({ f16: true });
  reportParity('f16 structural');
  structuralCases();
  transposedMatmulCases();

  it('random: the CPU stream rounded to half; uniforms in [0, 1) even where they would round to 1', async () => {
    const n = 200_000; // ~50 uniforms in [1 − 2⁻¹², 1), which round to 1 unless clamped
    setSeed(1234);
    const gpu = await rand([n]).data();
    await setBackend('cpu');
    setSeed(1234);
    const cpu = await rand([n]).data();
    await setBackend('webgpu', { f16: true });
    let clamped = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = cpu[i]!;
      const want = u >= 1 - 2 ** -11 ? 1 - 2 ** -11 : roundHalf(u);
      if (roundHalf(u) === 1) clamped++;
      if (gpu[i] !== want) throw new Error(`rand[${i}]: WebGPU ${gpu[i]}, want ${want} (CPU ${u})`);
      max = Math.max(max, gpu[i]!);
    }
    expect(clamped).toBeGreaterThan(0);
    expect(max).toBe(1 - 2 ** -11);
    await compare('randn', () => {
      setSeed(99);
      return [randn([2000]), randn([4, 4])];
    });
  });

  it('chunked reductions keep their partial sums in f32 (cancellation across chunks)', async () => {
    // rows of 20,000: +1.5 then −1.5 plus small noise; the chunks' partials reach ±6000, where a
    // half's ulp is 4, while the row sums to about ±1: f16 partials would be off by units
    const noise = values(40_000, 5, -0.01, 0.01).map(roundHalf);
    const data = noise.map((v, i) => (i % 20_000 < 10_000 ? 1.5 : -1.5) + v).map(roundHalf);
    const want = [0, 1].map((r) => data.slice(r * 20_000, (r + 1) * 20_000).reduce((a, b) => a + b, 0));
    const got = await tensor(Float32Array.from(data), { shape: [2, 20_000] })
      .sum(1)
      .data();
    for (let r = 0; r < 2; r++) expect(Math.abs(got[r]! - want[r]!), `row ${r}: ${got[r]} vs ${want[r]}`).toBeLessThan(0.01);
  });
});
