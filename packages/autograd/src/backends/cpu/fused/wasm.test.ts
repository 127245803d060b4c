// The float32 fused kernels on the WASM kernel (wasm.ts) against the float64 TypeScript kernels,
// for every cell layout the zoo has and random sizes (B = 1, H not a multiple of 4, the GEMM's
// tile edges): outputs and every gradient. Also: the float32 TypeScript path when WASM is off, and
// a forward on one path with its backward on the other (configureCpu may change in between).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LSTMCellSpec } from '../../backend.js';
import { configureCpu, wasmInternals } from '../wasm/index.js';
import { gruBackward, gruForward } from './gru.js';
import { gateCount, lstmBackward, lstmForward } from './lstm.js';
import { fusedWasmInternals } from './wasm.js';

const initial = configureCpu();
afterAll(() => configureCpu(initial));

const cell = (o: Partial<LSTMCellSpec>): LSTMCellSpec => ({
  i: 0,
  f: 1,
  g: 2,
  o: 3,
  peepI: -1,
  peepF: -1,
  peepO: -1,
  coupled: false,
  identityG: false,
  identityH: false,
  ...o,
});
const CELLS: Record<string, LSTMCellSpec> = {
  torch: cell({}),
  'peepholes (vanilla)': cell({ peepI: 0, peepF: 1, peepO: 2 }),
  'no input gate': cell({ i: -1, f: 0, g: 1, o: 2 }),
  'no forget gate': cell({ f: -1, g: 1, o: 2 }),
  'no output gate': cell({ o: -1 }),
  'identity g': cell({ identityG: true }),
  'identity h': cell({ identityH: true }),
  'coupled, peepholes on i and o (CIFG)': cell({ f: -1, g: 1, o: 2, peepI: 0, peepO: 1, coupled: true }),
};

type Arr = Float32Array | Float64Array;
/** Values in [−scale, scale) from a seed, the same for both dtypes (float32-representable). */
const values = (n: number, seed: number, scale = 1) =>
  Float64Array.from({ length: n }, (_, i) => Math.fround((((seed * 0.618034 + i * 0.754877) % 1) * 2 - 1) * scale));

/** max |a − b| / (1 + max |b|): the error relative to the result's scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / (1 + m);
}

interface Sizes {
  T: number;
  B: number;
  H: number;
}

/** Runs the LSTM kernels in `dtype`; `between` runs after the forward (to switch the kernel). */
function lstm(spec: LSTMCellSpec, { T, B, H }: Sizes, dtype: 'float32' | 'float64', seed: number, between = () => {}) {
  const A = dtype === 'float32' ? Float32Array : Float64Array;
  const GH = gateCount(spec) * H;
  const P = (spec.peepI >= 0 ? 1 : 0) + (spec.peepF >= 0 ? 1 : 0) + (spec.peepO >= 0 ? 1 : 0);
  const [xw, whh, bhh, h0, c0, peep, g] = [
    values(T * B * GH, seed, 2),
    values(GH * H, seed + 1, 0.8),
    values(GH, seed + 2),
    values(B * H, seed + 3),
    values(B * H, seed + 4),
    values(P * H, seed + 5),
    values((T + 1) * B * H, seed + 6),
  ].map((v) => A.from(v));
  const out = new A((T + 1) * B * H);
  const sv = lstmForward(xw, whh, bhh, h0, c0, P ? peep : null, out, dtype, { T, B, H }, spec);
  between();
  const grads: Record<string, Arr | null> = {
    xw: new A(T * B * GH),
    whh: new A(GH * H),
    bhh: new A(GH),
    h0: new A(B * H),
    c0: new A(B * H),
    peep: P ? new A(P * H) : null,
  };
  lstmBackward(sv, g!, grads as never);
  return { out, ...grads };
}

