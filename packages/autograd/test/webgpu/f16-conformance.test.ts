// The op conformance table (test/conformance/ops.ts) on the f16 WebGPU backend: every row's forward
// against its float64 reference, and every differentiable row's vector-Jacobian product against
// the float64 CPU one, both from the same inputs rounded to half first (what the f16 tensors hold,
// so the comparison measures the kernels, not the input rounding).
//
// Values: the table's generator (fast-check doubles: mostly the domain's ends and tiny magnitudes,
// which round to 0 in half) and, so that rounding is exercised, values spread uniformly over each
// row's domain (its choices, kinks to avoid and distinctness kept).
//
// Tolerance. A primitive computes in f32 and rounds its output once: |Δ| ≤ 2⁻¹¹·|y| (half an ulp
// of half) plus f32 noise. Composite rows (softmax, gelu, norms, …) and number operands add
// roundings: of each intermediate tensor, of a constant made a half (leakyRelu's 0.01), each
// ≤ 2⁻¹¹ relative to what it rounds, which the output sees through the op's condition number. We
// allow 8 such roundings: rtol = 8·2⁻¹¹ ≈ 3.9e-3, and the same absolute error on the output's
// scale (max(1, max|y|)) for outputs near zero whose intermediates were not (a − b, x·Φ(x)). Backward
// passes chain several rounded ops per input: 16·2⁻¹¹ ≈ 7.8e-3 of each gradient's scale. Rows
// the table marks exact (movement, indexing) stay exact: they move halves. Outputs past 65504 are
// ±Infinity in f16, and must be: they count as equal to a reference of the same sign ≥ 65520.
import './f16.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalf } from '../../src/backends/webgpu/half.js';
import { type DType, setBackend, type Tensor, tidy } from '../../src/index.js';
import { type CloseOptions, closeMismatch } from '../../src/testing/index.js';
import { recordError, reportErrors } from '../conformance/backends.js';
import {
  DIFFERENTIABLE,
  type Domain,
  domainOf,
  F32_TOL,
  gradientsOf,
  type Instance,
  inputsOf,
  instanceArb,
  OPS,
  type OpRow,
  refInputsOf,
} from '../conformance/ops.js';
import * as R from '../conformance/reference.js';
import { f16Available } from './f16.js';
import { useWebGPU } from './harness.js';

const HALF_EPS = 2 ** -11;
const FORWARD = 8 * HALF_EPS;
const BACKWARD = 16 * HALF_EPS;
/** Instances per run (runs: 3 forward, 2 backward, for each of the two value generators). */
const BATCH = 5;
const TIMEOUT = 30_000;

const available = await f16Available();

/** Values of one input spread uniformly over its domain (or from its choices, as the table's generator). */
function uniformValues(size: number, { min = -3, max = 3, avoid = [], margin = 0.05, choices, only }: Domain): fc.Arbitrary<number[]> {
  const cont = fc
    .integer({ min: 0, max: 2 ** 24 })
    .map((k) => min + ((max - min) * k) / 2 ** 24)
    .filter((v) => avoid.every((p) => Math.abs(v - p) >= margin));
  const one = !choices ? cont : only ? fc.constantFrom(...choices) : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...choices) }, cont);
  return fc.array(one, { minLength: size, maxLength: size });
}

/** instanceArb with uniformly spread values (distinct rows already draw from a uniform grid). */
function uniformInstanceArb(r: OpRow): fc.Arbitrary<Instance> {
  if (r.input === 'bool' || r.distinct) return instanceArb(r);
  return r.cases.chain((c) =>
    fc.tuple(...c.shapes.map((s, i) => uniformValues(R.sizeOf(s), domainOf(r, i)))).map((values) => ({ ...c, values })),
  );
}

/** The table's values, then uniformly spread ones. */
const ARBITRARIES = [
  ['table values', instanceArb],
  ['uniform values', uniformInstanceArb],
] as const;

/** The instance with every value rounded to half (as a float32 tensor on the f16 backend holds it). */
const halved = (inst: Instance): Instance => ({ ...inst, values: inst.values.map((v) => v.map(roundHalf)) });

/** Infinities the f16 output must have where the reference is beyond the half range: made equal. */
function matchOverflow(got: ArrayLike<number>, want: ArrayLike<number>): number[] {
  return Array.from(want, (w, i) => (Math.abs(w) >= 65520 && got[i] === Math.sign(w) * Number.POSITIVE_INFINITY ? got[i]! : w));
}

