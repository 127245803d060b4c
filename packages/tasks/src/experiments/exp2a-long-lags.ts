import { noGrad, setSeed, tensor, ValueError } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, RTRL1997 } from '@carousel/nn';
import type { Experiment, PaperRow, TrialOptions, TrialResult } from '../experiment.js';
import { BPTT_MODELS, createLearner, type LearnerSpec, lstm1997Learner, type SequenceLearner } from '../learners/index.js';
import type { Rng } from '../rng.js';
import {
  type LagProtocol,
  type LagSample,
  type LagTask,
  type LagTrialResult,
  onehots,
  runLagTrial,
  weightMatchedHidden,
} from './exp2-protocol.js';

/**
 * Experiment 2a (§5.2): noise-free sequences with long time lags, and the net shared with 2b.
 *
 * Symbols a_1 … a_{p−1}, a_p = x, a_{p+1} = y, one-hot over p + 1 units; symbol a_i has index
 * i − 1, so x is p − 1 and y is p. The training set is exactly two sequences, each drawn with
 * probability 0.5: (y, a_1, …, a_{p−1}, y) and (x, a_1, …, a_{p−1}, x). The net reads the first
 * p symbols and predicts the next one at every step (p targets); predicting the last needs the
 * first stored for p steps. Success (ABS(0.25)): "during 10,000 successive, randomly chosen input
 * sequences, the maximal absolute error of all output units is always below 0.25" — at every
 * step. Training stops after 5 million sequences.
 */

/** Symbol indices of x (= a_p) and y (= a_{p+1}) for delay p. */
export const xOf = (p: number) => p - 1;
export const yOf = (p: number) => p;

function checkP(p: number, op: string): void {
  if (!Number.isInteger(p) || p < 2) throw new ValueError(`p must be an integer ≥ 2, got ${p}`, op);
}

/**
 * Draws a 2a sequence as symbol indices: (c, a_1, …, a_{p−1}, c), c = x or y with probability ½
 * each. Length p + 1.
 *
 * @example
 * noiseFreeSequence(new Rng(1), 4); // e.g. [4, 0, 1, 2, 4]: (y, a1, a2, a3, y)
 */
export function noiseFreeSequence(rng: Rng, p: number): number[] {
  checkP(p, 'noiseFreeSequence');
  const c = rng.chance(0.5) ? xOf(p) : yOf(p);
  return [c, ...Array.from({ length: p - 1 }, (_, i) => i), c];
}

/** Inputs (every symbol but the last) and next-symbol targets (every symbol but the first). */
export function nextSymbolSample(symbols: readonly number[], codes: readonly Float64Array[]): LagSample {
  return { xs: symbols.slice(0, -1).map((s) => codes[s]!), targets: symbols.slice(1).map((s) => codes[s]!) };
}

/**
 * The 2a/2b net (Table 10, "B" connectivity): one memory cell with an input gate and no output
 * gate; the cell and the gate see only the inputs, the output units see the inputs and the cell;
 * no biases; g logistic, h the identity; weights in [−0.2, 0.2]. For p = 100: 101·102 + 101 + 101
 * = 10504 weights.
 */
export const EXP2AB_NET = {
  blocks: 1,
  cellsPerBlock: 1,
  connectivity: 'B',
  outputGate: false,
  bias: false,
  g: 'logistic',
  h: 'identity',
  initRange: 0.2,
} as const satisfies Omit<LSTM1997Options, 'inputSize' | 'outputSize'>;

/** When the memory cell is added: the window-mean training loss stopped decreasing. */
export interface GrowthOptions {
  /** Sequences per window. */
  window: number;
  /** The cell is added after the first window whose mean loss is not at least this fraction below the previous window's. */
  tolerance: number;
}

/** The growth rule used by the experiments (the paper gives none; see {@link exp2aExperiment}). */
export const GROWTH: GrowthOptions = { window: 50, tolerance: 0.05 };

/**
 * The paper's 2a/2b LSTM with sequential construction (§4, abuse remedy 1): "memory cell and
 * input gate are added once the error has stopped decreasing". Until then the net is its
 * input→output layer alone (logistic outputs, the delta rule with an update at every step —
 * the on-line learning of the rest of the net); when the window-mean training loss stops
 * decreasing ({@link GrowthOptions}), the cell and its input gate are added with fresh weights
 * in [−0.2, 0.2], the trained input→output weights are kept, and training goes on by the paper's
 * per-step truncated RTRL. `grownAt` is the number of sequences trained before the cell was added.
 */
