import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLearner } from '../learners/index.js';
import { Rng } from '../rng.js';
import {
  EXP2C_NET,
  exp2cExperiment,
  exp2cSymbols,
  TABLE3,
  veryLongLagSequence,
  veryLongLags,
  veryLongLagTask,
} from './exp2c-very-long-lags.js';

describe('Experiment 2c generator', () => {
  it('draws (b, c, q + k distractors, e, c) with c ∈ {x, y}', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 60 }), (seed, q, p) => {
        const s = veryLongLagSequence(new Rng(seed), q, p);
        const { e, b, x, y } = exp2cSymbols(p);
        expect(s.length).toBeGreaterThanOrEqual(q + 4);
        expect(s[0]).toBe(b);
        expect([x, y]).toContain(s[1]);
        expect(s.at(-1)).toBe(s[1]);
        expect(s.at(-2)).toBe(e);
        for (const a of s.slice(2, -2)) expect(a >= 0 && a < p).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('has lengths q + 4 + k with P(k) = (1/10)(9/10)^k: mean q + 13, P(k = 0) = 1/10', () => {
    const rng = new Rng(7);
    const q = 20;
    const n = 20_000;
    let sum = 0;
    let shortest = 0;
    for (let i = 0; i < n; i++) {
      const L = veryLongLagSequence(rng, q, 5).length;
      sum += L;
      if (L === q + 4) shortest++;
    }
    // sd of k is √90 ≈ 9.5, so the mean of 20,000 has sd ≈ 0.07
    expect(Math.abs(sum / n - (q + 13))).toBeLessThan(0.3);
    expect(Math.abs(shortest / n - 0.1)).toBeLessThan(0.01);
  });

  it('draws distractors uniformly over all p of them, also when p > q', () => {
    const rng = new Rng(1);
    const p = 40;
    const counts = new Array(p).fill(0);
    for (let i = 0; i < 2000; i++) for (const a of veryLongLagSequence(rng, 5, p).slice(2, -2)) counts[a]++;
    const total = counts.reduce((a, b) => a + b, 0);
    for (const c of counts) expect(Math.abs(c / (total / p) - 1)).toBeLessThan(0.2);
  });

  it('has one target, at the trigger: x → [1, 0], y → [0, 1]', () => {
    const task = veryLongLagTask(10, 10);
    const rng = new Rng(3);
    const { x, e } = exp2cSymbols(10);
    for (let i = 0; i < 50; i++) {
      const s = task.sample(rng);
      expect(s.targets.slice(0, -1).every((t) => t === null)).toBe(true);
      expect(s.xs.at(-1)!.indexOf(1)).toBe(e);
      const second = s.xs[1]!.indexOf(1);
      expect([...s.targets.at(-1)!]).toEqual(second === x ? [1, 0] : [0, 1]);
    }
  });
});

describe('Experiment 2c net and protocol', () => {
  it('has 6p + 64 weights for every row of Table 3', () => {
    for (const { p } of TABLE3) {
      const net = createLearner('lstm1997', { inputSize: p + 4, outputSize: 2, lr: 0.01, seed: 1 }, { lstm1997: EXP2C_NET, hidden: 6 });
      expect(net.numWeights).toBe(6 * p + 64);
    }
  });

  it('keeps `2c` as Table 3’s first row', () => {
    expect(veryLongLags.id).toBe('2c');
    expect(veryLongLags.paper).toEqual([{ label: 'LSTM q50 p50 (364 w.)', sequences: 30_000 }]);
    expect(veryLongLags.defaults).toMatchObject({ lr: 0.01, maxSequences: 5_000_000, trials: 20 });
    expect(exp2cExperiment(1000, 50).id).toBe('2c-q1000-p50');
  });

  it('runs a short trial of lstm1997 and of a BPTT baseline', () => {
    const exp = exp2cExperiment(8, 8, { testSize: 100, failTestSize: 50 });
    for (const [model, budget] of [
      ['lstm1997', 500],
      ['gru', 10],
    ] as const) {
      const r = exp.runTrial(model, { seed: 2, maxSequences: budget });
      expect(r.aborted).toBe(false);
      expect(r.sequences).toBeLessThanOrEqual(budget);
      expect(r.success || r.sequences === budget).toBe(true);
      expect(r.testError).toBeGreaterThanOrEqual(0);
      expect(r.testError).toBeLessThanOrEqual(1);
      expect(r.curve.every(([s, e]) => s % 1000 === 0 && Number.isFinite(e))).toBe(true);
    }
  });
});