function gru({ T, B, H }: Sizes, dtype: 'float32' | 'float64', seed: number, between = () => {}) {
  const A = dtype === 'float32' ? Float32Array : Float64Array;
  const GH = 3 * H;
  const [xw, whh, bhh, h0, g] = [
    values(T * B * GH, seed, 2),
    values(GH * H, seed + 1, 0.8),
    values(GH, seed + 2),
    values(B * H, seed + 3),
    values(T * B * H, seed + 4),
  ].map((v) => A.from(v));
  const out = new A(T * B * H);
  const sv = gruForward(xw, whh, bhh, h0, out, dtype, { T, B, H });
  between();
  const grads: Record<string, Arr> = { xw: new A(T * B * GH), whh: new A(GH * H), bhh: new A(GH), h0: new A(B * H) };
  gruBackward(sv, g!, grads as never);
  return { out, ...grads };
}

/** Every result within `tol` of the reference's, relative to its scale. */
function expectClose(got: Record<string, Arr | null>, want: Record<string, Arr | null>, tol: number, what: string) {
  for (const k of Object.keys(want)) {
    if (!want[k]) continue;
    const e = relErr(got[k]!, want[k]!);
    expect(e, `${what}: ${k}`).toBeLessThan(tol);
  }
}

const sizes = fc.record({
  T: fc.integer({ min: 1, max: 6 }),
  B: fc.oneof(fc.constantFrom(1, 5, 6), fc.integer({ min: 1, max: 12 })),
  H: fc.oneof(fc.constantFrom(1, 3, 4, 5, 8, 9), fc.integer({ min: 1, max: 21 })),
});
// float32 rounding through T ≤ 6 steps of products of length ≤ 4·21
const TOL = 2e-5;

for (const unroll of [2, 1] as const) {
  describe(`fused kernels on the WASM kernel (float32, ${unroll} vector${unroll > 1 ? 's' : ''} per iteration) = the float64 TypeScript kernels`, () => {
    beforeAll(() => {
      fusedWasmInternals.unrolls = [unroll];
    });
    afterAll(() => {
      fusedWasmInternals.unrolls = [2, 1];
    });
    it('starts from a configuration with the WASM kernel', () => {
      expect(configureCpu({ wasm: true }).wasm).toBe(true);
    });

    for (const [name, spec] of Object.entries(CELLS)) {
      it(`LSTM, ${name}: output and every gradient`, () => {
        configureCpu({ wasm: true });
        fc.assert(
          fc.property(sizes, fc.nat(1000), (s, seed) => {
            const calls = wasmInternals.calls;
            const got = lstm(spec, s, 'float32', seed);
            // one product per step each way, plus the weight's and the bias's gradients
            expect(wasmInternals.calls - calls).toBe(2 * s.T + 2);
            expectClose(got, lstm(spec, s, 'float64', seed), TOL, `${name} ${JSON.stringify(s)}`);
          }),
          { numRuns: 25 },
        );
      });
    }

    it('GRU: output and every gradient', () => {
      configureCpu({ wasm: true });
      fc.assert(
        fc.property(sizes, fc.nat(1000), (s, seed) => {
          const calls = wasmInternals.calls;
          const got = gru(s, 'float32', seed);
          expect(wasmInternals.calls - calls).toBe(2 * s.T + 2);
          expectClose(got, gru(s, 'float64', seed), TOL, `GRU ${JSON.stringify(s)}`);
        }),
        { numRuns: 40 },
      );
    });
  });
}

