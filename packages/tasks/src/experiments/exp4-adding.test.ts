import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getExperiment } from '../registry.js';
import { Rng } from '../rng.js';
import {
  EVAL_EVERY,
  endError,
  endTargetLearner,
  RECENT,
  RecentWindow,
  runEndTargetTrial,
  stopReached,
  TEST_SIZE,
} from './exp4-6-protocol.js';
import { addingExperiment, addingProblem, addingSequence, addingTask, markedSequence } from './exp4-adding.js';

const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const Ts = fc.constantFrom(100, 500, 1000);

describe('adding-problem generator (§5.4)', () => {
  it('follows the paper: length, markers, values and target', () => {
    fc.assert(
      fc.property(seeds, Ts, (seed, T) => {
        const s = addingSequence(new Rng(seed), T);
        const L = s.values.length;
        expect(L).toBeGreaterThanOrEqual(T);
        expect(L).toBeLessThanOrEqual(T + T / 10);
        expect(s.markers.length).toBe(L);
        const [first, second] = s.marked;
        // one pair among the first ten, one among the first T/2 − 1 still unmarked (so < T/2)
        expect(first).toBeGreaterThanOrEqual(0);
        expect(first).toBeLessThan(10);
        expect(second).toBeGreaterThanOrEqual(0);
        expect(second).toBeLessThan(T / 2);
        expect(second).not.toBe(first);
        // exactly two +1 markers, at the marked pairs; −1 at the first (unless marked) and last pair
        const plus = [...s.markers.keys()].filter((t) => s.markers[t] === 1);
        expect(plus).toEqual([first, second].sort((a, b) => a - b));
        expect(s.markers[L - 1]).toBe(-1);
        expect(s.markers[0]).toBe(s.marked.includes(0) ? 1 : -1);
        expect(s.markers.filter((m) => m === 0).length).toBe(L - (s.marked.includes(0) ? 3 : 4));
        expect(s.values.every((v) => v >= -1 && v <= 1)).toBe(true);
        if (s.marked.includes(0)) expect(s.values[0]).toBe(0); // "we set X1 to zero"
        expect(s.target).toBeCloseTo(0.5 + (s.values[first]! + s.values[second]!) / 4, 15);
        expect(s.target).toBeGreaterThanOrEqual(0);
        expect(s.target).toBeLessThanOrEqual(1);
        // the minimal time lag from the second mark to the end is T/2
        expect(L - 1 - Math.max(first, second)).toBeGreaterThanOrEqual(T / 2);
        // the net reads [value, marker]
        expect(s.xs.length).toBe(L);
        expect(s.xs.every((x, t) => x.length === 2 && x[0] === s.values[t] && x[1] === s.markers[t])).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('draws lengths and marked positions from the whole allowed ranges', () => {
    const rng = new Rng(7);
    const lengths = new Set<number>();
    const firsts = new Set<number>();
    const seconds = new Set<number>();
    let firstPairMarked = 0;
    for (let i = 0; i < 4000; i++) {
      const s = markedSequence(rng, { T: 100, range: [-1, 1], firstValue: 0 });
      lengths.add(s.values.length);
      firsts.add(s.marked[0]);
      seconds.add(s.marked[1]);
      if (s.marked.includes(0)) firstPairMarked++;
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => 100 + i));
    expect([...firsts].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect([...seconds].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // the "rare case": P(first pair marked) = 1/10 + 9/10 · 1/49 ≈ 0.118
    expect(firstPairMarked / 4000).toBeGreaterThan(0.09);
    expect(firstPairMarked / 4000).toBeLessThan(0.15);
  });

  it('is reproducible from the seed and rejects a too-short T', () => {
    expect(addingSequence(new Rng(3), 100)).toEqual(addingSequence(new Rng(3), 100));
    expect(() => addingSequence(new Rng(3), 10)).toThrow(/T must be/);
  });
});

describe('Experiment 4 preset and protocol', () => {
  it("uses the paper's 93-weight net with input-gate biases −3, −6", () => {
    const task = addingTask(100);
    expect(endTargetLearner(task, 'lstm1997', 0.5, 1).numWeights).toBe(93);
    expect(task.arch.lstm1997).toMatchObject({ blocks: 2, cellsPerBlock: 2, bias: true, initRange: 0.1, inputGateBias: [-3, -6] });
    expect(task.tolerance).toBe(0.04);
    expect(task.stop).toEqual({ kind: 'st3', beta: 0.01 });
    expect(addingProblem.defaults.lr).toBe(0.5);
    expect(addingProblem.id).toBe('4');
    expect(addingExperiment(1000).id).toBe('4-1000');
    expect(addingProblem.paper[0]).toMatchObject({ sequences: 74_000 });
  });

  it('registers Experiments 4–6 and the modern tasks, with the aliases', () => {
    expect(getExperiment('adding').runTrial).toBe(addingProblem.runTrial);
    expect(getExperiment('multiplication').id).toBe('multiplication');
    for (const id of ['4', '4-500', '4-1000', '5', '5-13', '6a', '6b', 'adding-modern', 'copy']) expect(getExperiment(id).id).toBe(id);
  });

  it('counts a sequence correct only when every output is within the tolerance', () => {
    expect(endError([0.5], [0.53], 0.04)).toEqual({ error: expect.closeTo(0.03, 12), correct: true });
    expect(endError([0.5], [0.55], 0.04).correct).toBe(false);
    expect(endError([0.1, 0.9], [0, 1], 0.3)).toEqual({ error: expect.closeTo(0.1, 12), correct: true });
    expect(endError([0.1, 0.6], [0, 1], 0.3).correct).toBe(false);
  });

  it('stops by ST3 or n_seq only over a full window of recent sequences', () => {
    const w = new RecentWindow(4);
    for (let i = 0; i < 3; i++) w.push(0.001, true);
    expect(stopReached({ kind: 'st3', beta: 0.01 }, w)).toBe(false); // not full yet
    w.push(0.001, true);
    expect(stopReached({ kind: 'st3', beta: 0.01 }, w)).toBe(true);
    w.push(0.05, false); // one wrong, mean (3·0.001 + 0.05)/4
    expect(w.wrong).toBe(1);
    expect(w.meanError).toBeCloseTo(0.01325, 12);
    expect(stopReached({ kind: 'st3', beta: 0.1 }, w)).toBe(false);
    expect(stopReached({ kind: 'nseq', n: 2 }, w)).toBe(true);
    expect(stopReached({ kind: 'nseq', n: 1 }, w)).toBe(false);
    for (let i = 0; i < 4; i++) w.push(0.002, true); // the wrong one slides out
    expect(w.wrong).toBe(0);
    expect(w.meanError).toBeCloseTo(0.002, 12);
    expect([RECENT, TEST_SIZE]).toEqual([2000, 2560]);
  });

  it('runs a CI-sized lstm1997 trial to a well-formed result', () => {
    const progress: number[] = [];
    const r = addingProblem.runTrial('lstm1997', { seed: 5, maxSequences: EVAL_EVERY, onProgress: (s) => progress.push(s) });
    expect(r).toMatchObject({ seed: 5, sequences: EVAL_EVERY, aborted: false });
    expect(r.success).toBe(false); // ST3 needs at least 2000 sequences
    expect(r.testError).toBeGreaterThanOrEqual(0);
    expect(r.testError).toBeLessThanOrEqual(1);
    expect(progress).toEqual([EVAL_EVERY]);
    expect(r.curve).toHaveLength(1);
    expect(Number.isFinite(r.curve[0]![1])).toBe(true);
    // same seed, same trial
    const short = () => runEndTargetTrial(addingTask(100), 'lstm1997', { seed: 5, maxSequences: 50 }, 0.5, { testSize: 20 });
    expect(short()).toEqual(short());
  });

  it('trains a BPTT baseline through the same protocol, and stops when aborted', () => {
    const r = runEndTargetTrial(addingTask(20), 'elman', { seed: 2, maxSequences: 2 }, 0.5, { testSize: 3 });
    expect(r).toMatchObject({ seed: 2, sequences: 2, success: false, aborted: false });
    expect(r.testError * 3).toBeCloseTo(Math.round(r.testError * 3), 12);
    const abort = new AbortController();
    abort.abort();
    expect(addingProblem.runTrial('lstm1997', { seed: 1, maxSequences: 10, signal: abort.signal })).toMatchObject({
      aborted: true,
      sequences: 0,
    });
  });
});
