/**
 * `@carousel/autograd`: typed tensors, a tape-based reverse-mode autograd, and pluggable backends.
 *
 * @packageDocumentation
 */
export {
  type ArgReduceOp,
  type AxisDims,
  type Backend,
  type BackendOptions,
  type Buf,
  getBackend,
  type MatmulDims,
  type RandomDist,
  type ReduceOp,
  registerBackend,
  setBackend,
  type View,
  type WebGPUOptions,
} from './backends/backend.js';
export { type CpuConfig, configureCpu } from './backends/cpu/wasm/index.js';
export type { DType, FloatDType, NumericDType, Scalar, TypedArray, TypedArrayFor } from './dtype.js';
export {
  AnomalyError,
  BackendError,
  CarouselError,
  DisposedError,
  DTypeError,
  describeValue,
  fmt as formatShape,
  GradError,
  ShapeError,
  ValueError,
  WebGPUDeviceLostError,
  WebGPUOutOfMemoryError,
  WebGPUValidationError,
} from './errors.js';
export { dispose, keep, type MemoryInfo, memory, tidy } from './memory.js';
export {
  type BinaryDef,
  type BinaryKind,
  type BinaryOp,
  binaryOps,
  type DTypeClass,
  type UnaryDef,
  type UnaryOp,
  unaryOps,
  type WgslDef,
} from './ops/elementwise.js';
export {
  type FusedKernels,
  type FusedSequenceOptions,
  type GRUGradBufs,
  type GRULayerInputs,
  type GRUSequenceInputs,
  gruSequence,
  hasFusedKernel,
  type InputProjection,
  type LSTMCellSpec,
  type LSTMGradBufs,
  type LSTMLayerInputs,
  type LSTMSequenceInputs,
  lstmSequence,
  type SequenceDims,
} from './ops/fused.js';
export * from './ops/index.js';
export { checkTensor } from './ops/util.js';
export { setSeed } from './random.js';
export type { AxisArg, Region, Shape } from './shape.js';
export {
  customGrad,
  detectAnomaly,
  type GradOptions,
  type GradOut,
  grad,
  isGradEnabled,
  noGrad,
  type RegionGrad,
  type TensorArgs,
  type VJP,
  valueAndGrad,
  vjp,
} from './tape.js';
export { isTensor, Tensor } from './tensor.js';
export type { ArrayOf, ElementOf, InferDType, LeafOf, NestedArray, RankOf, TensorContainer } from './types.js';
