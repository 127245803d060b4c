import { BackendError, getBackend, ValueError } from '@carousel/autograd';
import type { LSTM1997Options } from '@carousel/nn';
import { BPTT_MODELS, type BpttModel, bpttLearner } from './bptt.js';
import type { LearnerSpec, SequenceLearner } from './learner.js';
import { lstm1997Learner } from './rtrl.js';

export {
  BaselineNet,
  type BaselineNetOptions,
  BPTT_MODELS,
  type BpttLearner,
  type BpttModel,
  baselineDType,
  bpttLearner,
  makeLayer,
} from './bptt.js';
export { type LearnerSpec, type SequenceLearner, sequenceLoss } from './learner.js';
export { lstm1997Learner, type RTRLLearnerOptions } from './rtrl.js';

/** How an experiment sizes each kind of model. */
export interface Architectures {
  /** The paper's net for this experiment (blocks, cells, biases, gate biases, init range, squashes). */
  lstm1997: Omit<LSTM1997Options, 'inputSize' | 'outputSize' | 'dtype'>;
  /** Hidden units of the BPTT baselines. */
  hidden: number;
}

/** Every model name `carousel run --model` accepts. */
export const MODELS = ['lstm1997', ...BPTT_MODELS] as const;

/**
 * Builds the learner `model` for an experiment.
 *
 * @throws BackendError for `lstm1997` on a backend other than the CPU; ValueError for an unknown model.
 * @example
 * createLearner('elman', { inputSize: 7, outputSize: 7, lr: 0.1, seed: 1 }, { lstm1997: { blocks: 3, cellsPerBlock: 2 }, hidden: 12 });
 */
export function createLearner(model: string, spec: LearnerSpec, arch: Architectures): SequenceLearner {
  if (model === 'lstm1997') {
    if (getBackend() !== 'cpu')
      throw new BackendError(
        `lstm1997 cannot run on '${getBackend()}': it learns by RTRL1997, the paper's per-step truncated RTRL, which runs in float64 on Float64Arrays in plain JavaScript (CPU only); use the cpu backend, or a BPTT model (${BPTT_MODELS.join(', ')})`,
        'createLearner',
      );
    return lstm1997Learner(spec, arch.lstm1997);
  }
  if ((BPTT_MODELS as readonly string[]).includes(model)) return bpttLearner(model as BpttModel, spec, arch.hidden);
  throw new ValueError(`unknown model '${model}'; available: ${MODELS.join(', ')}`, 'createLearner');
}
