import { describe, expect, it } from 'vitest';
import type { TrialResult } from '../experiment.js';
import { Rng } from '../rng.js';
import {
  CERG_MODELS,
  CERG_TABLE2,
  type CergModel,
  type CergStep,
  cergNet,
  cergRow,
  cergStream,
  continualReber,
  correctPrediction,
  STREAM_LENGTH,
} from './cerg.js';
import { SYMBOLS } from './reber.js';

// The definitions, written out here independently of the generator (spec §3, Exp. 1; G00 §4):
// the Reber graph, and a stream that is embedded Reber strings B (T|P) <Reber string> (same T|P) E
// back to back.
const REBER: Record<number, Record<string, number>> = {
  0: { T: 1, P: 5 },
  1: { S: 1, X: 2 },
  2: { S: 3, X: 5 },
  3: { E: -1 },
  4: { V: 3, P: 2 },
  5: { T: 5, V: 4 },
};

/** Where a reader of the stream is: 0 outer B, 1 branch, 2 inner B, 3 inner walk (at `node`), 4 closing branch, 5 outer E. */
interface Reader {
  phase: number;
  branch: string;
  node: number;
}

/** The reader after `c`, or null when `c` cannot come next. */
function read(r: Reader, c: string): Reader | null {
  const { phase, branch, node } = r;
  if (phase === 0 && c === 'B') return { ...r, phase: 1 };
  if (phase === 1 && (c === 'T' || c === 'P')) return { ...r, phase: 2, branch: c };
  if (phase === 2 && c === 'B') return { ...r, phase: 3, node: 0 };
  const next = phase === 3 ? REBER[node]![c] : undefined;
  if (next !== undefined) return next === -1 ? { ...r, phase: 4 } : { ...r, node: next };
  if (phase === 4 && c === branch) return { ...r, phase: 5 };
  if (phase === 5 && c === 'E') return { ...r, phase: 0 };
  return null;
}

const START: Reader = { phase: 0, branch: '', node: 0 };

/** True when `s` is a prefix of a concatenation of embedded Reber strings. */
function viablePrefix(s: string): boolean {
  let r: Reader | null = START;
  for (const c of s) if (!(r = read(r, c))) return false;
  return true;
}

const take = (rng: Rng, n: number): CergStep[] => {
  const stream = cergStream(rng);
  return Array.from({ length: n }, () => stream.next().value);
};

describe('the CERG stream', () => {
  const steps = take(new Rng(42), 20_000);
  const text = steps.map((s) => s.symbol).join('');

  it('is a concatenation of grammatical embedded Reber strings, with no separator and no reset', () => {
    expect(viablePrefix(text)).toBe(true);
    expect(text.startsWith('B')).toBe(true);
    // cut at every closing E: each piece is a whole embedded string
    const ends = steps.flatMap((s, i) => (s.endOfString ? [i] : []));
    expect(ends.length).toBeGreaterThan(1000);
    let start = 0;
    for (const e of ends) {
      const piece = text.slice(start, e + 1);
      expect(viablePrefix(piece) && piece.length >= 9 && piece.at(-1) === 'E' && piece[1] === piece.at(-2), piece).toBe(true);
      start = e + 1;
    }
    // both branches, and the expected string length (2 + the Reber string's 2 + ~5.5 inner symbols + 2 ≈ 11.5)
    const lengths = ends.map((e, i) => e - (i ? ends[i - 1]! : -1));
    const meanLength = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(meanLength).toBeGreaterThan(10.5);
    expect(meanLength).toBeLessThan(12.5);
    expect(Math.min(...lengths)).toBe(9);
  });

  it('targets exactly the legal successors of every prefix', () => {
    let reader: Reader = START;
    for (let t = 0; t < 5000; t++) {
      const step = steps[t]!;
      reader = read(reader, step.symbol)!;
      const legal = SYMBOLS.filter((c) => read(reader, c) !== null);
      expect([...step.successors].sort(), `after ${text.slice(Math.max(0, t - 11), t + 1)}`).toEqual([...legal].sort());
      expect([...step.target]).toEqual(SYMBOLS.map((c) => (legal.includes(c) ? 1 : 0)));
      expect([...step.input]).toEqual(SYMBOLS.map((c) => (c === step.symbol ? 1 : 0)));
    }
  });

  it('is seeded', () => {
    const a = take(new Rng(7), 500).map((s) => s.symbol);
    expect(take(new Rng(7), 500).map((s) => s.symbol)).toEqual(a);
    expect(take(new Rng(8), 500).map((s) => s.symbol)).not.toEqual(a);
  });
});