const scaleOf = (v: ArrayLike<number>): number => {
  let s = 1;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i]!)) s = Math.max(s, Math.abs(v[i]!));
  return s;
};

/** The row's forward tolerance at `scale`: exact rows stay exact. */
function forwardTol(r: OpRow, scale: number): CloseOptions {
  const f32 = r.tol?.f32 ?? F32_TOL;
  if (f32.atol === 0 && f32.rtol === 0) return f32;
  return { atol: FORWARD * scale, rtol: FORWARD };
}

async function checkForward(r: OpRow, arb: (r: OpRow) => fc.Arbitrary<Instance>): Promise<void> {
  const instances = fc.array(arb(r), { minLength: BATCH, maxLength: BATCH });
  await fc.assert(
    fc.asyncProperty(instances, async (drawn) => {
      const batch = drawn.map(halved);
      const outs: Tensor[] = tidy(() => batch.map((inst) => r.fn(inputsOf(r, inst, 'float32'), inst.p)));
      try {
        const data = await Promise.all(outs.map((o) => o.data()));
        batch.forEach((inst, k) => {
          const out = outs[k]!;
          const ref = r.ref(refInputsOf(inst, 'float64'), inst.p);
          const inDType: DType = r.input === 'bool' ? 'bool' : 'float32';
          expect(out.dtype).toBe(r.output ? r.output(inDType) : inDType);
          expect([...out.shape]).toEqual(ref.shape);
          const got = data[k] as ArrayLike<number>;
          const want = matchOverflow(got, ref.data);
          recordError(`webgpu-f16 forward: ${r.name}`, got, want);
          const mismatch = closeMismatch(got, want, forwardTol(r, scaleOf(want)));
          if (mismatch) throw new Error(`${r.name} on webgpu-f16, instance ${k}, differs from the reference: ${mismatch}`);
        });
      } finally {
        for (const o of outs) o.dispose();
      }
    }),
    { seed: 42, numRuns: 3 },
  );
}

async function checkGradients(r: OpRow, arb: (r: OpRow) => fc.Arbitrary<Instance>): Promise<void> {
  const instances = fc.array(arb(r), { minLength: BATCH, maxLength: BATCH });
  await fc.assert(
    fc.asyncProperty(instances, async (drawn) => {
      const batch = drawn.map(halved);
      await setBackend('cpu');
      const want = await gradientsOf(r, batch, 'float64', roundHalf);
      await setBackend('webgpu', { f16: true });
      const got = await gradientsOf(r, batch, 'float32', roundHalf);
      batch.forEach((_, k) => {
        want[k]!.forEach((w, i) => {
          const g = got[k]![i]!;
          const ref = matchOverflow(g, w);
          recordError(`webgpu-f16 backward: ${r.name}`, g, ref);
          const scale = scaleOf(ref);
          const mismatch = closeMismatch(g, ref, { atol: BACKWARD * scale, rtol: BACKWARD });
          if (mismatch)
            throw new Error(`gradient ${i} of ${r.name} on webgpu-f16 (instance ${k}) differs from the float64 CPU gradient: ${mismatch}`);
        });
      });
    }),
    { seed: 42, numRuns: 2 },
  );
}

describe.skipIf(!available)('forward conformance on webgpu-f16 against the float64 reference (inputs rounded to half)', () => {
  useWebGPU({ f16: true });
  reportErrors('webgpu-f16 forward: ');
  for (const r of OPS) {
    if (r.needsFloat64) continue; // computes in float64, which WebGPU does not have
    for (const [what, arb] of ARBITRARIES) it(`${r.name} (${what})`, { timeout: TIMEOUT }, () => checkForward(r, arb));
  }
});

describe.skipIf(!available)('gradients on webgpu-f16 match the float64 CPU gradients (inputs rounded to half)', () => {
  useWebGPU({ f16: true });
  reportErrors('webgpu-f16 backward: ');
  for (const r of DIFFERENTIABLE) {
    if (r.needsFloat64) continue;
    for (const [what, arb] of ARBITRARIES) it(`${r.name} (${what})`, { timeout: TIMEOUT }, () => checkGradients(r, arb));
  }
});
