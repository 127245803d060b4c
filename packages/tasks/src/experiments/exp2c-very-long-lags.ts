import { ValueError } from '@carousel/autograd';
import type { Experiment, TrialOptions, TrialResult } from '../experiment.js';
import { createLearner, MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type LagProtocol, type LagSample, type LagTask, onehots, runLagTrial, weightMatchedHidden } from './exp2-protocol.js';

/**
 * Experiment 2c (§5.2): very long time lags, no local regularities.
 *
 * Symbols a_1 … a_p (distractors), a_{p+1} = e (trigger), a_{p+2} = b, a_{p+3} = x, a_{p+4} = y,
 * one-hot over p + 4 inputs; symbol a_i has index i − 1, so e, b, x, y are p, p + 1, p + 2,
 * p + 3. A sequence is (b, y, a_{i1}, …, a_{i(q+k)}, e, y) or (b, x, …, e, x):
 * 1. a prefix of length q + 2: b, then x or y (probability ½ each), then q distractors;
 * 2. then, repeatedly, another distractor with probability 9/10 or the trigger e with 1/10;
 * 3. after e, the sequence ends with x or y, matching its second element.
 * Distractors are uniform over a_1 … a_p (the printed bound "≤ q" must be "≤ p": Table 3 has
 * p < q). Lengths are q + 4 + k with P(k) = (1/10)(9/10)^k, mean q + 13 (the paper prints
 * q + 14; its own sum gives q + 13). The net has 2 outputs (x, y); the only error signal is at
 * the last input (e): predict the final symbol. Success: "prediction error (for final sequence
 * element) of both output units always below 0.2, for 10,000 successive, randomly chosen input
 * sequences".
 */

/** Symbol indices for p distractors. */
export const exp2cSymbols = (p: number) => ({ e: p, b: p + 1, x: p + 2, y: p + 3 });

/**
 * Draws a 2c sequence as symbol indices (see the module comment).
 *
 * @example
 * veryLongLagSequence(new Rng(1), 50, 50); // [51, 52 or 53, …q + k distractors…, 50, same as 2nd]
 */
export function veryLongLagSequence(rng: Rng, q: number, p: number): number[] {
  if (!Number.isInteger(q) || q < 0) throw new ValueError(`q must be a non-negative integer, got ${q}`, 'veryLongLagSequence');
  if (!Number.isInteger(p) || p < 1) throw new ValueError(`p must be a positive integer, got ${p}`, 'veryLongLagSequence');
  const { e, b, x, y } = exp2cSymbols(p);
  const c = rng.chance(0.5) ? x : y;
  const s = [b, c];
  for (let i = 0; i < q; i++) s.push(rng.int(p));
  while (rng.next() < 0.9) s.push(rng.int(p));
  s.push(e, c);
  return s;
}

/** The 2c task: inputs every symbol but the last, one target (x → [1, 0], y → [0, 1]) at the trigger e. */
export function veryLongLagTask(q: number, p: number): LagTask {
  const codes = onehots(p + 4);
  const { x } = exp2cSymbols(p);
  const targets = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
  return {
    inputSize: p + 4,
    outputSize: 2,
    sample(rng): LagSample {
      const s = veryLongLagSequence(rng, q, p);
      const xs = s.slice(0, -1).map((i) => codes[i]!);
      const ts: (Float64Array | null)[] = xs.map(() => null);
      ts[xs.length - 1] = targets[s.at(-1) === x ? 0 : 1]!;
      return { xs, targets: ts };
    },
    tolerance: 0.2,
    check: 'last',
  };
}

/**
 * The 2c net (Table 10, row 2c): 2 blocks × 1 cell with input and output gates, fully connected
 * hidden layer ("F"), outputs from the cells only, no biases, h ∈ [−1, 1], g ∈ [−2, 2], weights
 * in [−0.2, 0.2]; learning rate 0.01. 6p + 64 weights.
 */
export const EXP2C_NET = { blocks: 2, cellsPerBlock: 1, bias: false, initRange: 0.2 } as const;

/** The nine (q, p) rows of Table 3, with the paper's mean sequences to success (20 trials each). */
export const TABLE3 = [
  { q: 50, p: 50, sequences: 30_000 },
  { q: 100, p: 100, sequences: 31_000 },
  { q: 200, p: 200, sequences: 33_000 },
  { q: 500, p: 500, sequences: 38_000 },
  { q: 1000, p: 1000, sequences: 49_000 },
  { q: 1000, p: 500, sequences: 49_000 },
  { q: 1000, p: 200, sequences: 75_000 },
  { q: 1000, p: 100, sequences: 135_000 },
  { q: 1000, p: 50, sequences: 203_000 },
] as const;

/** Protocol of 2c: a success test (early exit at the first failure) every 100 training sequences. */
export const EXP2C_PROTOCOL: LagProtocol = { evalEvery: 100, curveEvery: 1000 };

/**
 * Experiment 2c for (q, p); id `2c-q{q}-p{p}`, or `id` to override (`2c` is Table 3's first row).
 *
 * Protocol: sequences generated on-line, error only at the end, so `lstm1997`'s per-step RTRL
 * makes one update per sequence; the zoo baselines (BPTT, one update per sequence) get the hidden
 * size whose Elman net has about the paper net's weight count. Every 100 training sequences a
 * success test runs with frozen weights on fresh sequences, stops at the first failure and is
 * passed after 10,000 (a failed test that ran n sequences postpones the next by max(100, n)
 * training sequences). `sequences` counts training sequences only.
 */
export function exp2cExperiment(q: number, p: number, opts: { id?: string; testSize?: number; failTestSize?: number } = {}): Experiment {
  let task: LagTask | undefined; // built on first use: p = 1000 has 1004 one-hot codes of 1004 values
  const row = TABLE3.find((r) => r.q === q && r.p === p);
  const weights = 6 * p + 64;
  return {
    id: opts.id ?? `2c-q${q}-p${p}`,
    title: `Very long time lags, q = ${q}, p = ${p}`,
    source: 'Hochreiter & Schmidhuber 1997, §5.2 (Task 2c), Table 3',
    models: MODELS,
    defaults: { model: 'lstm1997', lr: 0.01, maxSequences: 5_000_000, trials: 20 },
    paper: row ? [{ label: `LSTM q${q} p${p} (${weights} w.)`, sequences: row.sequences }] : [],
    runTrial(model: string, trial: TrialOptions): TrialResult {
      const spec = { inputSize: p + 4, outputSize: 2, lr: trial.lr ?? 0.01, seed: trial.seed };
      const learner = createLearner(model, spec, { lstm1997: EXP2C_NET, hidden: weightMatchedHidden(weights, p + 4, 2) });
      task ??= veryLongLagTask(q, p);
      return runLagTrial(task, learner, trial, { ...EXP2C_PROTOCOL, testSize: opts.testSize, failTestSize: opts.failTestSize });
    },
  };
}

/** `2c`: Table 3's first row (q = p = 50), so `carousel run 2c` runs it. */
export const veryLongLags = exp2cExperiment(50, 50, { id: '2c' });
/** All nine rows of Table 3, as `2c-q{q}-p{p}`. */
export const veryLongLagsTable3 = TABLE3.map((r) => exp2cExperiment(r.q, r.p));
