/**
 * `@carousel/nn`: modules, initialisers, layers, losses, optimizers and the recurrent zoo.
 *
 * @packageDocumentation
 */

export type { Init } from './init.js';
export * as init from './init.js';
export {
  fromKeras,
  fromOnnx,
  fromPyTorch,
  type ImportOptions,
  type KerasImportOptions,
  type KerasWeights,
  type OnnxWeights,
  type PyTorchImportOptions,
  type TargetOptions,
  type WeightLike,
} from './io/convert.js';
export {
  CONFIG_KEY,
  loadSafetensors,
  modelFromSafetensors,
  modelToSafetensors,
  type SafetensorsContents,
  saveSafetensors,
} from './io/safetensors.js';
export { Dropout } from './layers/dropout.js';
export { Embedding, type EmbeddingOptions, type PretrainedEmbeddingOptions } from './layers/embedding.js';
export { LayerNorm, type LayerNormOptions } from './layers/layernorm.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { type Layer, Sequential } from './layers/sequential.js';
export {
  type BceWithLogitsOptions,
  bceWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  type LossOptions,
  mseLoss,
  type NllLossOptions,
  nllLoss,
  type Reduction,
  sumSquaredError,
} from './losses.js';
export { type LoadOptions, Module, parameter, type StateDict } from './module.js';
export * from './optim/index.js';
export { layerNorm } from './rnn/functional.js';
export { GRU, GRUCell, type GRUOptions } from './rnn/gru.js';
export { type GreffVariant, LSTM, LSTMCell, type LSTMCellOptions, type LSTMOptions } from './rnn/lstm.js';
export { type Bias1997, LSTM1997, type LSTM1997Options, type Output1997, type Squash, type State1997 } from './rnn/lstm1997.js';
export {
  type AnyCell,
  type CellFactory,
  type CellPosition,
  type CellState,
  fusedStep,
  type InitialState,
  type LayerState,
  Recurrent,
  type RecurrentCell,
  type RecurrentOptions,
  type RecurrentOutput,
  type StateOf,
  type StepKernelResult,
} from './rnn/recurrent.js';
export { RNN, RNNCell, type RNNOptions } from './rnn/rnn.js';
export { type ParamName as RTRLParamName, RTRL1997, type RTRLOptions } from './rnn/rtrl1997.js';
export {
  type DirectionRunner,
  dropoutMask,
  type RecurrentState,
  type SequenceLayer,
  type SequenceOptions,
  type SequenceOutput,
} from './rnn/sequence.js';
