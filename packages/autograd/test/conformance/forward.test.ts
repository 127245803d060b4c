// Forward conformance on every backend: every row of the op table against its float64 reference,
// on the float64 path (tight tolerance, CPU only) and on the float32 path (float32 tolerance,
// reference on the rounded inputs). Shapes, dtypes and values must all match.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType, type Tensor, tidy } from '../../src/index.js';
import { closeMismatch } from '../../src/testing/index.js';
import { BACKENDS, type BackendCase, flushSubnormals, onBackend, recordError, reportErrors } from './backends.js';
import { F32_TOL, F64_TOL, inputsOf, instanceArb, OPS, type OpRow, refInputsOf } from './ops.js';

/** Instances per property run, and runs: 25 instances per row and dtype. */
const BATCH = 5;
const NUM_RUNS = 5;
const TIMEOUT = 30_000;

/**
 * Checks a batch of instances of `r`: every output computed, then all read at once, so a GPU
 * backend waits for its queue once per batch rather than once per instance.
 */
async function checkForward(b: BackendCase, r: OpRow, dtype: 'float32' | 'float64'): Promise<void> {
  const instances = fc.array(instanceArb(r), { minLength: BATCH, maxLength: BATCH });
  await fc.assert(
    fc.asyncProperty(instances, async (drawn) => {
      const batch = b.flushesSubnormals ? drawn.map((d) => ({ ...d, values: flushSubnormals(d.values) })) : drawn;
      const outs: Tensor[] = tidy(() => batch.map((inst) => r.fn(inputsOf(r, inst, dtype), inst.p)));
      try {
        const data = await Promise.all(outs.map((o) => o.data()));
        batch.forEach((inst, k) => {
          const out = outs[k]!;
          const want = r.ref(refInputsOf(inst, dtype), inst.p);
          const inDType: DType = r.input === 'bool' ? 'bool' : dtype;
          expect(out.dtype).toBe(r.output ? r.output(inDType) : inDType);
          expect([...out.shape]).toEqual(want.shape);
          const tol = dtype === 'float64' ? (r.tol?.f64 ?? F64_TOL) : (r.tol?.f32 ?? F32_TOL);
          const got = data[k] as ArrayLike<number>;
          recordError(`${b.name} ${dtype}: ${r.name}`, got, want.data);
          const mismatch = closeMismatch(got, want.data, tol);
          if (mismatch) throw new Error(`${r.name} (${dtype}) on ${b.name}, instance ${k}, differs from the reference: ${mismatch}`);
        });
      } finally {
        for (const o of outs) o.dispose();
      }
    }),
    { seed: 42, numRuns: NUM_RUNS },
  );
}

for (const b of BACKENDS) {
  describe.skipIf(!b.available)(`forward conformance on ${b.name} against the float64 reference`, () => {
    onBackend(b.name);
    reportErrors(`${b.name} `);
    for (const r of OPS) {
      if (r.needsFloat64 && !b.floats.includes('float64')) {
        it.skip(`${r.name}: computes in float64, which ${b.name} does not have`, () => {});
        continue;
      }
      if (r.input === 'bool') {
        it(`${r.name} (bool)`, { timeout: TIMEOUT }, () => checkForward(b, r, b.floats[0]!));
        continue;
      }
      for (const dtype of b.floats) it(`${r.name} (${dtype})`, { timeout: TIMEOUT }, () => checkForward(b, r, dtype));
    }
  });
}