describe('CERG protocol', () => {
  it('a prediction is correct iff every output is within 0.49 of its target', () => {
    expect(correctPrediction([0.52, 0.48, 0], [1, 0, 0])).toBe(true);
    expect(correctPrediction([0.511, 0.2, 0.1], [1, 0, 0])).toBe(true);
    expect(correctPrediction([0.5, 0.2, 0.1], [1, 0, 0])).toBe(false); // argmax right, but not within 0.49
    expect(correctPrediction([0.509, 0.2, 0.1], [1, 0, 0])).toBe(false);
    expect(correctPrediction([0.9, 0.49, 0.1], [1, 0, 0])).toBe(false);
    expect(correctPrediction([0.9, 0.9, 0.1], [1, 1, 0])).toBe(true);
    expect(correctPrediction([Number.NaN, 0, 0], [1, 0, 0])).toBe(false);
  });

  it("offers Table 2's rows as models, with G00's nets", () => {
    expect(continualReber.models).toEqual(Object.keys(CERG_MODELS));
    expect(cergNet('forget-gates').numParameters()).toBe(424);
    expect(cergNet('standard').numParameters()).toBe(360);
    expect(cergNet('state-decay').config.forget).toBe(0.9);
    expect(() => cergNet('gru')).toThrow(/unknown CERG model 'gru'/);
    expect(() => cergNet('toString')).toThrow(/unknown CERG model 'toString'/);
    expect(() => continualReber.runTrial('gru', { seed: 1, maxSequences: 1 })).toThrow(/unknown CERG model/);
    expect(continualReber.paper.map((r) => r.successRate)).toEqual(
      Object.keys(CERG_MODELS).map((m) => CERG_TABLE2[m as CergModel].solutions),
    );
  });

  it('runs a seeded trial: streams counted, 10 test streams after the last, curve every 100 streams', () => {
    const run = () => continualReber.runTrial('forget-gates', { seed: 3, maxSequences: 250 });
    const r = run();
    expect(r.success).toBe(false);
    expect(r.sequences).toBe(250);
    expect(r.curve.map(([s]) => s)).toEqual([100, 200]);
    for (const [, e] of r.curve) expect(e).toBeGreaterThan(0);
    expect(r.stats!.meanTestLength).toBeGreaterThanOrEqual(0);
    expect(r.stats!.meanTestLength).toBeLessThan(STREAM_LENGTH);
    expect(r.testError).toBe(1); // an untrained net breaks down in every test stream
    expect(run()).toEqual(r);
  });

  it('stops when aborted and says so', () => {
    const signal = AbortSignal.abort();
    const r = continualReber.runTrial('standard', { seed: 1, maxSequences: 100, signal });
    expect(r.aborted).toBe(true);
    expect(r.sequences).toBe(0);
  });

  it("summarises trials in Table 2's columns", () => {
    const trial = (seed: number, success: boolean, sequences: number, meanTestLength: number): TrialResult => ({
      seed,
      success,
      sequences,
      testError: success ? 0 : 1,
      curve: [],
      aborted: false,
      stats: { meanTestLength },
    });
    const row = cergRow([
      trial(1, true, 1000, STREAM_LENGTH),
      trial(2, true, 3000, STREAM_LENGTH),
      trial(3, false, 30_000, 5000),
      trial(4, false, 30_000, 40),
    ]);
    expect(row).toEqual({ solutions: 50, streamsToSolution: 2000, good: 25, goodLength: 5000, rest: 25, restLength: 40 });
    expect(cergRow([trial(1, false, 10, 1000)]).rest).toBe(100); // exactly 1000 is not "good"
    expect(() => cergRow([{ ...trial(1, true, 1, 1), stats: undefined }])).toThrow(/not a CERG trial/);
  });
});
