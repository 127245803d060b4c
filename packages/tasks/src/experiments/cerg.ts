import { BackendError, getBackend, setSeed, ValueError } from '@carousel/autograd';
import type { Experiment, PaperRow, TrialOptions, TrialResult } from '../experiment.js';
import { Rng } from '../rng.js';
import { type CergForget, CergNet, CergRTRL } from './cerg-net.js';
import { embeddedReberString, legalSuccessors, type ReberSymbol, SYMBOLS } from './reber.js';

// The continual embedded Reber grammar (CERG) of Gers, Schmidhuber & Cummins (2000), §4:
// embedded Reber strings follow one another in one stream with no reset and no marked end, the
// net predicts the legal successors of every symbol, and it learns on-line at every symbol.

/** One symbol of a CERG stream, as the net sees it. */
export interface CergStep {
  symbol: ReberSymbol;
  /** One-hot input (shared: never mutate it). */
  input: Float64Array;
  /** The legal successors of this symbol in the stream. */
  successors: ReadonlySet<ReberSymbol>;
  /** Multi-hot target: 1 for every legal successor (shared: never mutate it). */
  target: Float64Array;
  /** True at the closing E of an embedded string (where "standard LSTM with external reset" resets). */
  endOfString: boolean;
}

const INDEX = new Map<string, number>(SYMBOLS.map((c, i) => [c, i]));
const ONE_HOT = SYMBOLS.map((_, i) => Float64Array.from(SYMBOLS, (__, k) => (k === i ? 1 : 0)));
/** The multi-hot vector of every subset of the alphabet, by bit mask (built on first use). */
const MULTI_HOT: Float64Array[] = [];
const targetOf = (set: ReadonlySet<ReberSymbol>): Float64Array => {
  let mask = 0;
  for (const c of set) mask |= 1 << INDEX.get(c)!;
  MULTI_HOT[mask] ??= Float64Array.from(SYMBOLS, (_, k) => (mask >> k) & 1);
  return MULTI_HOT[mask]!;
};
const AFTER_END: ReadonlySet<ReberSymbol> = new Set(['B']);
// not runner.ts's `mean`: the registry imports this file, and runner.ts imports the registry
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * An endless CERG stream: embedded Reber strings (each choice with probability ½) concatenated
 * with nothing between them. After a string's closing E the next string's B is the only legal
 * successor; everywhere else the successors are the embedded grammar's.
 *
 * @example
 * const stream = cergStream(new Rng(1));
 * stream.next().value.symbol; // 'B'
 */
export function* cergStream(rng: Rng): Generator<CergStep, never> {
  for (;;) {
    const s = embeddedReberString(rng);
    const legal = legalSuccessors(s);
    for (let t = 0; t < s.length; t++) {
      const symbol = s[t] as ReberSymbol;
      const end = t === s.length - 1;
      const successors = end ? AFTER_END : legal[t]!;
      yield { symbol, input: ONE_HOT[INDEX.get(symbol)!]!, successors, target: targetOf(successors), endOfString: end };
    }
  }
}

/** G00's criterion: a prediction is correct when every output is within 0.49 of its target. */
export const TOLERANCE = 0.49;
/** Longest training or test stream: 100,000 symbols (a "perfect" solution predicts 10 such test streams). */
export const STREAM_LENGTH = 100_000;
/** Test streams after each training stream. */
export const TEST_STREAMS = 10;
/** "Good" nets: average test-stream length above this (G00 Table 2, note b). */
export const GOOD_LENGTH = 1000;
/** Factor of "sequential α decay" per time step, α starting again at its initial value with every training stream. */
export const ALPHA_DECAY = 0.99;
/** Training streams per point of the learning curve. */
const CURVE_EVERY = 100;

/**
 * True when every output is within {@link TOLERANCE} of the target (G00's criterion for one prediction).
 *
 * @example
 * correctPrediction([0.9, 0.6, 0.1], [1, 1, 0]); // true
 * correctPrediction([0.9, 0.5, 0.1], [1, 1, 0]); // false: 0.5 is not within 0.49 of 1
 */
export function correctPrediction(y: ArrayLike<number>, target: ArrayLike<number>): boolean {
  for (let k = 0; k < target.length; k++) if (!(Math.abs(y[k]! - target[k]!) < TOLERANCE)) return false;
  return true;
}

/** The variants of G00's Table 2, by model name. */
export const CERG_MODELS = {
  'forget-gates': { label: 'LSTM with forget gates', short: 'forget gates', forget: 'gate', alphaDecay: false, reset: false },
  'forget-gates-decay': {
    label: 'LSTM with forget gates and sequential α decay',
    short: 'forget gates, α decay',
    forget: 'gate',
    alphaDecay: true,
    reset: false,
  },
  standard: { label: 'Standard LSTM', short: 'standard LSTM', forget: 1, alphaDecay: false, reset: false },
  'standard-reset': {
    label: 'Standard LSTM with external reset',
    short: 'standard LSTM, reset',
    forget: 1,
    alphaDecay: false,
    reset: true,
  },
  'state-decay': { label: 'LSTM with state decay (0.9)', short: 'state decay 0.9', forget: 0.9, alphaDecay: false, reset: false },
} as const satisfies Record<string, { label: string; short: string; forget: CergForget; alphaDecay: boolean; reset: boolean }>;
/** A CERG model name. */
export type CergModel = keyof typeof CERG_MODELS;

