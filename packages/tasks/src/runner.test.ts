import { ValueError } from '@carousel/autograd';
import { describe, expect, it } from 'vitest';
import type { TrialResult } from './experiment.js';
import { mean, median, planRun, runExperiment, summarize } from './runner.js';

const trial = (seed: number, success: boolean, sequences: number, testError: number, aborted = false): TrialResult => ({
  seed,
  success,
  sequences,
  testError,
  curve: [[sequences, testError]],
  aborted,
});

describe('summary math', () => {
  it('mean and median, NaN when empty', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mean([])).toBeNaN();
    expect(median([])).toBeNaN();
  });

  it('success rate over finished trials, sequences over the solved ones, test error over all', () => {
    const plan = planRun('reber', { trials: 5, maxSequences: 10_000 });
    const s = summarize(plan, [
      trial(4, false, 10_000, 0.5),
      trial(1, true, 3000, 0),
      trial(3, true, 9000, 0),
      trial(2, true, 4000, 0.1),
      trial(5, false, 200, 0.9, true), // aborted: left out
    ]);
    expect(s.trials.map((t) => t.seed)).toEqual([1, 2, 3, 4]);
    expect(s.successRate).toBe(75);
    expect(s.meanSequences).toBeCloseTo(16_000 / 3);
    expect(s.medianSequences).toBe(4000);
    expect(s.meanTestError).toBeCloseTo(0.6 / 4);
    expect(s).toMatchObject({ experiment: 'reber', model: 'lstm1997', lr: 0.5, maxSequences: 10_000 });
  });

  it('no trials, or none solved: NaN where nothing to average', () => {
    const plan = planRun('reber');
    expect(summarize(plan, []).successRate).toBeNaN();
    const s = summarize(plan, [trial(1, false, 100, 1)]);
    expect(s.successRate).toBe(0);
    expect(s.meanSequences).toBeNaN();
    expect(s.medianSequences).toBeNaN();
    expect(s.meanTestError).toBe(1);
  });
});

describe('planRun', () => {
  it("fills in the experiment's defaults", () => {
    expect(planRun('reber')).toMatchObject({ model: 'lstm1997', trials: 30, seed: 1, maxSequences: 100_000, lr: 0.5 });
    expect(planRun('reber', { model: 'gru', trials: 2, seed: 0, lr: 0.1 })).toMatchObject({ model: 'gru', trials: 2, seed: 0, lr: 0.1 });
  });

  it('rejects bad input with a ValueError naming it', () => {
    expect(() => planRun('nope')).toThrow(/unknown experiment 'nope'/);
    expect(() => planRun('reber', { model: 'transformer' })).toThrow(/no model 'transformer'; available: lstm1997/);
    for (const bad of [
      { trials: 0 },
      { trials: 1.5 },
      { maxSequences: -1 },
      { seed: -1 },
      { seed: Number.NaN },
      { lr: 0 },
      { lr: Infinity },
    ])
      expect(() => planRun('reber', bad)).toThrow(ValueError);
  });
});

describe('runExperiment (in-process)', () => {
  it('runs trials in seed order and stops at once when aborted', () => {
    const done: number[] = [];
    const s = runExperiment('reber', { trials: 2, maxSequences: 1000, onTrial: (_, k) => done.push(k) });
    expect(done).toEqual([0, 1]);
    expect(s.trials.map((t) => t.seed)).toEqual([1, 2]);
    const abort = new AbortController();
    abort.abort();
    expect(runExperiment('reber', { trials: 2, maxSequences: 1000, signal: abort.signal }).trials).toEqual([]);
  });
});
