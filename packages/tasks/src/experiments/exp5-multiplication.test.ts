import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { EVAL_EVERY, endTargetLearner } from './exp4-6-protocol.js';
import { multiplicationExperiment, multiplicationProblem, multiplicationSequence, multiplicationTask } from './exp5-multiplication.js';

describe('multiplication-problem generator (§5.5)', () => {
  it('is the adding problem with values in [0, 1], X1 = 1 for a marked first pair, target X1·X2', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const s = multiplicationSequence(new Rng(seed), 100);
        const L = s.values.length;
        expect(L).toBeGreaterThanOrEqual(100);
        expect(L).toBeLessThanOrEqual(110);
        const [first, second] = s.marked;
        expect(first).toBeLessThan(10);
        expect(second).toBeLessThan(50);
        expect(second).not.toBe(first);
        expect(s.values.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect([...s.markers.keys()].filter((t) => s.markers[t] === 1).sort((a, b) => a - b)).toEqual(
          [first, second].sort((a, b) => a - b),
        );
        expect(s.markers[L - 1]).toBe(-1);
        expect(s.markers[0]).toBe(s.marked.includes(0) ? 1 : -1);
        if (s.marked.includes(0)) expect(s.values[0]).toBe(1);
        expect(s.target).toBe(s.values[first]! * s.values[second]!);
        expect(s.target).toBeGreaterThanOrEqual(0);
        expect(s.target).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });

  it('sets X1 = 1.0 when the first pair is marked', () => {
    const rng = new Rng(11);
    let seen = 0;
    for (let i = 0; i < 300; i++) {
      const s = multiplicationSequence(rng, 100);
      if (!s.marked.includes(0)) continue;
      seen++;
      const other = s.marked[0] === 0 ? s.marked[1] : s.marked[0];
      expect(s.target).toBe(s.values[other]);
    }
    expect(seen).toBeGreaterThan(0);
  });
});

describe('Experiment 5 preset and protocol', () => {
  it('uses the Exp. 4 net (93 weights) with random input-gate biases and lr 0.1, stopping at n_seq', () => {
    const task = multiplicationTask(140);
    const learner = endTargetLearner(task, 'lstm1997', 0.1, 1);
    expect(learner.numWeights).toBe(93);
    expect(task.arch.lstm1997).toMatchObject({ blocks: 2, cellsPerBlock: 2, bias: true, initRange: 0.1 });
    expect(task.arch.lstm1997.inputGateBias).toBeUndefined();
    expect(task.stop).toEqual({ kind: 'nseq', n: 140 });
    expect(multiplicationTask(13).stop).toEqual({ kind: 'nseq', n: 13 });
    expect(task.tolerance).toBe(0.04);
    expect(multiplicationProblem).toMatchObject({ id: '5', defaults: { lr: 0.1 } });
    expect(multiplicationExperiment(13).id).toBe('5-13');
    expect(multiplicationProblem.paper[0]).toMatchObject({ sequences: 482_000 });
    expect(multiplicationExperiment(13).paper[0]).toMatchObject({ sequences: 1_273_000 });
  });

  it('runs a CI-sized lstm1997 trial to a well-formed result', () => {
    const r = multiplicationProblem.runTrial('lstm1997', { seed: 3, maxSequences: EVAL_EVERY });
    expect(r).toMatchObject({ seed: 3, sequences: EVAL_EVERY, success: false, aborted: false });
    expect(r.testError).toBeGreaterThanOrEqual(0);
    expect(r.testError).toBeLessThanOrEqual(1);
    expect(r.curve).toHaveLength(1);
    expect(r.curve[0]![0]).toBe(EVAL_EVERY);
    expect(Number.isFinite(r.curve[0]![1])).toBe(true);
  });
});