/**
 * G00's net for `model`: 7 inputs, 4 blocks × 2 cells, 7 outputs, shortcuts, gates and outputs
 * biased (424 weights with forget gates), weights in ±0.2, gate biases blockwise.
 *
 * @throws ValueError for an unknown model.
 * @example
 * cergNet('forget-gates').numParameters(); // 424
 */
export function cergNet(model: string): CergNet {
  return new CergNet({ inputSize: SYMBOLS.length, outputSize: SYMBOLS.length, forget: variant(model).forget });
}

/** The Table 2 row of `model`, or a ValueError naming the rows. */
function variant(model: string): (typeof CERG_MODELS)[CergModel] {
  if (!Object.hasOwn(CERG_MODELS, model))
    throw new ValueError(`unknown CERG model '${model}'; available: ${Object.keys(CERG_MODELS).join(', ')}`, 'cerg');
  return CERG_MODELS[model as CergModel];
}

/**
 * Runs the net over one fresh stream, from rest, until its first wrong prediction or
 * {@link STREAM_LENGTH} symbols, learning at every symbol (the wrong one too) when `alpha` is
 * given (starting at `alpha.lr`, ×0.99 per symbol when `alpha.decay`). Returns the number of
 * symbols predicted correctly.
 */
function runStream(rtrl: CergRTRL, rng: Rng, reset: boolean, alpha?: { lr: number; decay: boolean }): number {
  rtrl.reset();
  const stream = cergStream(rng);
  let lr = alpha?.lr ?? 0;
  for (let n = 0; n < STREAM_LENGTH; n++) {
    const step = stream.next().value;
    const y = alpha ? rtrl.step(step.input, step.target, lr) : rtrl.predict(step.input);
    if (!correctPrediction(y, step.target)) return n;
    if (alpha?.decay) lr *= ALPHA_DECAY;
    if (reset && step.endOfString) rtrl.reset();
  }
  return STREAM_LENGTH;
}

/**
 * One trial of G00's protocol: each training stream runs until the first wrong prediction (or
 * 100,000 symbols) with a weight update at every symbol; after it, fresh test streams run with
 * frozen weights. Solved when 10 test streams in a row reach 100,000 symbols; the test after a
 * training stream stops at its first test stream that breaks down (the net is not solved then,
 * and the other streams' lengths would only cost time). Stops when solved or after
 * `maxSequences` training streams. `sequences` counts training streams. At the end a full test
 * of 10 streams gives the test error (the fraction of them that broke down before 100,000) and
 * `stats.meanTestLength`, their mean error-free length (Table 2's angle brackets).
 */
function runTrial(model: string, opts: TrialOptions): TrialResult {
  const m = variant(model);
  if (getBackend() !== 'cpu')
    throw new BackendError(
      `CERG cannot run on '${getBackend()}': its nets learn by per-symbol truncated RTRL in float64 on Float64Arrays (CPU only)`,
      'cerg',
    );
  setSeed(opts.seed);
  const rtrl = new CergRTRL(cergNet(model));
  const rng = new Rng(opts.seed);
  const trainRng = rng.fork(1);
  const testRng = rng.fork(2);
  const alpha = { lr: opts.lr ?? 0.5, decay: m.alphaDecay };
  const curve: [number, number][] = [];
  let [symbols, breaks] = [0, 0]; // training symbols and the streams that ended in an error, since the last curve point
  let streams = 0;
  const result = (success: boolean, aborted: boolean): TrialResult => {
    const lengths = success ? Array(TEST_STREAMS).fill(STREAM_LENGTH) : aborted ? [] : finalTest();
    return {
      seed: opts.seed,
      success,
      sequences: streams,
      testError: lengths.length ? lengths.filter((l) => l < STREAM_LENGTH).length / lengths.length : Number.NaN,
      curve,
      aborted,
      stats: { meanTestLength: mean(lengths) },
    };
  };
  const finalTest = () => Array.from({ length: TEST_STREAMS }, () => runStream(rtrl, testRng, m.reset));
  const solved = () => {
    for (let i = 0; i < TEST_STREAMS; i++) if (runStream(rtrl, testRng, m.reset) < STREAM_LENGTH) return false;
    return true;
  };
  while (streams < opts.maxSequences) {
    if (opts.signal?.aborted) return result(false, true);
    const n = runStream(rtrl, trainRng, m.reset, alpha);
    streams++;
    symbols += n + (n < STREAM_LENGTH ? 1 : 0);
    if (n < STREAM_LENGTH) breaks++;
    if (streams % CURVE_EVERY === 0) {
      // training error: wrong predictions per training symbol over the last CURVE_EVERY streams
      curve.push([streams, breaks / symbols]);
      opts.onProgress?.(streams, breaks / symbols);
      [symbols, breaks] = [0, 0];
    }
    if (solved()) return result(true, false);
  }
  return result(false, false);
}

