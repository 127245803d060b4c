// Shared by the recurrent layers' tests (not part of the package's API).
import { concat, setSeed, stack, type Tensor, tidy } from '@carousel/autograd';
import { closeMismatch, gradcheck } from '@carousel/autograd/testing';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Module } from '../module.js';

/** Generous per-test limit: these run many float64 forwards and the CPU may be shared. */
export const SLOW = 60_000;

/** Runs `fn` with the module's named parameter fields swapped for `ps` (gradcheck through forward). */
export function withParams<T>(m: Module, names: string[], ps: readonly Tensor[], fn: () => T): T {
  const rec = m as unknown as Record<string, Tensor>;
  const saved = names.map((n) => rec[n]!);
  names.forEach((n, i) => {
    rec[n] = ps[i]!;
  });
  try {
    return fn();
  } finally {
    names.forEach((n, i) => {
      rec[n] = saved[i]!;
    });
  }
}

/** All tensors flattened into one vector (missing ones skipped). */
export const flat = (ts: (Tensor | undefined)[]) =>
  concat(
    ts.filter((t): t is Tensor => t !== undefined).map((t) => t.reshape([-1])),
    0,
  );

/** Runs `fn` right after `setSeed(seed)`. */
export const seeded = <T>(seed: number, fn: () => T): T => {
  setSeed(seed);
  return fn();
};

/** Same shape (or both missing) and every element within `tol`. */
export const expectClose = (ours: Tensor | undefined, theirs: Tensor | undefined, what: string, tol = 1e-12) => {
  expect(ours?.shape, what).toEqual(theirs?.shape);
  if (ours && theirs) expect(closeMismatch(ours, theirs, { atol: tol, rtol: tol }), what).toBeNull();
};

/** Small layer configurations: I, H ∈ minH..3, T ∈ 1..4, B ∈ 1..2, 1–2 layers, uni/bidirectional, with or without biases. */
export const layerConfigArb = (minH = 1) =>
  fc.record({
    I: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: minH, max: 3 }),
    T: fc.integer({ min: 1, max: 4 }),
    B: fc.integer({ min: 1, max: 2 }),
    numLayers: fc.integer({ min: 1, max: 2 }),
    bidirectional: fc.boolean(),
    bias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  });
export type LayerConfig = typeof layerConfigArb extends (minH?: number) => fc.Arbitrary<infer C> ? C : never;

/** A layer with one hidden state `h` (GRU, RNN), as the shared properties below drive it. */
export interface HiddenStateLayer extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  forward(x: Tensor, state?: { h?: Tensor }): { output: Tensor; state: { h: Tensor } };
}

/**
 * A reference over every layer and direction, from a one-direction unroll `direction(suffix, xs,
 * h0)` (suffix: the state-dict name suffix, `_l0`, `_l0_reverse`, …): the reverse direction reads
 * the sequence backwards, and a layer's input is the previous layer's outputs, directions concatenated.
 */
export function unrollLayers(
  m: HiddenStateLayer,
  x: Tensor,
  h0: Tensor,
  direction: (suffix: string, xs: Tensor[], h0: Tensor) => { outs: Tensor[]; h: Tensor },
): { output: Tensor; h: Tensor } {
  const D = m.bidirectional ? 2 : 1;
  let xs = Array.from({ length: x.shape[0]! }, (_, t) => x.slice([t]));
  const hs: Tensor[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const perDir: Tensor[][] = [];
    for (let d = 0; d < D; d++) {
      const r = direction(`_l${l}${d === 1 ? '_reverse' : ''}`, d === 1 ? [...xs].reverse() : xs, h0.slice([l * D + d]));
      perDir.push(d === 1 ? r.outs.reverse() : r.outs);
      hs.push(r.h);
    }
    xs = xs.map((_, t) => (D === 1 ? perDir[0]![t]! : concat([perDir[0]![t]!, perDir[1]![t]!], -1)));
  }
  return { output: stack(xs), h: stack(hs) };
}

/**
 * The two properties every hidden-state layer passes over fast-check-drawn sizes: float64
 * gradcheck end to end w.r.t. the input, the initial state and every parameter; and equality
 * with its hand-unrolled `reference`.
 */
export function hiddenStateLayerProperties<C, M extends HiddenStateLayer>(
  arb: fc.Arbitrary<C>,
  build: (cfg: C) => { m: M; x: Tensor; h0: Tensor },
  reference: (m: M, x: Tensor, h0: Tensor) => { output: Tensor; h: Tensor },
  seeds: { gradcheck: number; gradcheckRuns: number; reference: number },
): void {
  it(
    'passes float64 gradcheck w.r.t. input, initial state and every parameter',
    () => {
      fc.assert(
        fc.property(arb, (cfg) => {
          tidy(() => {
            const { m, x, h0 } = build(cfg);
            const names = m.namedParameters().map(([n]) => n);
            const f = (xi: Tensor, hi: Tensor, ...ps: Tensor[]) =>
              withParams(m, names, ps, () => {
                const r = m.forward(xi, { h: hi });
                return flat([r.output, r.state.h]);
              });
            gradcheck(f, [x, h0, ...m.parameters().map((p) => p.detach())]);
          });
        }),
        { seed: seeds.gradcheck, numRuns: seeds.gradcheckRuns },
      );
    },
    SLOW,
  );

  it(
    'equals the hand-unrolled composite',
    () => {
      fc.assert(
        fc.property(arb, (cfg) => {
          tidy(() => {
            const { m, x, h0 } = build(cfg);
            const ours = m.forward(x, { h: h0 });
            const ref = reference(m, x, h0);
            expectClose(ours.output, ref.output, 'output');
            expectClose(ours.state.h, ref.h, 'h');
          });
        }),
        { seed: seeds.reference, numRuns: 15 },
      );
    },
    SLOW,
  );
}
