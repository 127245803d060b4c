import { tensor } from '@carousel/autograd';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { runModernTrial } from './modern-common.js';
import { BLANK, COPY_TRAINING, copyBaseline, copyMemory, copySequence, copyTask, DELIMITER } from './modern-copy.js';

describe('copy-memory generator (spec §6)', () => {
  it('reads 10 symbols of a0–a7, T − 1 blanks, the delimiter, 10 blanks; answers T + 10 blanks then the symbols', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(1, 10, 100, 200, 500), (seed, T) => {
        const { input, target } = copySequence(new Rng(seed), T);
        expect(input.length).toBe(T + 20);
        expect(target.length).toBe(T + 20);
        const data = [...input.slice(0, 10)];
        expect(data.every((s) => s >= 0 && s < 8)).toBe(true);
        expect([...input.slice(10, T + 9)].every((s) => s === BLANK)).toBe(true);
        expect(input[T + 9]).toBe(DELIMITER);
        expect([...input.slice(T + 10)].every((s) => s === BLANK)).toBe(true);
        expect([...target.slice(0, T + 10)].every((s) => s === BLANK)).toBe(true);
        expect([...target.slice(T + 10)]).toEqual(data);
      }),
      { numRuns: 100 },
    );
  });

  it('one-hot batches, and a cross-entropy whose memoryless value is 10·ln 8/(T + 20)', () => {
    const T = 30;
    const L = T + 20;
    const task = copyTask(T);
    const B = 400;
    const b = task.batch(new Rng(5), B);
    const first = copySequence(new Rng(5), T);
    for (let t = 0; t < L; t++) {
      const row = [...b.x.slice(t * B * 10, t * B * 10 + 10)];
      expect(row).toEqual(Array.from({ length: 10 }, (_, k) => (k === first.input[t] ? 1 : 0)));
      expect(b.y[t * B]).toBe(first.target[t]);
    }
    // memoryless: certain blanks for T + 10 steps, then uniform over a0–a7
    const out = new Float64Array(L * B * 10);
    for (let t = 0; t < L; t++)
      for (let i = 0; i < B; i++)
        for (let k = 0; k < 10; k++) out[(t * B + i) * 10 + k] = t < T + 10 ? (k === BLANK ? 50 : 0) : k < 8 ? 0 : -50;
    const logits = tensor(out, { shape: [L, B, 10], dtype: 'float64' });
    expect(task.loss(logits, b).item() as number).toBeCloseTo(copyBaseline(T), 9);
    expect(task.evaluate(logits, b).solved).toBe(false);
    // the perfect answer
    const perfect = new Float64Array(L * B * 10);
    for (let j = 0; j < L * B; j++) perfect[j * 10 + b.y[j]!] = 50;
    const best = task.evaluate(tensor(perfect, { shape: [L, B, 10], dtype: 'float64' }), b);
    expect(best.solved).toBe(true);
    expect(best.error).toBeLessThan(1e-9);
    expect(copyBaseline(100)).toBeCloseTo(0.1733, 4);
  });

  it('runs a CI-sized trial to a well-formed result', () => {
    expect(copyMemory).toMatchObject({ id: 'copy', defaults: { model: 'lstm', lr: 1e-3 } });
    const cfg = { ...COPY_TRAINING, hidden: 4, batchSize: 3, testSize: 4, evalEvery: 6 };
    const r = runModernTrial(copyTask(3), 'lstm', { seed: 2, maxSequences: 6 }, 1e-3, cfg);
    expect(r).toMatchObject({ seed: 2, sequences: 6, success: false, aborted: false });
    expect(r.curve).toHaveLength(1);
    expect(Number.isFinite(r.testError) && r.testError > 0).toBe(true);
  });
});
