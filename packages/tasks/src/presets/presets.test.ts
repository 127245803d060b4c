import { type LSTM1997, RTRL1997 } from '@carousel/nn';
import { describe, expect, it } from 'vitest';
import { reberStringError } from '../experiments/exp1-embedded-reber.js';
import { RULES, twoSequenceSample } from '../experiments/exp3-two-sequence.js';
import { testEndTarget } from '../experiments/exp4-6-protocol.js';
import { temporalOrderTask } from '../experiments/exp6-temporal-order.js';
import { embeddedReberString } from '../experiments/reber.js';
import { Rng } from '../rng.js';
import { PRESET_IDS, PRETRAINED, presetConfig } from './index.js';
import { loadPretrained, presets } from './node.js';

/** Seeds the shipped weights were trained with (their data: Rng(seed).fork(1); their trial's test: fork(2)). */
const TRAIN_SEEDS = { reber: 6, '3a': 8, '6a': 2 };
/** Seed of the fresh test sets, used by no training run. */
const FRESH_SEED = 20_250_601;
/** The paper's test-set size (Table 11). */
const FRESH_SIZE = 2560;

/** Outputs at the last step, weights frozen (the experiments' own forward: the RTRL trainer with no target). */
function predictEnd(net: LSTM1997) {
  const rtrl = new RTRL1997(net, { lr: 0 });
  return (xs: readonly Float64Array[]) => {
    rtrl.reset();
    let y: ArrayLike<number> = [];
    for (const x of xs) y = rtrl.step(x, null);
    return Float64Array.from(y);
  };
}

describe('presets', () => {
  it("build the paper's nets with the paper's weight counts", () => {
    const counts = {
      reber: 276,
      '2a': 10_504,
      '2b': 10_504,
      '2c': 364,
      '3a': 102,
      '3b': 102,
      '3c': 102,
      '4': 93,
      '5': 93,
      '6a': 156,
      '6b': 308,
    };
    expect([...PRESET_IDS].sort()).toEqual(Object.keys(counts).sort());
    for (const id of PRESET_IDS) expect(presets[id].lstm1997({ seed: 1 }).numParameters(), id).toBe(counts[id]);
  });

  it('are seeded and fresh on every call', () => {
    const a = presets['6a'].lstm1997({ seed: 3 });
    const b = presets['6a'].lstm1997({ seed: 3 });
    expect(a).not.toBe(b);
    expect(a.weight_cell.dataSync()).toEqual(b.weight_cell.dataSync());
    expect(presetConfig('6a').inputGateBias).toEqual([-2, -4]);
  });

  it('refuse pretrained weights that do not ship, and unknown ids', () => {
    expect(() => presets['6b'].lstm1997({ pretrained: true })).toThrow(/no trained weights ship/);
    expect(() => presetConfig('7' as never)).toThrow(/no preset/);
    expect(PRETRAINED.every((id) => presets[id].hasPretrained)).toBe(true);
  });

  it('record how the shipped weights were trained', () => {
    for (const id of PRETRAINED) {
      const { metadata } = loadPretrained(id);
      const seed = String(TRAIN_SEEDS[id]);
      expect(metadata).toMatchObject({ experiment: id, model: 'lstm1997', seed, success: 'true', testError: '0' });
      expect(metadata.command).toMatch(new RegExp(`^carousel train ${id} --seed ${seed} `));
      expect(Number.isNaN(Date.parse(metadata.date!))).toBe(false);
      expect(Number(metadata.sequences)).toBeGreaterThan(0);
    }
  });

  it('reber (pretrained) predicts every symbol of 2560 fresh embedded Reber strings correctly', () => {
    const net = presets.reber.lstm1997({ pretrained: true });
    expect(net.numParameters()).toBe(276);
    const rtrl = new RTRL1997(net, { lr: 0 });
    const learner = {
      name: 'lstm1997',
      numWeights: 276,
      train: () => 0,
      predict: (xs: readonly Float64Array[]) => {
        rtrl.reset();
        return xs.map((x) => Float64Array.from(rtrl.step(x, null)));
      },
    };
    const rng = new Rng(FRESH_SEED);
    const fresh = Array.from({ length: FRESH_SIZE }, () => embeddedReberString(rng));
    // the paper's criterion: at every step every legal successor outranks every illegal symbol
    expect(reberStringError(learner, fresh)).toBe(0);
  });

  it('6a (pretrained) solves temporal order on a fresh test set', () => {
    const net = presets['6a'].lstm1997({ pretrained: true });
    expect(net.numParameters()).toBe(156);
    const task = temporalOrderTask('6a');
    const { wrong, meanError } = testEndTarget(
      task,
      { numWeights: 156, trainEnd: () => new Float64Array(), predictEnd: predictEnd(net) },
      new Rng(FRESH_SEED),
      FRESH_SIZE,
    );
    // ST3(0.1) on the fresh set: every sequence correct (each output within 0.3), mean absolute error below 0.1
    expect(wrong).toBe(0);
    expect(meanError).toBeLessThan(0.1);
  });

  it('3a (pretrained) solves the 2-sequence problem on a fresh test set', () => {
    const net = presets['3a'].lstm1997({ pretrained: true });
    const predict = predictEnd(net);
    const rng = new Rng(FRESH_SEED);
    let wrong = 0;
    let sum = 0;
    for (let i = 0; i < FRESH_SIZE; i++) {
      const s = twoSequenceSample(rng, '3a', 100, 3);
      const e = Math.abs(predict(s.xs)[0]! - s.clean);
      sum += e;
      if (RULES['3a'].misclassified(e)) wrong++;
    }
    // ST2 on 2560 fresh sequences: none misclassified (|error| ≥ 0.2) and mean absolute error below 0.01
    expect(wrong).toBeLessThan(RULES['3a'].maxWrong);
    expect(sum / FRESH_SIZE).toBeLessThan(RULES['3a'].meanError);
  });
});
