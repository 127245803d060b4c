import { setSeed } from '@carousel/autograd';
import { LSTM1997, type LSTM1997Options, RTRL1997 } from '@carousel/nn';
import { type LearnerSpec, type SequenceLearner, sequenceLoss } from './learner.js';

/**
 * The paper's LSTM trained by the paper's algorithm: truncated RTRL with a weight update after
 * every time step that has a target (on-line learning). Activations reset per sequence.
 *
 * @example
 * const learner = lstm1997Learner({ inputSize: 7, outputSize: 7, lr: 0.5, seed: 1 }, { blocks: 3, cellsPerBlock: 2 });
 */
export function lstm1997Learner(
  spec: LearnerSpec,
  net: Omit<LSTM1997Options, 'inputSize' | 'outputSize' | 'dtype'>,
): SequenceLearner & { net: LSTM1997 } {
  setSeed(spec.seed);
  const lstm = new LSTM1997({
    ...net,
    inputSize: spec.inputSize,
    outputSize: spec.outputSize,
    outputActivation: spec.outputActivation ?? 'logistic',
    dtype: 'float64',
  });
  const rtrl = new RTRL1997(lstm, { lr: spec.lr });
  const predictWith = (xs: readonly Float64Array[], targets?: readonly (Float64Array | null)[]) => {
    rtrl.reset();
    return xs.map((x, t) => Float64Array.from(rtrl.step(x, targets?.[t] ?? null)));
  };
  return {
    name: 'lstm1997',
    net: lstm,
    numWeights: lstm.numParameters(),
    train: (xs, targets) => sequenceLoss(predictWith(xs, targets), targets),
    predict: (xs) => predictWith(xs),
  };
}