export function grownLstm1997(
  spec: LearnerSpec,
  preset: Omit<LSTM1997Options, 'inputSize' | 'outputSize' | 'dtype'>,
  growth: GrowthOptions = GROWTH,
): SequenceLearner & { readonly grownAt: number | null; readonly net: LSTM1997 } {
  setSeed(spec.seed);
  const net = new LSTM1997({ ...preset, inputSize: spec.inputSize, outputSize: spec.outputSize, dtype: 'float64' });
  if (!net.weight_input_output || net.config.outputActivation !== 'logistic')
    throw new ValueError('sequential construction needs connectivity B and logistic outputs', 'grownLstm1997');
  const [I, K] = [spec.inputSize, spec.outputSize];
  // phase 1: the input→output layer, starting from the net's own initial shortcut weights
  const w = Float64Array.from(net.weight_input_output.dataSync());
  const y = new Float64Array(K);
  let rtrl: RTRL1997 | null = null;
  let grownAt: number | null = null;
  let seen = 0;
  let windowSum = 0;
  let windowCount = 0;
  let previous = Number.POSITIVE_INFINITY;

  const layerStep = (x: Float64Array, target: Float64Array | null): number => {
    const active: number[] = [];
    for (let i = 0; i < I; i++) if (x[i] !== 0) active.push(i);
    let loss = 0;
    for (let k = 0; k < K; k++) {
      let n = 0;
      for (const i of active) n += w[k * I + i]! * x[i]!;
      y[k] = 1 / (1 + Math.exp(-n));
    }
    if (target) {
      for (let k = 0; k < K; k++) {
        const d = target[k]! - y[k]!;
        loss += 0.5 * d * d;
        const e = spec.lr * y[k]! * (1 - y[k]!) * d;
        for (const i of active) w[k * I + i]! += e * x[i]!;
      }
    }
    return loss;
  };
  const grow = () => {
    noGrad(() => net.weight_input_output!.assign(tensor(w, { shape: [K, I], dtype: 'float64' })));
    rtrl = new RTRL1997(net, { lr: spec.lr });
    grownAt = seen;
  };
  const run = (xs: readonly Float64Array[], targets: readonly (Float64Array | null)[] | null) => {
    if (rtrl) {
      const r = rtrl;
      r.reset();
      return xs.map((x, t) => Float64Array.from(r.step(x, targets?.[t] ?? null)));
    }
    return xs.map((x, t) => {
      layerStep(x, targets?.[t] ?? null);
      return Float64Array.from(y);
    });
  };
  return {
    name: 'lstm1997',
    numWeights: net.numParameters(),
    get grownAt() {
      return grownAt;
    },
    /** The net with the current weights (before growth: its input→output weights only are trained). */
    get net() {
      if (rtrl) rtrl.sync();
      else noGrad(() => net.weight_input_output!.assign(tensor(w, { shape: [K, I], dtype: 'float64' })));
      return net;
    },
    train(xs, targets) {
      let loss = 0;
      if (rtrl) {
        run(xs, targets).forEach((out, t) => {
          const target = targets[t];
          if (target) for (let k = 0; k < K; k++) loss += 0.5 * (target[k]! - out[k]!) ** 2;
        });
        seen++;
        return loss;
      }
      xs.forEach((x, t) => {
        loss += layerStep(x, targets[t] ?? null);
      });
      seen++;
      windowSum += loss;
      if (++windowCount === growth.window) {
        const mean = windowSum / windowCount;
        if (!(mean < previous * (1 - growth.tolerance))) grow();
        previous = mean;
        windowSum = 0;
        windowCount = 0;
      }
      return loss;
    },
    predict: (xs) => run(xs, null),
  };
}

/** The models of 2a/2b: the paper's grown net, the same net with its cell from the start, and the zoo. */
export const EXP2AB_MODELS = ['lstm1997', 'lstm1997-static', ...BPTT_MODELS] as const;

/**
 * Builds `model` for a 2a/2b task with p + 1 inputs and outputs. The zoo baselines (trained by
 * BPTT, one update per sequence) get the hidden size whose Elman net has about the paper net's
 * weight count (42 for p = 100); the paper's own RTRL/BPTT baseline — one self-recurrent unit
 * with input→output shortcuts — is not in the zoo.
 */
