import { ValueError } from '@carousel/autograd';
import type { Experiment, PaperRow } from '../experiment.js';
import { type Architectures, MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type EndTargetTask, runEndTargetTrial } from './exp4-6-protocol.js';

/**
 * A sequence of (value, marker) pairs as in Experiments 4 and 5 (§5.4, §5.5). Indices are
 * 0-based: `marked[0]` is the pair chosen among the first ten (its value is X1), `marked[1]`
 * the one chosen among the first T/2 − 1 still unmarked pairs (X2).
 */
export interface MarkedSequence {
  /** Values, one per step. */
  values: Float64Array;
  /** Markers, one per step: +1 at the two marked pairs, −1 at the first and last pair, 0 elsewhere. */
  markers: Float64Array;
  /** The two marked positions [X1's, X2's]. */
  marked: [number, number];
  /** The inputs the net reads: [value, marker] at every step. */
  xs: Float64Array[];
}

/** Options of {@link markedSequence}. */
export interface MarkedSequenceOptions {
  /** Minimal length; the length is uniform in [T, T + ⌊T/10⌋]. */
  T: number;
  /** Values are uniform in [lo, hi). */
  range: readonly [number, number];
  /** The value a marked first pair gets ("we set X1 to zero"; 1.0 in Exp. 5). */
  firstValue: number;
}

/**
 * Draws a marked sequence (§5.4): length uniform in [T, T + T/10]; values uniform in the range;
 * one pair marked at random among the first ten, a second at random among the first T/2 − 1
 * still unmarked pairs; the first and the final pair have marker −1, all others 0.
 *
 * When the first pair is one of the two marked ones, it shows marker +1 (the mark wins over the
 * −1 start marker) and its value is replaced by `firstValue`, so the target computed from the
 * marked values is exactly "X1 set to zero" (adding) or "X1 = 1.0" (multiplication). The paper
 * does not say which marker that pair shows.
 */
export function markedSequence(rng: Rng, opts: MarkedSequenceOptions): MarkedSequence {
  const { T, range, firstValue } = opts;
  if (!Number.isInteger(T) || T < 20) throw new ValueError(`T must be an integer ≥ 20, got ${T}`, 'markedSequence');
  const half = Math.floor(T / 2);
  const length = T + rng.int(Math.floor(T / 10) + 1);
  const values = new Float64Array(length);
  for (let t = 0; t < length; t++) values[t] = rng.uniform(range[0], range[1]);
  const markers = new Float64Array(length);
  markers[0] = -1;
  markers[length - 1] = -1;
  const first = rng.int(10);
  // the first T/2 − 1 pairs that are still unmarked: positions 0 … T/2 − 1 without `first`
  const k = rng.int(half - 1);
  const second = k < first ? k : k + 1;
  for (const i of [first, second]) {
    markers[i] = 1;
    if (i === 0) values[i] = firstValue;
  }
  const xs = Array.from(values, (v, t) => Float64Array.of(v, markers[t]!));
  return { values, markers, marked: [first, second], xs };
}

/** An adding-problem sequence: values in [−1, 1], target 0.5 + (X1 + X2)/4 ∈ [0, 1]. */
export function addingSequence(rng: Rng, T: number): MarkedSequence & { target: number } {
  const seq = markedSequence(rng, { T, range: [-1, 1], firstValue: 0 });
  const [a, b] = seq.marked;
  return { ...seq, target: 0.5 + (seq.values[a]! + seq.values[b]!) / 4 };
}

/**
 * The paper's net for Experiments 4 and 5: 2 blocks × 2 cells, all non-input units biased
 * (93 weights with 2 inputs and 1 output), weights in ±0.1, h ∈ [−1, 1], g ∈ [−2, 2], logistic
 * output; output-gate biases random. The baselines get as many hidden units as it has (8).
 */
export function addingNet(inputGateBias?: readonly number[]): Architectures {
  return {
    lstm1997: {
      blocks: 2,
      cellsPerBlock: 2,
      bias: true,
      initRange: 0.1,
      g: 'paper',
      h: 'paper',
      ...(inputGateBias ? { inputGateBias } : {}),
    },
    hidden: 8,
  };
}

/** Table 7's rows. */
const TABLE7: Record<number, PaperRow> = {
  100: { label: 'T = 100, lag 50', sequences: 74_000 },
  500: { label: 'T = 500, lag 250', sequences: 209_000 },
  1000: { label: 'T = 1000, lag 500', sequences: 853_000 },
};

/** The adding problem as an end-target task (exported for tests). */
export function addingTask(T: number): EndTargetTask {
  return {
    inputSize: 2,
    outputSize: 1,
    sample: (rng) => {
      const { xs, target } = addingSequence(rng, T);
      return { xs, target: Float64Array.of(target) };
    },
    tolerance: 0.04,
    stop: { kind: 'st3', beta: 0.01 },
    arch: addingNet([-3, -6]),
  };
}

/**
 * Experiment 4 (§5.4): the adding problem with minimal sequence length T (100, 500 or 1000 in
 * Table 7). Input-gate biases −3 and −6, learning rate 0.5. Stops at ST3(0.01): the mean
 * absolute end error of the 2000 most recent sequences is below 0.01 and all 2000 were within
 * 0.04; then tests on 2560 sequences.
 */
export function addingExperiment(T: 100 | 500 | 1000): Experiment {
  const task = addingTask(T);
  return {
    id: T === 100 ? '4' : `4-${T}`,
    title: `Adding problem, T = ${T}`,
    source: 'Hochreiter & Schmidhuber 1997, §5.4, Table 7',
    models: [...MODELS],
    defaults: { model: 'lstm1997', lr: 0.5, maxSequences: { 100: 300_000, 500: 1_000_000, 1000: 3_000_000 }[T], trials: 10 },
    paper: [TABLE7[T]!],
    runTrial: (model, opts) => runEndTargetTrial(task, model, opts, 0.5),
  };
}

/** Experiment 4 with T = 100 (id '4'). */
export const addingProblem = addingExperiment(100);
/** Experiment 4 with T = 500 (id '4-500'). */
export const addingProblem500 = addingExperiment(500);
/** Experiment 4 with T = 1000 (id '4-1000'). */
export const addingProblem1000 = addingExperiment(1000);
