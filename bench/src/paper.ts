// The paper's own training cost: time per training sequence of the 1997 LSTM trained by its
// truncated RTRL (@carousel/nn's RTRL1997), on one core, for three of the experiments, with the
// learners and sequence generators @carousel/tasks runs them with. The targets: ≤ 30 µs
// per string (Exp. 1), ≤ 50 µs (Exp. 2c, q = p = 100) and ≤ 60 µs (Exp. 4, T = 100).
//
// Sequences are drawn before timing (generation is not training) and cycled; the weights keep
// training throughout, as in a trial. Each sample times `iters` sequences back to back.
import {
  addingTask,
  createLearner,
  EXP2C_NET,
  embeddedReberString,
  endTargetLearner,
  legalSuccessors,
  lstm1997Learner,
  oneHotSymbol,
  Rng,
  SYMBOLS,
  veryLongLagTask,
  weightMatchedHidden,
} from '@carousel/tasks/browser';

export type PaperName = 'P1' | 'P2c' | 'P4';
export const PAPER_NAMES: PaperName[] = ['P1', 'P2c', 'P4'];

/** One paper workload, set up: train on sequence i (mod the pool) and report its length. */
export interface PaperWorkload {
  name: PaperName;
  what: string;
  /** The target, µs per sequence. */
  targetUs: number;
  /** Weights of the net. */
  weights: number;
  /** Mean steps per sequence of the drawn pool. */
  meanSteps: number;
  /** Trains on the next sequence; returns its loss (or end output) so the work cannot be skipped. */
  train(i: number): number;
}

const POOL = 256;

/** Exp. 1: embedded Reber strings, 3 blocks × 2 cells (Table 1), lr 0.5, an update after every symbol. */
function exp1(rng: Rng): PaperWorkload {
  const learner = lstm1997Learner(
    { inputSize: 7, outputSize: 7, lr: 0.5, seed: 1 },
    { blocks: 3, cellsPerBlock: 2, outputGateBias: [-1, -2, -3], g: 'sigmoid1', h: 'sigmoid2', bias: { gate: true }, initRange: 0.2 },
    { update: 'step' },
  );
  const pool = Array.from({ length: POOL }, () => {
    const s = embeddedReberString(rng);
    const targets = legalSuccessors(s).map((legal) => Float64Array.from(SYMBOLS, (symbol) => (legal.has(symbol) ? 1 : 0)));
    return { xs: Array.from(s.slice(0, -1), oneHotSymbol), targets };
  });
  return {
    name: 'P1',
    what: 'Exp. 1 embedded Reber, LSTM1997 3×2, RTRL update per symbol',
    targetUs: 30,
    weights: learner.numWeights,
    meanSteps: pool.reduce((a, s) => a + s.xs.length, 0) / POOL,
    train: (i) => {
      const s = pool[i % POOL]!;
      return learner.train(s.xs, s.targets);
    },
  };
}

/** Exp. 2c with q = p = 100: 2 blocks × 1 cell on 104 one-hot inputs, one target at the end. */
function exp2c(rng: Rng): PaperWorkload {
  const [q, p] = [100, 100];
  const task = veryLongLagTask(q, p);
  const learner = createLearner(
    'lstm1997',
    { inputSize: p + 4, outputSize: 2, lr: 0.01, seed: 1 },
    { lstm1997: EXP2C_NET, hidden: weightMatchedHidden(6 * p + 64, p + 4, 2) },
  );
  const pool = Array.from({ length: POOL }, () => task.sample(rng));
  return {
    name: 'P2c',
    what: 'Exp. 2c q=p=100, LSTM1997 2×1, RTRL',
    targetUs: 50,
    weights: learner.numWeights,
    meanSteps: pool.reduce((a, s) => a + s.xs.length, 0) / POOL,
    train: (i) => {
      const s = pool[i % POOL]!;
      return learner.train(s.xs, s.targets);
    },
  };
}

/** Exp. 4, the adding problem with T = 100: 2 blocks × 2 cells, one target at the end (lr 0.5). */
function exp4(rng: Rng): PaperWorkload {
  const task = addingTask(100);
  const learner = endTargetLearner(task, 'lstm1997', 0.5, 1);
  const pool = Array.from({ length: POOL }, () => task.sample(rng));
  return {
    name: 'P4',
    what: 'Exp. 4 adding T=100, LSTM1997 2×2, RTRL',
    targetUs: 60,
    weights: learner.numWeights,
    meanSteps: pool.reduce((a, s) => a + s.xs.length, 0) / POOL,
    train: (i) => {
      const s = pool[i % POOL]!;
      return learner.trainEnd(s.xs, s.target)[0]!;
    },
  };
}

/** Builds the named paper workload (sequences from a fixed seed). */
export function paperWorkload(name: PaperName): PaperWorkload {
  const rng = new Rng(2024);
  return name === 'P1' ? exp1(rng) : name === 'P2c' ? exp2c(rng) : exp4(rng);
}