export function exp2abLearner(
  model: string,
  p: number,
  lr: number,
  seed: number,
  growth: GrowthOptions = GROWTH,
): SequenceLearner & { readonly grownAt?: number | null } {
  const spec = { inputSize: p + 1, outputSize: p + 1, lr, seed };
  if (model === 'lstm1997') return grownLstm1997(spec, EXP2AB_NET, growth);
  if (model === 'lstm1997-static') return lstm1997Learner(spec, EXP2AB_NET);
  const weights = (p + 1) * (p + 2) + 2 * (p + 1);
  return createLearner(model, spec, { lstm1997: EXP2AB_NET, hidden: weightMatchedHidden(weights, p + 1, p + 1) });
}

/** The 2a task for delay p, as the protocol sees it. */
export function noiseFreeTask(p: number): LagTask {
  checkP(p, 'noiseFreeTask');
  const codes = onehots(p + 1);
  const bySymbol = (c: number) => nextSymbolSample([c, ...Array.from({ length: p - 1 }, (_, i) => i), c], codes);
  return {
    inputSize: p + 1,
    outputSize: p + 1,
    sample: (rng) => nextSymbolSample(noiseFreeSequence(rng, p), codes),
    tolerance: 0.25,
    check: 'all',
    all: [bySymbol(xOf(p)), bySymbol(yOf(p))],
  };
}

/** Table 2 of the paper (means of 18 trials), by delay p; failed rows (0 %) ran out of 5,000,000 sequences. */
const TABLE2: (PaperRow & { p: number })[] = [
  { p: 4, label: 'RTRL lr 1.0 (36 w.)', successRate: 78, sequences: 1_043_000 },
  { p: 4, label: 'RTRL lr 4.0 (36 w.)', successRate: 56, sequences: 892_000 },
  { p: 4, label: 'RTRL lr 10 (36 w.)', successRate: 22, sequences: 254_000 },
  { p: 10, label: 'RTRL lr 1–10 (144 w.)', successRate: 0 },
  { p: 100, label: 'RTRL lr 1–10 (10404 w.)', successRate: 0 },
  { p: 100, label: 'BPTT lr 1–10 (10404 w.)', successRate: 0 },
  { p: 100, label: 'CH lr 1.0 (10506 w.)', successRate: 33, sequences: 32_400 },
  { p: 100, label: 'LSTM lr 1.0 (10504 w.)', successRate: 100, sequences: 5_040 },
];

/** Protocol of 2a: the two sequences are tested every 10 training sequences, once the cell exists. */
export const EXP2A_PROTOCOL: Omit<LagProtocol, 'ready'> = { evalEvery: 10, curveEvery: 500 };

/**
 * Experiment 2a for delay p (the paper's LSTM row: p = 100, id `2a`; `2a-p4`, `2a-p10` for the
 * RTRL rows of Table 2).
 *
 * Protocol: on-line learning, a target at every step; `lstm1997` updates its weights after every
 * step (the paper's RTRL) and grows its memory cell when the training loss stops decreasing
 * (window of 50 sequences, less than 5% below the previous window — the paper gives no rule);
 * the zoo baselines update once per sequence by BPTT. Every 10 training sequences (once the cell
 * exists) both sequences are tested with frozen weights — equivalent to the paper's 10,000
 * random draws of them. `sequences` counts every training sequence, those before the cell was
 * added included; tests are not counted.
 */
export function exp2aExperiment(p = 100, growth: GrowthOptions = GROWTH): Experiment {
  const task = noiseFreeTask(p);
  return {
    id: p === 100 ? '2a' : `2a-p${p}`,
    title: `Noise-free long time lags, p = ${p}`,
    source: 'Hochreiter & Schmidhuber 1997, §5.2 (Task 2a), Table 2',
    models: EXP2AB_MODELS,
    defaults: { model: 'lstm1997', lr: 1.0, maxSequences: 5_000_000, trials: 18 },
    paper: TABLE2.filter((r) => r.p === p).map(({ p: _, ...row }) => row),
    runTrial(model: string, opts: TrialOptions): TrialResult {
      const learner = exp2abLearner(model, p, opts.lr ?? 1.0, opts.seed, growth);
      const result: LagTrialResult & { grownAt?: number | null } = runLagTrial(task, learner, opts, {
        ...EXP2A_PROTOCOL,
        ready: () => learner.grownAt !== null,
      });
      if (learner.grownAt !== undefined) result.grownAt = learner.grownAt;
      return result;
    },
  };
}

/** Experiment 2a with p = 100 (Table 2's LSTM row). */
export const noiseFreeLongLags = exp2aExperiment(100);
/** Table 2's shorter delays (its RTRL rows). */
export const noiseFreeLongLagsShort = [exp2aExperiment(4), exp2aExperiment(10)];
