// Forward conformance: every row of the op table against its float64 reference, on the float64
// path (tight tolerance) and on the float32 path (float32 tolerance, reference on the rounded
// inputs). Shapes, dtypes and values must all match.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType, type Tensor, tidy } from '../../src/index.js';
import { closeMismatch } from '../../src/testing/index.js';
import { F32_TOL, F64_TOL, inputsOf, instanceArb, OPS, type OpRow, refInputsOf } from './ops.js';

const NUM_RUNS = 25;
const TIMEOUT = 30_000;

function checkForward(r: OpRow, dtype: 'float32' | 'float64'): void {
  fc.assert(
    fc.property(instanceArb(r), (inst) => {
      tidy(() => {
        const inputs = inputsOf(r, inst, dtype);
        const out: Tensor = r.fn(inputs, inst.p);
        const want = r.ref(refInputsOf(inst, dtype), inst.p);
        const inDType: DType = r.input === 'bool' ? 'bool' : dtype;
        expect(out.dtype).toBe(r.output ? r.output(inDType) : inDType);
        expect([...out.shape]).toEqual(want.shape);
        const tol = dtype === 'float64' ? (r.tol?.f64 ?? F64_TOL) : (r.tol?.f32 ?? F32_TOL);
        const mismatch = closeMismatch(out.dataSync() as ArrayLike<number>, want.data, tol);
        if (mismatch) throw new Error(`${r.name} (${dtype}) differs from the reference: ${mismatch}`);
      });
    }),
    { seed: 42, numRuns: NUM_RUNS },
  );
}

describe('forward conformance against the float64 reference', () => {
  for (const r of OPS) {
    if (r.input === 'bool') {
      it(`${r.name} (bool)`, { timeout: TIMEOUT }, () => checkForward(r, 'float64'));
      continue;
    }
    it(`${r.name} (float64)`, { timeout: TIMEOUT }, () => checkForward(r, 'float64'));
    it(`${r.name} (float32)`, { timeout: TIMEOUT }, () => checkForward(r, 'float32'));
  }
});
