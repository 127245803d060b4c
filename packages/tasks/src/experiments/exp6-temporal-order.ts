import type { Experiment } from '../experiment.js';
import { type Architectures, MODELS } from '../learners/index.js';
import type { Rng } from '../rng.js';
import { type EndTargetTask, runEndTargetTrial } from './exp4-6-protocol.js';

/** The input alphabet of Experiment 6, in one-hot order. */
export const ORDER_SYMBOLS = ['E', 'B', 'a', 'b', 'c', 'd', 'X', 'Y'] as const;
/** Class names of 6a (XX, XY, YX, YY) and 6b (XXX … YYY), in output-unit order. */
export const ORDER_CLASSES = {
  '6a': ['Q', 'R', 'S', 'U'],
  '6b': ['Q', 'R', 'S', 'U', 'V', 'A', 'B', 'C'],
} as const;

/** The variants: 2 or 3 relevant symbols. */
export type OrderVariant = '6a' | '6b';

/**
 * Where the relevant symbols may go, 1-based with E at position 1 (which gives Table 10's
 * minimal lags of 40 and 24 for the shortest length, 100).
 */
export const ORDER_WINDOWS: Record<OrderVariant, readonly (readonly [number, number])[]> = {
  '6a': [
    [10, 20],
    [50, 60],
  ],
  '6b': [
    [10, 20],
    [33, 43],
    [66, 76],
  ],
};

/** A temporal-order sequence. */
export interface OrderSequence {
  /** The symbols, e.g. `EbcaX…Y…dB`. */
  symbols: string;
  /** 1-based positions of the relevant symbols. */
  positions: number[];
  /** Index of the class (X = 0, Y = 1, the first relevant symbol the most significant bit). */
  label: number;
  /** One-hot inputs. */
  xs: Float64Array[];
  /** One-hot class target at the end. */
  target: Float64Array;
}

const randomInt = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + rng.int(hi - lo + 1);

/**
 * Draws a sequence (§5.6): length uniform in [100, 110], E first, the trigger B last, random
 * a–d elsewhere except at the relevant positions (uniform in each window), which hold X or Y
 * with probability ½ each. The class is the order of the X/Y symbols.
 */
export function temporalOrderSequence(rng: Rng, variant: OrderVariant): OrderSequence {
  const length = randomInt(rng, [100, 110]);
  const chars: string[] = ['E'];
  for (let p = 2; p < length; p++) chars.push(rng.pick(['a', 'b', 'c', 'd']));
  chars.push('B');
  const positions = ORDER_WINDOWS[variant].map((w) => randomInt(rng, w));
  let label = 0;
  for (const p of positions) {
    const y = rng.chance(0.5);
    chars[p - 1] = y ? 'Y' : 'X';
    label = 2 * label + (y ? 1 : 0);
  }
  const xs = chars.map((c) => {
    const v = new Float64Array(ORDER_SYMBOLS.length);
    v[ORDER_SYMBOLS.indexOf(c as (typeof ORDER_SYMBOLS)[number])] = 1;
    return v;
  });
  const target = new Float64Array(ORDER_CLASSES[variant].length);
  target[label] = 1;
  return { symbols: chars.join(''), positions, label, xs, target };
}

/**
 * The paper's nets: 6a 2 blocks × 2 cells, 4 outputs (156 weights), input-gate biases −2, −4;
 * 6b 3 blocks × 2 cells, 8 outputs (308 weights), input-gate biases −2, −4, −6. All non-input
 * units biased, weights in ±0.1, output-gate biases random. The baselines get as many hidden
 * units as the paper's net has (8, 12).
 */
export function temporalOrderNet(variant: OrderVariant): Architectures {
  const blocks = variant === '6a' ? 2 : 3;
  return {
    lstm1997: {
      blocks,
      cellsPerBlock: 2,
      bias: true,
      initRange: 0.1,
      g: 'paper',
      h: 'paper',
      inputGateBias: variant === '6a' ? [-2, -4] : [-2, -4, -6],
    },
    hidden: 4 * blocks,
  };
}

/** Temporal order as an end-target task (exported for tests). */
export function temporalOrderTask(variant: OrderVariant): EndTargetTask {
  return {
    inputSize: ORDER_SYMBOLS.length,
    outputSize: ORDER_CLASSES[variant].length,
    sample: (rng) => {
      const { xs, target } = temporalOrderSequence(rng, variant);
      return { xs, target };
    },
    tolerance: 0.3,
    stop: { kind: 'st3', beta: 0.1 },
    arch: temporalOrderNet(variant),
  };
}

/**
 * Experiment 6 (§5.6): temporal order. The class of a sequence is the order in which X and Y
 * appear at 2 (6a) or 3 (6b) widely separated positions among random distractors; the one-hot
 * class is the target at the end. Learning rate 0.5 (6a) or 0.1 (6b). Stops at ST3(0.1): the
 * mean absolute output error of the 2000 most recent sequences is below 0.1 and all of them had
 * every output within 0.3; then tests on 2560 sequences.
 */
export function temporalOrderExperiment(variant: OrderVariant): Experiment {
  const task = temporalOrderTask(variant);
  const lr = variant === '6a' ? 0.5 : 0.1;
  const relevant = variant === '6a' ? 2 : 3;
  return {
    id: variant,
    title: `Temporal order, ${relevant} relevant symbols`,
    source: 'Hochreiter & Schmidhuber 1997, §5.6, Table 9',
    models: [...MODELS],
    defaults: { model: 'lstm1997', lr, maxSequences: variant === '6a' ? 200_000 : 2_000_000, trials: variant === '6a' ? 20 : 10 },
    paper: [
      variant === '6a' ? { label: 'Task 6a, 156 weights', sequences: 31_390 } : { label: 'Task 6b, 308 weights', sequences: 571_100 },
    ],
    runTrial: (model, opts) => runEndTargetTrial(task, model, opts, lr),
  };
}

/** Experiment 6a: 2 relevant symbols, 4 classes. */
export const temporalOrder2 = temporalOrderExperiment('6a');
/** Experiment 6b: 3 relevant symbols, 8 classes. */
export const temporalOrder3 = temporalOrderExperiment('6b');
