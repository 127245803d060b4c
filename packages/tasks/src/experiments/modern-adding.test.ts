import { tensor } from '@carousel/autograd';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import {
  ADDING_BASELINE_MSE,
  ADDING_SOLVED_MSE,
  MODERN_ADDING_TRAINING,
  modernAdding,
  modernAddingSequence,
  modernAddingTask,
} from './modern-adding.js';
import { runModernTrial } from './modern-common.js';

describe('modern adding-problem generator (spec §6)', () => {
  it('has fixed length T, values in [0, 1], exactly two marks (one per half) and their sum as target', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(100, 200, 400, 750), (seed, T) => {
        const s = modernAddingSequence(new Rng(seed), T);
        expect(s.values.length).toBe(T);
        expect(s.indicator.length).toBe(T);
        expect(s.values.every((v) => v >= 0 && v <= 1)).toBe(true);
        const ones = [...s.indicator.keys()].filter((t) => s.indicator[t] === 1);
        expect(ones).toEqual(s.marked);
        expect(s.indicator.filter((v) => v === 0).length).toBe(T - 2);
        expect(s.marked[0]).toBeLessThan(T / 2);
        expect(s.marked[1]).toBeGreaterThanOrEqual(T / 2);
        expect(s.marked[1]).toBeLessThan(T);
        expect(s.target).toBe(s.values[s.marked[0]]! + s.values[s.marked[1]]!);
      }),
      { numRuns: 100 },
    );
    expect(() => modernAddingSequence(new Rng(1), 101)).toThrow(/even/);
  });

  it('lays batches out time-major and has the 1/6 baseline of always answering 1', () => {
    const task = modernAddingTask(10);
    const b = task.batch(new Rng(2), 3);
    const again = new Rng(2);
    for (let i = 0; i < 3; i++) {
      const s = modernAddingSequence(again, 10);
      for (let t = 0; t < 10; t++) expect([b.x[(t * 3 + i) * 2], b.x[(t * 3 + i) * 2 + 1]]).toEqual([s.values[t], s.indicator[t]]);
      expect(b.y[i]).toBe(s.target);
    }
    // the loss reads the last step only: outputs of 1 there give the baseline's MSE
    const big = task.batch(new Rng(3), 20_000);
    const out = new Float64Array(10 * 20_000).fill(5);
    out.fill(1, 9 * 20_000);
    const mse = task.loss(tensor(out, { shape: [10, 20_000, 1], dtype: 'float64' }), big).item() as number;
    expect(mse).toBeCloseTo(ADDING_BASELINE_MSE, 2);
    expect(task.evaluate(tensor(out, { shape: [10, 20_000, 1], dtype: 'float64' }), big).solved).toBe(false);
  });

  it('uses RMSprop-trained zoo models with a solved threshold well below the baseline', () => {
    expect(modernAdding).toMatchObject({ id: 'adding-modern', defaults: { model: 'lstm', lr: 1e-3 } });
    expect(modernAdding.models).toContain('gru');
    expect(modernAdding.models).not.toContain('lstm1997');
    expect(ADDING_SOLVED_MSE).toBeLessThan(ADDING_BASELINE_MSE / 10);
    expect(MODERN_ADDING_TRAINING.batchSize).toBe(20);
  });

  it('runs a CI-sized trial to a well-formed result', () => {
    const cfg = { ...MODERN_ADDING_TRAINING, hidden: 4, batchSize: 4, testSize: 8, evalEvery: 8 };
    const progress: number[] = [];
    const r = runModernTrial(modernAddingTask(8), 'lstm', { seed: 1, maxSequences: 16, onProgress: (s) => progress.push(s) }, 1e-3, cfg);
    expect(r).toMatchObject({ seed: 1, sequences: 16, aborted: false });
    expect(progress).toEqual([8, 16]);
    expect(r.curve.map(([s]) => s)).toEqual([8, 16]);
    expect(r.curve.every(([, l]) => Number.isFinite(l) && l >= 0)).toBe(true);
    expect(Number.isFinite(r.testError) && r.testError >= 0).toBe(true);
    expect(typeof r.success).toBe('boolean');
    const again = runModernTrial(modernAddingTask(8), 'lstm', { seed: 1, maxSequences: 16 }, 1e-3, cfg);
    expect(again).toEqual(r);
  });
});
