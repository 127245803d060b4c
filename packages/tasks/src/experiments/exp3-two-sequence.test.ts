import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLearner } from '../learners/index.js';
import { Rng } from '../rng.js';
import {
  EXP3_NET,
  exp3Experiment,
  gaussian,
  RULES,
  type TwoSequenceTrialResult,
  twoSequence,
  twoSequenceNoisyTargets,
  twoSequenceSample,
  twoSequenceTables,
} from './exp3-two-sequence.js';

const variance = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, variance: xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length };
};

describe('Experiment 3 generator', () => {
  it('has length uniform in [T, T + T/10], N signal elements ±1 (3a/3c), the class’s target', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom('3a', '3c') as fc.Arbitrary<'3a' | '3c'>,
        fc.integer({ min: 10, max: 300 }),
        fc.constantFrom(1, 3),
        (seed, v, T, N) => {
          const s = twoSequenceSample(new Rng(seed), v, T, N);
          expect(s.xs.length).toBeGreaterThanOrEqual(T);
          expect(s.xs.length).toBeLessThanOrEqual(T + Math.floor(T / 10));
          for (let t = 0; t < N; t++) expect(s.xs[t]![0]).toBe(s.cls === 1 ? 1 : -1);
          expect(s.clean).toBe(v === '3a' ? (s.cls === 1 ? 1 : 0) : s.cls === 1 ? 0.2 : 0.8);
          if (v === '3a') expect(s.target).toBe(s.clean);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('takes every length from T to T + T/10 and both classes with probability ½', () => {
    const rng = new Rng(9);
    const lengths = new Set<number>();
    let class1 = 0;
    for (let i = 0; i < 2000; i++) {
      const s = twoSequenceSample(rng, '3a', 100, 1);
      lengths.add(s.xs.length);
      if (s.cls === 1) class1++;
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => 100 + i));
    expect(Math.abs(class1 / 2000 - 0.5)).toBeLessThan(0.04);
  });

  it('draws noise of mean 0, variance 0.2 after N; 3b adds it to the first N; 3c’s targets have variance 0.1', () => {
    const rng = new Rng(4);
    const later: number[] = [];
    const first: number[] = [];
    const targetNoise: number[] = [];
    for (let i = 0; i < 400; i++) {
      const b = twoSequenceSample(rng, '3b', 50, 3);
      for (const x of b.xs.slice(3)) later.push(x[0]!);
      for (const x of b.xs.slice(0, 3)) first.push(x[0]! - (b.cls === 1 ? 1 : -1));
      const c = twoSequenceSample(rng, '3c', 50, 3);
      targetNoise.push(c.target - c.clean);
    }
    const l = variance(later);
    expect(Math.abs(l.mean)).toBeLessThan(0.02);
    expect(Math.abs(l.variance - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(variance(first).variance - 0.2)).toBeLessThan(0.05);
    expect(Math.abs(variance(targetNoise).variance - 0.1)).toBeLessThan(0.025);
    const g = Array.from({ length: 20000 }, () => gaussian(rng));
    expect(Math.abs(variance(g).variance - 1)).toBeLessThan(0.04);
  });

  it('classifies by the paper’s thresholds', () => {
    expect(RULES['3a'].misclassified(0.19)).toBe(false);
    expect(RULES['3a'].misclassified(0.2)).toBe(true);
    expect(RULES['3b'].maxWrong).toBe(6);
    expect(RULES['3c'].misclassified(0.1)).toBe(false);
    expect(RULES['3c'].misclassified(0.11)).toBe(true);
    expect([RULES['3a'].meanError, RULES['3b'].meanError, RULES['3c'].meanError]).toEqual([0.01, 0.04, 0.015]);
  });
});

describe('Experiment 3 net and protocol', () => {
  it('has 102 weights and the paper’s gate biases', () => {
    const net = createLearner('lstm1997', { inputSize: 1, outputSize: 1, lr: 1, seed: 1 }, { lstm1997: EXP3_NET, hidden: 8 });
    expect(net.numWeights).toBe(102);
  });

  it('registers every row of Tables 4–6 and `3a`, `3b`, `3c`', () => {
    expect(twoSequenceTables.map((e) => e.id)).toEqual([
      '3a-t100-n3',
      '3a-t100-n1',
      '3a-t1000-n3',
      '3b-t100-n3',
      '3b-t100-n1',
      '3b-t1000-n1',
      '3c-t100-n3',
      '3c-t100-n1',
    ]);
    expect(twoSequence.paper.map((r) => r.sequences)).toEqual([27_380, 39_850]);
    expect(twoSequenceNoisyTargets.defaults.lr).toBe(0.1);
  });

  it('runs a short trial of lstm1997 and of a BPTT baseline', () => {
    for (const [variant, model, budget] of [
      ['3a', 'lstm1997', 600],
      ['3c', 'lstm1997', 300],
      ['3b', 'elman', 30],
    ] as const) {
      const exp = exp3Experiment(variant, 20, 3, { finalTestSize: 100, freshTestSets: variant === '3c' });
      const r = exp.runTrial(model, { seed: 3, maxSequences: budget }) as TwoSequenceTrialResult;
      expect(r.aborted).toBe(false);
      expect(r.sequences).toBeLessThanOrEqual(budget);
      expect(r.success || r.sequences === budget).toBe(true);
      if (r.success) expect(r.sequences % 100).toBe(0);
      if (r.st1Sequences !== null) expect(r.st1Sequences).toBeLessThanOrEqual(r.sequences);
      expect(r.testError).toBeGreaterThanOrEqual(0);
      expect(r.testError).toBeLessThanOrEqual(1);
      expect(r.testMeanError).toBeGreaterThanOrEqual(0);
    }
  });
});