describe('fused kernels on the WASM kernel: inference (nothing kept for a backward)', () => {
  /** The forward's output with and without keeping its activations, and what each returned. */
  function both(forward: (out: Float32Array, keep: boolean) => unknown, size: number) {
    const [kept, inferred] = [new Float32Array(size), new Float32Array(size)];
    return { kept, inferred, savedKept: forward(kept, true), savedInferred: forward(inferred, false) };
  }
  const f32 = (n: number, seed: number, scale = 1) => Float32Array.from(values(n, seed, scale));

  for (const [name, spec] of Object.entries(CELLS))
    it(`LSTM, ${name}: the same output, bit for bit, and nothing saved`, () => {
      configureCpu({ wasm: true });
      fc.assert(
        fc.property(sizes, fc.nat(1000), ({ T, B, H }, seed) => {
          const GH = gateCount(spec) * H;
          const P = (spec.peepI >= 0 ? 1 : 0) + (spec.peepF >= 0 ? 1 : 0) + (spec.peepO >= 0 ? 1 : 0);
          const ins = [
            f32(T * B * GH, seed, 2),
            f32(GH * H, seed + 1, 0.8),
            f32(GH, seed + 2),
            f32(B * H, seed + 3),
            f32(B * H, seed + 4),
          ] as const;
          const peep = P ? f32(P * H, seed + 5) : null;
          const r = both((out, keep) => lstmForward(...ins, peep, out, 'float32', { T, B, H }, spec, keep), (T + 1) * B * H);
          expect(r.savedInferred).toBeNull();
          expect(r.savedKept).not.toBeNull();
          expect(r.inferred).toEqual(r.kept);
        }),
        { numRuns: 20 },
      );
    });

  it('GRU: the same output, bit for bit, and nothing saved', () => {
    configureCpu({ wasm: true });
    fc.assert(
      fc.property(sizes, fc.nat(1000), ({ T, B, H }, seed) => {
        const ins = [f32(T * B * 3 * H, seed, 2), f32(3 * H * H, seed + 1, 0.8), f32(3 * H, seed + 2), f32(B * H, seed + 3)] as const;
        const r = both((out, keep) => gruForward(...ins, out, 'float32', { T, B, H }, keep), T * B * H);
        expect(r.savedInferred).toBeNull();
        expect(r.inferred).toEqual(r.kept);
      }),
      { numRuns: 30 },
    );
  });

  it('with WASM off, the TypeScript loops run (and keep their state) for the same output', () => {
    const { T, B, H } = { T: 3, B: 2, H: 5 };
    const ins = [f32(T * B * 3 * H, 1, 2), f32(3 * H * H, 2, 0.8), f32(3 * H, 3), f32(B * H, 4)] as const;
    configureCpu({ wasm: true });
    const { kept } = both((out, keep) => gruForward(...ins, out, 'float32', { T, B, H }, keep), T * B * H);
    configureCpu({ wasm: false });
    const ts = new Float32Array(T * B * H);
    expect(gruForward(...ins, ts, 'float32', { T, B, H }, false)).not.toBeNull();
    expect(relErr(ts, kept)).toBeLessThan(TOL);
    configureCpu(initial);
  });
});

describe('fused kernels on the WASM kernel: threads, and switching kernels between forward and backward', () => {
  it('at W2-like sizes (a product split across threads, H a multiple of the tile)', () => {
    configureCpu({ wasm: true, threads: 2 });
    const s = { T: 3, B: 32, H: 64 };
    expectClose(lstm(CELLS.torch!, s, 'float32', 1), lstm(CELLS.torch!, s, 'float64', 1), 1e-4, 'LSTM');
    expectClose(gru(s, 'float32', 2), gru(s, 'float64', 2), 1e-4, 'GRU');
    configureCpu(initial);
  });

  it('with WASM off, float32 runs the TypeScript loops; either backward follows either forward', () => {
    const s = { T: 4, B: 5, H: 7 };
    const spec = CELLS['coupled, peepholes on i and o (CIFG)']!;
    const lstmRef = lstm(spec, s, 'float64', 3);
    const gruRef = gru(s, 'float64', 3);
    configureCpu({ wasm: false });
    const calls = wasmInternals.calls;
    expectClose(lstm(spec, s, 'float32', 3), lstmRef, TOL, 'LSTM, TypeScript float32');
    expectClose(gru(s, 'float32', 3), gruRef, TOL, 'GRU, TypeScript float32');
    expect(wasmInternals.calls).toBe(calls);
    // forward on the TypeScript loops, backward on WASM, and the other way round
    expectClose(
      lstm(spec, s, 'float32', 3, () => configureCpu({ wasm: true })),
      lstmRef,
      TOL,
      'LSTM, TS then WASM',
    );
    expectClose(
      gru(s, 'float32', 3, () => configureCpu({ wasm: false })),
      gruRef,
      TOL,
      'GRU, WASM then TS',
    );
    configureCpu({ wasm: true });
    expectClose(
      lstm(spec, s, 'float32', 3, () => configureCpu({ wasm: false })),
      lstmRef,
      TOL,
      'LSTM, WASM then TS',
    );
    configureCpu(initial);
  });
});
