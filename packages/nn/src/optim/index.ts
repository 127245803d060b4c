export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adam, type AdamOptions, AdamW } from './adam.js';
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from './clip.js';
export {
  type BaseOptimizerOptions,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupSpec,
  type ParamState,
  type Params,
} from './optimizer.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  ExponentialLR,
  type ExponentialLROptions,
  LinearWarmup,
  type LinearWarmupOptions,
  LRScheduler,
  type SchedulerStateDict,
  StepLR,
  type StepLROptions,
} from './scheduler.js';
export { SGD, type SGDOptions } from './sgd.js';
