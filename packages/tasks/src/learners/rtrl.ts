import { setSeed } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, RTRL1997 } from '@carousel/nn';
import type { LearnerSpec, SequenceLearner } from './learner.js';

/** Options of {@link lstm1997Learner}. */
export interface RTRLLearnerOptions {
  /**
   * When weights change: after every step that has a target (`'step'`, default: real-time RTRL)
   * or once at the end of each sequence with the summed gradient (`'sequence'`). They differ only
   * on tasks with targets at many steps (Exp. 1, 2a, 2b); the paper does not say which it used.
   */
  update?: 'step' | 'sequence';
}

/**
 * The paper's LSTM trained by the paper's algorithm: truncated RTRL with a weight update after
 * every time step that has a target (on-line learning), or once per sequence. Activations reset
 * per sequence.
 *
 * @example
 * const learner = lstm1997Learner({ inputSize: 7, outputSize: 7, lr: 0.5, seed: 1 }, { blocks: 3, cellsPerBlock: 2 });
 */
export function lstm1997Learner(
  spec: LearnerSpec,
  net: Omit<LSTM1997Options, 'inputSize' | 'outputSize' | 'dtype'>,
  opts: RTRLLearnerOptions = {},
): SequenceLearner & { net: LSTM1997 } {
  const perSequence = opts.update === 'sequence';
  setSeed(spec.seed);
  const lstm = new LSTM1997({
    ...net,
    inputSize: spec.inputSize,
    outputSize: spec.outputSize,
    outputActivation: spec.outputActivation ?? 'logistic',
    dtype: 'float64',
  });
  const rtrl = new RTRL1997(lstm, { lr: perSequence ? 0 : spec.lr });
  return {
    name: 'lstm1997',
    net: lstm,
    numWeights: lstm.numParameters(),
    train: (xs, targets) => {
      // the loss of `sequenceLoss`, read from each target step's output view (no copy per step);
      // the outputs of the steps without a target are never read, so those steps skip them
      rtrl.reset();
      let loss = 0;
      for (let t = 0; t < xs.length; t++) {
        const target = targets[t];
        if (!target) {
          rtrl.advance(xs[t]!);
          continue;
        }
        const y = rtrl.step(xs[t]!, target);
        for (let k = 0; k < target.length; k++) loss += 0.5 * (target[k]! - y[k]!) ** 2;
      }
      if (perSequence) rtrl.applyUpdate(spec.lr);
      return loss;
    },
    predict: (xs) => {
      rtrl.reset();
      return xs.map((x) => Float64Array.from(rtrl.step(x, null)));
    },
  };
}
