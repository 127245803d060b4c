import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { EVAL_EVERY, endTargetLearner, runEndTargetTrial } from './exp4-6-protocol.js';
import {
  ORDER_CLASSES,
  ORDER_SYMBOLS,
  ORDER_WINDOWS,
  type OrderVariant,
  temporalOrder2,
  temporalOrder3,
  temporalOrderSequence,
  temporalOrderTask,
} from './exp6-temporal-order.js';

describe('temporal-order generator (§5.6)', () => {
  it('follows the paper: E … B, length 100–110, X/Y only at the relevant positions, the class their order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom<OrderVariant>('6a', '6b'), (seed, variant) => {
        const s = temporalOrderSequence(new Rng(seed), variant);
        const L = s.symbols.length;
        expect(L).toBeGreaterThanOrEqual(100);
        expect(L).toBeLessThanOrEqual(110);
        expect(s.symbols[0]).toBe('E');
        expect(s.symbols[L - 1]).toBe('B');
        const windows = ORDER_WINDOWS[variant];
        expect(s.positions).toHaveLength(variant === '6a' ? 2 : 3);
        s.positions.forEach((p, i) => {
          expect(p).toBeGreaterThanOrEqual(windows[i]![0]);
          expect(p).toBeLessThanOrEqual(windows[i]![1]);
        });
        // X/Y exactly at the (1-based) relevant positions, a–d everywhere else in between
        const relevant = [...s.symbols].flatMap((c, i) => (c === 'X' || c === 'Y' ? [i + 1] : []));
        expect(relevant).toEqual(s.positions);
        expect(/^E[abcdXY]+B$/.test(s.symbols)).toBe(true);
        // the class: X = 0, Y = 1, first relevant symbol the most significant
        const bits = s.positions.map((p) => (s.symbols[p - 1] === 'Y' ? 1 : 0));
        expect(s.label).toBe(bits.reduce<number>((a, b) => 2 * a + b, 0));
        expect([...s.target]).toEqual(ORDER_CLASSES[variant].map((_, k) => (k === s.label ? 1 : 0)));
        // one-hot inputs over E, B, a, b, c, d, X, Y
        expect(
          s.xs.every((x, t) => x.length === 8 && x.reduce((a, b) => a + b, 0) === 1 && x[ORDER_SYMBOLS.indexOf(s.symbols[t] as 'E')] === 1),
        ).toBe(true);
        // Table 10's minimal lags: 40 (6a), 24 (6b)
        expect(L - s.positions.at(-1)!).toBeGreaterThanOrEqual(variant === '6a' ? 40 : 24);
      }),
      { numRuns: 100 },
    );
  });

  it('names the classes as the paper (XX→Q … YY→U; XXX→Q … YYY→C) and reaches all of them', () => {
    expect(ORDER_CLASSES['6a']).toEqual(['Q', 'R', 'S', 'U']);
    expect(ORDER_CLASSES['6b']).toEqual(['Q', 'R', 'S', 'U', 'V', 'A', 'B', 'C']);
    const rng = new Rng(4);
    const labels = new Set<number>();
    const lengths = new Set<number>();
    for (let i = 0; i < 600; i++) {
      const s = temporalOrderSequence(rng, '6b');
      labels.add(s.label);
      lengths.add(s.symbols.length);
      if (s.symbols.slice(9, 20).includes('Y') && s.symbols.slice(32, 43).includes('X') && s.symbols.slice(65, 76).includes('X'))
        expect(ORDER_CLASSES['6b'][s.label]).toBe('V'); // YXX → V
    }
    expect(labels.size).toBe(8);
    expect(lengths.size).toBe(11);
  });
});

describe('Experiment 6 presets and protocol', () => {
  it("uses the paper's nets: 156 weights (6a) and 308 (6b)", () => {
    const a = temporalOrderTask('6a');
    const b = temporalOrderTask('6b');
    expect(endTargetLearner(a, 'lstm1997', 0.5, 1).numWeights).toBe(156);
    expect(endTargetLearner(b, 'lstm1997', 0.1, 1).numWeights).toBe(308);
    expect(a.arch.lstm1997).toMatchObject({ blocks: 2, cellsPerBlock: 2, bias: true, initRange: 0.1, inputGateBias: [-2, -4] });
    expect(b.arch.lstm1997).toMatchObject({ blocks: 3, cellsPerBlock: 2, bias: true, initRange: 0.1, inputGateBias: [-2, -4, -6] });
    expect([a.inputSize, a.outputSize, b.inputSize, b.outputSize]).toEqual([8, 4, 8, 8]);
    for (const t of [a, b]) {
      expect(t.tolerance).toBe(0.3);
      expect(t.stop).toEqual({ kind: 'st3', beta: 0.1 });
    }
    expect(temporalOrder2).toMatchObject({ id: '6a', defaults: { lr: 0.5, trials: 20 } });
    expect(temporalOrder3).toMatchObject({ id: '6b', defaults: { lr: 0.1, trials: 10 } });
    expect(temporalOrder2.paper[0]).toMatchObject({ sequences: 31_390 });
    expect(temporalOrder3.paper[0]).toMatchObject({ sequences: 571_100 });
  });

  it('runs CI-sized 6a and 6b trials to well-formed results', () => {
    const r = temporalOrder2.runTrial('lstm1997', { seed: 9, maxSequences: EVAL_EVERY });
    expect(r).toMatchObject({ seed: 9, sequences: EVAL_EVERY, success: false, aborted: false });
    expect(r.testError).toBeGreaterThanOrEqual(0);
    expect(r.testError).toBeLessThanOrEqual(1);
    expect(r.curve).toHaveLength(1);
    const b = runEndTargetTrial(temporalOrderTask('6b'), 'lstm1997', { seed: 9, maxSequences: 200 }, 0.1, { testSize: 100 });
    expect(b).toMatchObject({ seed: 9, sequences: 200, success: false, aborted: false, curve: [] });
    expect(b.testError * 100).toBeCloseTo(Math.round(b.testError * 100), 9);
  });
});
