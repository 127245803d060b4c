import type { Experiment, PaperRow } from '../experiment.js';
import { MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type EndTargetTask, runEndTargetTrial } from './exp4-6-protocol.js';
import { addingNet, type MarkedSequence, markedSequence } from './exp4-adding.js';

/**
 * A multiplication-problem sequence (§5.5): as the adding problem, but values in [0, 1], a
 * marked first pair gets X1 = 1.0, and the target is X1 × X2 ∈ [0, 1].
 */
export function multiplicationSequence(rng: Rng, T: number): MarkedSequence & { target: number } {
  const seq = markedSequence(rng, { T, range: [0, 1], firstValue: 1 });
  const [a, b] = seq.marked;
  return { ...seq, target: seq.values[a]! * seq.values[b]! };
}

/** Table 8's rows, by n_seq. */
const TABLE8: Record<140 | 13, PaperRow> = {
  140: { label: 'T = 100, n_seq = 140', sequences: 482_000 },
  13: { label: 'T = 100, n_seq = 13', sequences: 1_273_000 },
};

/** The multiplication problem as an end-target task (exported for tests). */
export function multiplicationTask(nSeq: 140 | 13, T = 100): EndTargetTask {
  return {
    inputSize: 2,
    outputSize: 1,
    sample: (rng) => {
      const { xs, target } = multiplicationSequence(rng, T);
      return { xs, target: Float64Array.of(target) };
    },
    tolerance: 0.04,
    stop: { kind: 'nseq', n: nSeq },
    // as Exp. 4, but the input-gate biases are random too (Table 10: igb "r")
    arch: addingNet(),
  };
}

/**
 * Experiment 5 (§5.5): the multiplication problem, T = 100, the Exp. 4 net with random
 * input-gate biases, learning rate 0.1. Training stops once fewer than n_seq of the 2000 most
 * recent sequences have an absolute end error of 0.04 or more (n_seq = 140 or 13); then tests
 * on 2560 sequences.
 */
export function multiplicationExperiment(nSeq: 140 | 13): Experiment {
  const task = multiplicationTask(nSeq);
  return {
    id: nSeq === 140 ? '5' : `5-${nSeq}`,
    title: `Multiplication problem, T = 100, n_seq = ${nSeq}`,
    source: 'Hochreiter & Schmidhuber 1997, §5.5, Table 8',
    models: [...MODELS],
    defaults: { model: 'lstm1997', lr: 0.1, maxSequences: nSeq === 140 ? 2_000_000 : 4_000_000, trials: 10 },
    paper: [TABLE8[nSeq]],
    runTrial: (model, opts) => runEndTargetTrial(task, model, opts, 0.1),
  };
}

/** Experiment 5 with n_seq = 140 (id '5'). */
export const multiplicationProblem = multiplicationExperiment(140);
/** Experiment 5 with n_seq = 13 (id '5-13'). */
export const multiplicationProblem13 = multiplicationExperiment(13);
