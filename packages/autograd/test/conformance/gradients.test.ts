// Float32 gradients on every backend: for every differentiable row of the op table, the
// vector-Jacobian product computed in float32 on the backend matches the one the CPU computes in
// float64 from the same (rounded) inputs — the float64 gradients gradcheck.test.ts checks against
// finite differences — at float32 tolerance, relative to each gradient's scale.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { setBackend } from '../../src/index.js';
import { closeMismatch } from '../../src/testing/index.js';
import { BACKENDS, type BackendCase, flushSubnormals, onBackend, recordError, reportErrors } from './backends.js';
import { DIFFERENTIABLE, gradientsOf, instanceArb, type OpRow } from './ops.js';

/** Instances per property run, and runs: 15 instances per row. */
const BATCH = 5;
const NUM_RUNS = 3;
const TIMEOUT = 30_000;
/** |g − g64| ≤ ATOL·max(1, max|g64|) + RTOL·|g64|: backward passes chain several float32 ops. */
const ATOL = 1e-5;
const RTOL = 1e-4;

async function checkGradients(b: BackendCase, r: OpRow): Promise<void> {
  const instances = fc.array(instanceArb(r), { minLength: BATCH, maxLength: BATCH });
  await fc.assert(
    fc.asyncProperty(instances, async (drawn) => {
      // the reference sees the float32 values the backend sees
      const batch = drawn.map((d) => ({
        ...d,
        values: (b.flushesSubnormals ? flushSubnormals(d.values) : d.values).map((v) => v.map(Math.fround)),
      }));
      await setBackend('cpu');
      const want = await gradientsOf(r, batch, 'float64');
      await setBackend(b.name);
      const got = await gradientsOf(r, batch, 'float32');
      batch.forEach((_, k) => {
        want[k]!.forEach((w, i) => {
          const g = got[k]![i]!;
          recordError(`${b.name} float32: ${r.name}`, g, w);
          let scale = 1;
          for (const v of w) scale = Math.max(scale, Math.abs(v));
          const mismatch = closeMismatch(g, w, { atol: ATOL * scale, rtol: RTOL });
          if (mismatch)
            throw new Error(`gradient ${i} of ${r.name} on ${b.name} (instance ${k}) differs from the float64 CPU gradient: ${mismatch}`);
        });
      });
    }),
    { seed: 42, numRuns: NUM_RUNS },
  );
}

for (const b of BACKENDS) {
  describe.skipIf(!b.available)(`float32 gradients on ${b.name} match the float64 CPU gradients`, () => {
    onBackend(b.name);
    reportErrors(`${b.name} float32: `);
    for (const r of DIFFERENTIABLE) {
      if (r.needsFloat64 && !b.floats.includes('float64')) {
        it.skip(`${r.name}: computes in float64, which ${b.name} does not have`, () => {});
        continue;
      }
      it(r.name, { timeout: TIMEOUT }, () => checkGradients(b, r));
    }
  });
}
