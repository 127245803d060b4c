import { ValueError } from '@carousel/autograd';
import type { Experiment, TrialOptions, TrialResult } from '../experiment.js';
import type { Rng } from '../rng.js';
import { type LagProtocol, type LagTask, type LagTrialResult, onehots, runLagTrial } from './exp2-protocol.js';
import { EXP2AB_MODELS, exp2abLearner, GROWTH, type GrowthOptions, nextSymbolSample, xOf, yOf } from './exp2a-long-lags.js';

/**
 * Experiment 2b (§5.2): no local regularities. As 2a, but the middle of the sequence is a random
 * string of length p − 1 over a_1 … a_{p−1}: the classes {(y, a_{i1}, …, a_{i(p−1)}, y)} and
 * {(x, a_{i1}, …, a_{i(p−1)}, x)}, 1 ≤ i_j ≤ p − 1, exemplars "chosen randomly from the 2
 * classes". Every next symbol is a target, but only the final x/y is predictable. Success
 * (ABS(0.25)): "during 10,000 successive, randomly chosen input sequences, the maximal absolute
 * error of all output units is below 0.25 at sequence end". Same net and parameters as 2a.
 */

/**
 * Draws a 2b sequence as symbol indices (a_i is i − 1, x is p − 1, y is p): c = x or y with
 * probability ½, then p − 1 symbols uniform over a_1 … a_{p−1}, then c again. Length p + 1.
 *
 * @example
 * noLocalRegularitySequence(new Rng(1), 4); // e.g. [3, 2, 0, 2, 3]: (x, a3, a1, a3, x)
 */
export function noLocalRegularitySequence(rng: Rng, p: number): number[] {
  if (!Number.isInteger(p) || p < 2) throw new ValueError(`p must be an integer ≥ 2, got ${p}`, 'noLocalRegularitySequence');
  const c = rng.chance(0.5) ? xOf(p) : yOf(p);
  const middle = Array.from({ length: p - 1 }, () => rng.int(p - 1));
  return [c, ...middle, c];
}

/** The 2b task for delay p: targets at every step, success judged at the sequence end only. */
export function noLocalRegularityTask(p: number): LagTask {
  const codes = onehots(p + 1);
  return {
    inputSize: p + 1,
    outputSize: p + 1,
    sample: (rng) => nextSymbolSample(noLocalRegularitySequence(rng, p), codes),
    tolerance: 0.25,
    check: 'last',
  };
}

/** Protocol of 2b: a success test (early exit at the first failure) every 10 training sequences. */
export const EXP2B_PROTOCOL: Omit<LagProtocol, 'ready'> = { evalEvery: 10, curveEvery: 500 };

/**
 * Experiment 2b for delay p (the paper: p = 100, id `2b`). Protocol as 2a (see
 * {@link exp2aExperiment}): per-step RTRL updates for `lstm1997`, whose memory cell is added when
 * the training loss stops decreasing; every 10 training sequences (once the cell exists) a success
 * test on fresh random sequences with frozen weights, stopped at the first failure and passed
 * after 10,000 (a failed test that ran n sequences postpones the next by max(10, n) training
 * sequences). `sequences` counts training sequences only.
 */
export function exp2bExperiment(
  p = 100,
  growth: GrowthOptions = GROWTH,
  run: { testSize?: number; failTestSize?: number } = {},
): Experiment {
  const task = noLocalRegularityTask(p);
  return {
    id: p === 100 ? '2b' : `2b-p${p}`,
    title: `Long time lags without local regularities, p = ${p}`,
    source: 'Hochreiter & Schmidhuber 1997, §5.2 (Task 2b)',
    models: EXP2AB_MODELS,
    defaults: { model: 'lstm1997', lr: 1.0, maxSequences: 5_000_000, trials: 18 },
    paper:
      p === 100
        ? [
            { label: 'LSTM lr 1.0 (10504 w.)', successRate: 100, sequences: 5_680 },
            { label: 'RTRL, BPTT, CH (failed)', successRate: 0 },
          ]
        : [],
    runTrial(model: string, opts: TrialOptions): TrialResult {
      const learner = exp2abLearner(model, p, opts.lr ?? 1.0, opts.seed, growth);
      const result: LagTrialResult & { grownAt?: number | null } = runLagTrial(task, learner, opts, {
        ...EXP2B_PROTOCOL,
        ...run,
        ready: () => learner.grownAt !== null,
      });
      if (learner.grownAt !== undefined) result.grownAt = learner.grownAt;
      return result;
    },
  };
}

/** Experiment 2b with p = 100. */
export const noLocalRegularities = exp2bExperiment(100);
