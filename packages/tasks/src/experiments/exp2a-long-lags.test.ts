import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { lagCorrect, weightMatchedHidden } from './exp2-protocol.js';
import {
  EXP2AB_NET,
  exp2abLearner,
  exp2aExperiment,
  grownLstm1997,
  noiseFreeLongLags,
  noiseFreeSequence,
  noiseFreeTask,
  xOf,
  yOf,
} from './exp2a-long-lags.js';

describe('Experiment 2a generator', () => {
  it('draws (c, a_1, …, a_{p−1}, c) with c ∈ {x, y}', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 120 }), (seed, p) => {
        const s = noiseFreeSequence(new Rng(seed), p);
        expect(s).toHaveLength(p + 1);
        expect([xOf(p), yOf(p)]).toContain(s[0]);
        expect(s.at(-1)).toBe(s[0]);
        expect(s.slice(1, -1)).toEqual(Array.from({ length: p - 1 }, (_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('draws x and y with probability ½ each', () => {
    const rng = new Rng(3);
    const n = 4000;
    let x = 0;
    for (let i = 0; i < n; i++) if (noiseFreeSequence(rng, 10)[0] === xOf(10)) x++;
    expect(Math.abs(x / n - 0.5)).toBeLessThan(0.03);
  });

  it('reads the first p symbols and predicts the next one at every step; its set is the two sequences', () => {
    const p = 6;
    const task = noiseFreeTask(p);
    const s = task.sample(new Rng(1));
    expect(s.xs).toHaveLength(p);
    expect(s.targets).toHaveLength(p);
    const index = (v: Float64Array) => v.indexOf(1);
    // target t is input t + 1; the last target repeats the first input
    for (let t = 0; t + 1 < p; t++) expect(index(s.targets[t]!)).toBe(index(s.xs[t + 1]!));
    expect(index(s.targets[p - 1]!)).toBe(index(s.xs[0]!));
    expect(task.all!.map((a) => index(a.xs[0]!))).toEqual([xOf(p), yOf(p)]);
    for (const v of [...s.xs, ...(s.targets as Float64Array[])]) expect(v.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('judges ABS(0.25) at every step', () => {
    const task = noiseFreeTask(3);
    const { xs, targets } = task.all![0]!;
    const perfect = targets.map((t) => Float64Array.from(t!, (v) => (v ? 0.8 : 0.2)));
    expect(lagCorrect(task, perfect, targets)).toBe(true);
    perfect[0]![0] = 0.5; // one output at the first step is off by 0.3
    expect(lagCorrect(task, perfect, targets)).toBe(false);
    expect(xs).toHaveLength(3);
  });
});

describe('Experiment 2a/2b net', () => {
  it('has the paper’s weight counts (10504 for p = 100; RTRL-size nets for p = 4: 40)', () => {
    expect(exp2abLearner('lstm1997', 100, 1, 1).numWeights).toBe(10504);
    expect(exp2abLearner('lstm1997-static', 100, 1, 1).numWeights).toBe(10504);
    expect(exp2abLearner('lstm1997', 4, 1, 1).numWeights).toBe(5 * 6 + 5 + 5);
  });

  it('sizes the baselines by weight count (Elman with 42 hidden units for p = 100)', () => {
    expect(weightMatchedHidden(10504, 101, 101)).toBe(42);
    const elman = exp2abLearner('elman', 100, 1, 1);
    expect(Math.abs(elman.numWeights - 10504)).toBeLessThan(300);
  });

  it('adds the memory cell once the training loss stops decreasing, keeping the trained input→output weights', () => {
    const p = 4;
    const task = noiseFreeTask(p);
    const rng = new Rng(2);
    const learner = grownLstm1997({ inputSize: p + 1, outputSize: p + 1, lr: 1, seed: 2 }, EXP2AB_NET, { window: 5, tolerance: 0.05 });
    expect(learner.grownAt).toBeNull();
    let before: Float64Array[] = [];
    for (let i = 0; i < 2000 && learner.grownAt === null; i++) {
      before = learner.predict(task.all![0]!.xs);
      const s = task.sample(rng);
      learner.train(s.xs, s.targets);
    }
    expect(learner.grownAt).toBeGreaterThan(0);
    expect(learner.grownAt! % 5).toBe(0);
    // at the first step the cell holds only one increment, so outputs move only a little
    const after = learner.predict(task.all![0]!.xs);
    for (let k = 0; k <= p; k++) expect(Math.abs(after[0]![k]! - before[0]![k]!)).toBeLessThan(0.2);
  });
});

describe('Experiment 2a protocol', () => {
  it('is registered as 2a with Table 2’s p = 100 rows', () => {
    expect(noiseFreeLongLags.id).toBe('2a');
    expect(noiseFreeLongLags.paper.map((r) => r.sequences)).toContain(5040);
    expect(noiseFreeLongLags.defaults).toMatchObject({ lr: 1, maxSequences: 5_000_000, trials: 18 });
  });

  it('runs a short trial of the grown LSTM and of a BPTT baseline', () => {
    const exp = exp2aExperiment(4, { window: 10, tolerance: 0.05 });
    for (const [model, budget] of [
      ['lstm1997', 600],
      ['elman', 30],
    ] as const) {
      const r = exp.runTrial(model, { seed: 1, maxSequences: budget });
      expect(r.seed).toBe(1);
      expect(r.aborted).toBe(false);
      expect(r.sequences).toBeGreaterThan(0);
      expect(r.sequences).toBeLessThanOrEqual(budget);
      expect(r.success || r.sequences === budget).toBe(true);
      expect(r.testError).toBeGreaterThanOrEqual(0);
      expect(r.testError).toBeLessThanOrEqual(1);
      for (const [s, e] of r.curve) {
        expect(s).toBeLessThanOrEqual(r.sequences);
        expect(Number.isFinite(e)).toBe(true);
      }
    }
  });

  it('stops at an abort', () => {
    const abort = new AbortController();
    abort.abort();
    const r = exp2aExperiment(4).runTrial('lstm1997', { seed: 1, maxSequences: 100, signal: abort.signal });
    expect(r).toMatchObject({ aborted: true, success: false, sequences: 0 });
  });
});