/** Table 2 of G00 (100 nets per row): % solutions (training streams to solution), % good ⟨mean length⟩, % rest ⟨mean length⟩. */
export const CERG_TABLE2: Readonly<Record<CergModel, CergRow>> = {
  'standard-reset': { solutions: 74, streamsToSolution: 7441, good: 0, goodLength: Number.NaN, rest: 26, restLength: 31 },
  standard: { solutions: 0, streamsToSolution: Number.NaN, good: 1, goodLength: 1166, rest: 99, restLength: 37 },
  'state-decay': { solutions: 0, streamsToSolution: Number.NaN, good: 0, goodLength: Number.NaN, rest: 100, restLength: 56 },
  'forget-gates': { solutions: 18, streamsToSolution: 18_889, good: 29, goodLength: 39_171, rest: 53, restLength: 145 },
  'forget-gates-decay': { solutions: 62, streamsToSolution: 14_087, good: 6, goodLength: 68_464, rest: 32, restLength: 30 },
};

/** One row of G00's Table 2. */
export interface CergRow {
  /** % of nets that solved CERG (10 test streams of 100,000 symbols correct). */
  solutions: number;
  /** Mean training streams until solution, over the solving nets. */
  streamsToSolution: number;
  /** % of the other nets whose final mean test-stream length is above 1000. */
  good: number;
  /** Their mean error-free test-stream length. */
  goodLength: number;
  /** % of nets with mean test-stream length ≤ 1000. */
  rest: number;
  /** Their mean error-free test-stream length. */
  restLength: number;
}

/**
 * Our trials in G00's Table 2 columns: solved nets, then the others split by their final mean
 * test-stream length (above 1000: "good"; the rest). Lengths are NaN for empty groups.
 *
 * @throws ValueError when a trial has no `stats.meanTestLength` (not a CERG trial).
 * @example
 * const row = cergRow(runExperiment('cerg', { trials: 2, maxSequences: 50 }).trials);
 * row.solutions; // a percentage
 */
export function cergRow(trials: readonly TrialResult[]): CergRow {
  const len = (r: TrialResult) => {
    const l = r.stats?.meanTestLength;
    if (l === undefined) throw new ValueError(`trial with seed ${r.seed} has no meanTestLength: not a CERG trial`, 'cergRow');
    return l;
  };
  for (const r of trials) len(r);
  const solved = trials.filter((r) => r.success);
  const good = trials.filter((r) => !r.success && len(r) > GOOD_LENGTH);
  const rest = trials.filter((r) => !r.success && !(len(r) > GOOD_LENGTH));
  const pct = (xs: readonly TrialResult[]) => (trials.length ? (100 * xs.length) / trials.length : Number.NaN);
  return {
    solutions: pct(solved),
    streamsToSolution: mean(solved.map((r) => r.sequences)),
    good: pct(good),
    goodLength: mean(good.map(len)),
    rest: pct(rest),
    restLength: mean(rest.map(len)),
  };
}

const paperRows: PaperRow[] = (Object.keys(CERG_MODELS) as CergModel[]).map((id) => ({
  label: `G00 ${CERG_MODELS[id].short}`,
  successRate: CERG_TABLE2[id].solutions,
  ...(Number.isNaN(CERG_TABLE2[id].streamsToSolution) ? {} : { sequences: CERG_TABLE2[id].streamsToSolution }),
}));

/**
 * The continual embedded Reber grammar (G00 §4, Table 2): G00's 424-weight net with forget
 * gates (and the table's other rows as models), lr 0.5, on-line truncated RTRL at every symbol,
 * a training stream per "sequence", tested on 10 streams after each. The paper allows 30,000
 * training streams and reports 100 nets per row; the default here is a short run, 4 trials of
 * ≤ 10,000 streams, about half a minute on 2 cores (see `docs/reproduction.md` for full ones).
 *
 * @example
 * const trial = continualReber.runTrial('standard', { seed: 1, maxSequences: 100 });
 * trial.stats?.meanTestLength; // the mean error-free length of 10 test streams
 */
export const continualReber: Experiment = {
  id: 'cerg',
  title: 'Continual embedded Reber grammar',
  source: 'Gers, Schmidhuber & Cummins 2000, §4, Table 2',
  models: Object.keys(CERG_MODELS),
  defaults: { model: 'forget-gates', lr: 0.5, maxSequences: 10_000, trials: 4 },
  paper: paperRows,
  runTrial,
};
