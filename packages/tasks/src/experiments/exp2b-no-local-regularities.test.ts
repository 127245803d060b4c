import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { lagCorrect } from './exp2-protocol.js';
import { xOf, yOf } from './exp2a-long-lags.js';
import { exp2bExperiment, noLocalRegularities, noLocalRegularitySequence, noLocalRegularityTask } from './exp2b-no-local-regularities.js';

describe('Experiment 2b generator', () => {
  it('draws (c, a_{i1}, …, a_{i(p−1)}, c) with c ∈ {x, y} and 1 ≤ i_j ≤ p − 1', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 120 }), (seed, p) => {
        const s = noLocalRegularitySequence(new Rng(seed), p);
        expect(s).toHaveLength(p + 1);
        expect([xOf(p), yOf(p)]).toContain(s[0]);
        expect(s.at(-1)).toBe(s[0]);
        for (const a of s.slice(1, -1)) expect(a >= 0 && a <= p - 2 && Number.isInteger(a)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('draws the classes with probability ½ and the middle symbols uniformly', () => {
    const rng = new Rng(5);
    const p = 11;
    const n = 3000;
    const counts = new Array(p - 1).fill(0);
    let x = 0;
    for (let i = 0; i < n; i++) {
      const s = noLocalRegularitySequence(rng, p);
      if (s[0] === xOf(p)) x++;
      for (const a of s.slice(1, -1)) counts[a]++;
    }
    expect(Math.abs(x / n - 0.5)).toBeLessThan(0.03);
    const expected = (n * (p - 1)) / (p - 1);
    for (const c of counts) expect(Math.abs(c / expected - 1)).toBeLessThan(0.06);
  });

  it('has a target at every step but judges only the last (ABS(0.25) at the sequence end)', () => {
    const task = noLocalRegularityTask(5);
    const s = task.sample(new Rng(2));
    expect(s.targets.every((t) => t !== null)).toBe(true);
    const ys = s.targets.map((t) => Float64Array.from(t!, (v) => (v ? 0.9 : 0.1)));
    ys[0]!.fill(0.5); // wrong in the middle: does not matter
    expect(lagCorrect(task, ys, s.targets)).toBe(true);
    ys.at(-1)!.fill(0.5);
    expect(lagCorrect(task, ys, s.targets)).toBe(false);
  });
});

describe('Experiment 2b protocol', () => {
  it('is registered as 2b with the paper’s LSTM result', () => {
    expect(noLocalRegularities.id).toBe('2b');
    expect(noLocalRegularities.paper[0]).toMatchObject({ successRate: 100, sequences: 5680 });
  });

  it('runs a short trial with a small success test', () => {
    const exp = exp2bExperiment(5, { window: 10, tolerance: 0.05 }, { testSize: 50, failTestSize: 20 });
    const r = exp.runTrial('lstm1997', { seed: 4, maxSequences: 400 });
    expect(r.aborted).toBe(false);
    expect(r.sequences).toBeLessThanOrEqual(400);
    expect(r.success || r.sequences === 400).toBe(true);
    expect(r.testError).toBeGreaterThanOrEqual(0);
    expect(r.testError).toBeLessThanOrEqual(1);
    expect((r as { grownAt?: number | null }).grownAt).not.toBeUndefined();
    expect(r.curve.length).toBe(Math.floor(r.sequences / 500));
  });
});
