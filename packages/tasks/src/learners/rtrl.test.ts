import { setSeed } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, RTRL1997 } from '@carousel/nn';
import { describe, expect, it } from 'vitest';
import { sequenceLoss } from './learner.js';
import { lstm1997Learner } from './rtrl.js';

// lstm1997Learner drives RTRL1997 itself (steps without a target skip the output units); these
// check it against the plain loop over RTRL1997.step with `sequenceLoss` on copied outputs.

const NET = { blocks: 2, cellsPerBlock: 2, bias: true, initRange: 0.5 } as const;
const SPEC = { inputSize: 6, outputSize: 3, lr: 0.3, seed: 4 };

/** Sequences of one-hot inputs (plus a dense one every third), with targets at some steps. */
function sequences(): { xs: Float64Array[]; targets: (Float64Array | null)[] }[] {
  let s = 17;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: 8 }, (_, n) => {
    const T = 3 + (n % 5);
    const xs = Array.from({ length: T }, (_, t) => {
      const x = new Float64Array(SPEC.inputSize);
      if (t % 3 === 2) for (let i = 0; i < x.length; i++) x[i] = 2 * rand() - 1;
      else x[Math.floor(rand() * x.length)] = 1;
      return x;
    });
    const targets = xs.map((_, t) => ((t + n) % 2 === 0 || t === T - 1 ? Float64Array.from({ length: SPEC.outputSize }, rand) : null));
    return { xs, targets };
  });
}

/**
 * The reference: RTRL1997.step at every step, outputs copied, one applyUpdate per sequence when
 * asked; returns the losses and the trained net's outputs on `probe`.
 */
function reference(update: 'step' | 'sequence', probe: readonly Float64Array[]) {
  setSeed(SPEC.seed);
  const opts: LSTM1997Options = {
    ...NET,
    inputSize: SPEC.inputSize,
    outputSize: SPEC.outputSize,
    outputActivation: 'logistic',
    dtype: 'float64',
  };
  const net = new LSTM1997(opts);
  const rtrl = new RTRL1997(net, { lr: update === 'step' ? SPEC.lr : 0 });
  const losses = sequences().map(({ xs, targets }) => {
    rtrl.reset();
    const ys = xs.map((x, t) => Float64Array.from(rtrl.step(x, targets[t])));
    if (update === 'sequence') rtrl.applyUpdate(SPEC.lr);
    return sequenceLoss(ys, targets);
  });
  rtrl.reset();
  return { losses, outputs: probe.map((x) => Float64Array.from(rtrl.step(x, null))) };
}

describe('lstm1997Learner', () => {
  for (const update of ['step', 'sequence'] as const) {
    it(`trains exactly like RTRL1997.step in a loop (update per ${update}): same losses, then the same predictions`, () => {
      const learner = lstm1997Learner(SPEC, NET, { update });
      const losses = sequences().map(({ xs, targets }) => learner.train(xs, targets));
      const probe = sequences()[3]!.xs;
      const want = reference(update, probe);
      expect(losses).toEqual(want.losses);
      expect(losses.every((l) => l > 0)).toBe(true);
      expect(learner.predict(probe)).toEqual(want.outputs);
    });
  }
});
