import type { LSTM1997Options } from '@carousel/nn';
import type { Experiment, TrialOptions, TrialResult } from '../experiment.js';
import { createLearner, lstm1997Learner, MODELS, type SequenceLearner } from '../learners/index.js';
import { Rng } from '../rng.js';
import { embeddedReberString, legalSuccessors, oneHotSymbol, SYMBOLS } from './reber.js';

/** Net sizes of Table 1: 3 blocks × 2 cells (276 weights) or 4 blocks × 1 cell (264). */
const NETS = {
  lstm1997: { blocks: 3, cellsPerBlock: 2, outputGateBias: [-1, -2, -3] },
  'lstm1997-4x1': { blocks: 4, cellsPerBlock: 1, outputGateBias: [-1, -2, -3, -4] },
} as const;

/**
 * The choices the paper leaves open in Experiment 1 (see docs/reproduction.md for what each
 * changes). The defaults are the reading that comes closest to Table 1.
 */
export interface ReberProtocol {
  /**
   * Training targets: `'legal'` (default) sets every legal successor to 1, as in the follow-up
   * work of the same group (Gers et al. 2000); `'next'` is the one-hot actual next symbol.
   */
  targets: 'legal' | 'next';
  /**
   * The LSTM1997 squashes: `'table10'` (default) reads Table 10's caption literally, h ∈ [−2, 2]
   * and g ∈ [−1, 1]; `'appendix'` uses eqs. 4–5, h ∈ [−1, 1] and g ∈ [−2, 2].
   */
  squash: 'table10' | 'appendix';
  /** LSTM1997's weight updates: after every symbol (`'step'`, default) or once per string. */
  update: 'step' | 'sequence';
}

/** The protocol `carousel run reber` uses. */
export const REBER_PROTOCOL: Readonly<ReberProtocol> = { targets: 'legal', squash: 'table10', update: 'step' };

/**
 * The paper's net for Experiment 1 under `protocol`: 3 blocks × 2 cells (`lstm1997`) or 4 × 1
 * (`lstm1997-4x1`), only the gates biased, weights in ±0.2, output-gate biases −1, −2, −3(, −4).
 */
export function reberNet(
  model: 'lstm1997' | 'lstm1997-4x1' = 'lstm1997',
  protocol: ReberProtocol = REBER_PROTOCOL,
): Omit<LSTM1997Options, 'inputSize' | 'outputSize' | 'dtype'> {
  const squashes: Pick<LSTM1997Options, 'g' | 'h'> =
    protocol.squash === 'table10' ? { g: 'sigmoid1', h: 'sigmoid2' } : { g: 'paper', h: 'paper' };
  return { ...NETS[model], ...squashes, bias: { gate: true }, initRange: 0.2 };
}

/** Hidden units of Experiment 1's BPTT baselines (as many as the paper net has cells and gates). */
export const REBER_BASELINE_HIDDEN = 12;

/** Builds `model` as Experiment 1 trains it (the Table 1 net for `lstm1997` and `lstm1997-4x1`). */
export function reberLearner(model: string, lr: number, seed: number, protocol: ReberProtocol = REBER_PROTOCOL): SequenceLearner {
  const spec = { inputSize: 7, outputSize: 7, lr, seed };
  if (!(model in NETS)) return createLearner(model, spec, { lstm1997: reberNet(), hidden: REBER_BASELINE_HIDDEN });
  return lstm1997Learner(spec, reberNet(model as keyof typeof NETS, protocol), { update: protocol.update });
}

/** 256 training strings (duplicates allowed, as drawn) and 256 test strings not in the training set. */
export function reberDataset(rng: Rng): { train: string[]; test: string[] } {
  const train = Array.from({ length: 256 }, () => embeddedReberString(rng));
  const seen = new Set(train);
  const test: string[] = [];
  while (test.length < 256) {
    const s = embeddedReberString(rng);
    if (!seen.has(s)) test.push(s);
  }
  return { train, test };
}

/**
 * The paper's success test for one string: at every step, every legal next symbol's output
 * is above every illegal symbol's output. Returns the number of steps that fail.
 */
