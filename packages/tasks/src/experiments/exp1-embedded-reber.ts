import type { Experiment, TrialOptions, TrialResult } from '../experiment.js';
import { createLearner, MODELS, type SequenceLearner } from '../learners/index.js';
import { Rng } from '../rng.js';
import { embeddedReberString, legalSuccessors, oneHotSymbol, SYMBOLS } from './reber.js';

/** Net sizes of Table 1: 3 blocks × 2 cells (276 weights) or 4 blocks × 1 cell (264). */
const NETS = {
  lstm1997: { blocks: 3, cellsPerBlock: 2, outputGateBias: [-1, -2, -3] },
  'lstm1997-4x1': { blocks: 4, cellsPerBlock: 1, outputGateBias: [-1, -2, -3, -4] },
} as const;

function learnerFor(model: string, lr: number, seed: number): SequenceLearner {
  const spec = { inputSize: 7, outputSize: 7, lr, seed };
  const net = NETS[model as keyof typeof NETS] ?? NETS.lstm1997;
  // only the gates are biased; weights in ±0.2; output-gate biases −1, −2, −3(, −4)
  const arch = { lstm1997: { ...net, bias: { gate: true }, initRange: 0.2 }, hidden: 12 };
  return createLearner(model in NETS ? 'lstm1997' : model, spec, arch);
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

/** Fraction of strings with at least one wrongly predicted step. */
const stringError = (learner: SequenceLearner, strings: readonly string[]) =>
  strings.filter((s) => stepsWrong(learner, s) > 0).length / strings.length;

/** One-hot inputs: every symbol but the last; targets: every symbol but the first. */
const inputs = (s: string) => Array.from(s.slice(0, -1), oneHotSymbol);
const targets = (s: string) => Array.from(s.slice(1), oneHotSymbol);

const EVAL_EVERY = 1000;

function runTrial(model: string, opts: TrialOptions): TrialResult {
  const rng = new Rng(opts.seed);
  const { train, test } = reberDataset(rng.fork(1));
  const learner = learnerFor(model, opts.lr ?? 0.5, opts.seed);
  const pick = rng.fork(2);
  const curve: [number, number][] = [];
  let sequences = 0;
  while (sequences < opts.maxSequences) {
    if (opts.signal?.aborted)
      return { seed: opts.seed, success: false, sequences, testError: stringError(learner, test), curve, aborted: true };
    // lstm1997: one weight update after every symbol (the paper's on-line RTRL); baselines: per string
    const s = train[pick.int(train.length)]!;
    learner.train(inputs(s), targets(s));
    sequences++;
    if (sequences % EVAL_EVERY === 0) {
      const trainError = stringError(learner, train);
      curve.push([sequences, trainError]);
      opts.onProgress?.(sequences, trainError);
      if (trainError === 0 && stringError(learner, test) === 0) {
        return { seed: opts.seed, success: true, sequences, testError: 0, curve, aborted: false };
      }
    }
  }
  return { seed: opts.seed, success: false, sequences, testError: stringError(learner, test), curve, aborted: false };
}

/**
 * Experiment 1 (§5.1): embedded Reber grammar. The net reads one symbol at a time and predicts
 * the next; success is every legal successor ranked above every illegal one, at every step of
 * all 256 training and 256 test strings — which needs the second symbol remembered across the
 * inner string. Trained on-line by the paper's truncated RTRL, one update per symbol, evaluated
 * every 1000 strings.
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
  runTrial,
};