function stepsWrong(learner: SequenceLearner, s: string): number {
  const legal = legalSuccessors(s);
  const ys = learner.predict(inputs(s));
  let wrong = 0;
  for (let t = 0; t < s.length - 1; t++) {
    const y = ys[t]!;
    let minLegal = Number.POSITIVE_INFINITY;
    let maxIllegal = Number.NEGATIVE_INFINITY;
    SYMBOLS.forEach((symbol, k) => {
      if (legal[t]!.has(symbol)) minLegal = Math.min(minLegal, y[k]!);
      else maxIllegal = Math.max(maxIllegal, y[k]!);
    });
    if (!(minLegal > maxIllegal)) wrong++;
  }
  return wrong;
}

/** Fraction of strings with at least one wrongly predicted step (the success test's measure). */
export const reberStringError = (learner: SequenceLearner, strings: readonly string[]) =>
  strings.filter((s) => stepsWrong(learner, s) > 0).length / strings.length;

/** One-hot inputs: every symbol but the last. */
const inputs = (s: string) => Array.from(s.slice(0, -1), oneHotSymbol);

/** Targets at every step: the legal successors (multi-hot) or the actual next symbol (one-hot). */
export function reberTargets(s: string, kind: ReberProtocol['targets']): Float64Array[] {
  if (kind === 'next') return Array.from(s.slice(1), oneHotSymbol);
  return legalSuccessors(s).map((legal) => Float64Array.from(SYMBOLS, (symbol) => (legal.has(symbol) ? 1 : 0)));
}

const EVAL_EVERY = 1000;

/** One trial of Experiment 1 under `protocol` (exported for the reproduction scripts and tests). */
export function reberTrial(
  model: string,
  opts: TrialOptions,
  protocol: ReberProtocol = REBER_PROTOCOL,
  learner: SequenceLearner = reberLearner(model, opts.lr ?? 0.5, opts.seed, protocol),
): TrialResult {
  const rng = new Rng(opts.seed);
  const { train, test } = reberDataset(rng.fork(1));
  const examples = new Map(train.map((s) => [s, { xs: inputs(s), targets: reberTargets(s, protocol.targets) }]));
  const pick = rng.fork(2);
  const curve: [number, number][] = [];
  let sequences = 0;
  while (sequences < opts.maxSequences) {
    if (opts.signal?.aborted)
      return { seed: opts.seed, success: false, sequences, testError: reberStringError(learner, test), curve, aborted: true };
    // lstm1997: updates per symbol or per string (protocol.update); baselines: per string
    const { xs, targets } = examples.get(train[pick.int(train.length)]!)!;
    learner.train(xs, targets);
    sequences++;
    if (sequences % EVAL_EVERY === 0) {
      const trainError = reberStringError(learner, train);
      curve.push([sequences, trainError]);
      opts.onProgress?.(sequences, trainError);
      if (trainError === 0 && reberStringError(learner, test) === 0) {
        return { seed: opts.seed, success: true, sequences, testError: 0, curve, aborted: false };
      }
    }
  }
  return { seed: opts.seed, success: false, sequences, testError: reberStringError(learner, test), curve, aborted: false };
}

/**
 * Experiment 1 (§5.1): embedded Reber grammar. The net reads one symbol at a time and predicts
 * the next; success is every legal successor ranked above every illegal one, at every step of
 * all 256 training and 256 test strings — which needs the second symbol remembered across the
 * inner string. Trained on-line by the paper's truncated RTRL under {@link REBER_PROTOCOL}
 * (one update per symbol, legal-successor targets, Table 10's squash ranges), evaluated every
 * 1000 strings.
 */
export const embeddedReber: Experiment = {
  id: 'reber',
  title: 'Embedded Reber grammar',
  source: 'Hochreiter & Schmidhuber 1997, §5.1, Table 1',
  models: [...Object.keys(NETS), ...MODELS.slice(1)],
  defaults: { model: 'lstm1997', lr: 0.5, maxSequences: 100_000, trials: 30 },
  paper: [
    { label: 'LSTM 4 blocks × 1, lr 0.1', successRate: 100, sequences: 39_740 },
    { label: 'LSTM 3 blocks × 2, lr 0.1', successRate: 100, sequences: 21_730 },
    { label: 'LSTM 3 blocks × 2, lr 0.2', successRate: 97, sequences: 14_060 },
    { label: 'LSTM 4 blocks × 1, lr 0.5', successRate: 97, sequences: 9_500 },
    { label: 'LSTM 3 blocks × 2, lr 0.5', successRate: 100, sequences: 8_440 },
  ],
  runTrial: (model, opts) => reberTrial(model, opts),
};
