// Bad input gets a named error class whose message says which op, which shapes/dtypes/values it
// got, and what it expected: never a silent NaN, a generic TypeError, or a crash inside a kernel.
// Each row is also a regression test for the fix that made that error clear.
import { describe, expect, it } from 'vitest';
import {
  arange,
  BackendError,
  bernoulli,
  type CarouselError,
  concat,
  customGrad,
  DisposedError,
  DTypeError,
  dot,
  eye,
  full,
  fullLike,
  GradError,
  grad,
  isGradEnabled,
  linspace,
  oneHot,
  ones,
  outer,
  randn,
  ShapeError,
  scalar,
  setBackend,
  setSeed,
  stack,
  type Tensor,
  tensor,
  tidy,
  uniform,
  ValueError,
  vjp,
  where,
  zeros,
} from '../src/index.js';

type ErrorClass = new (...args: never[]) => CarouselError;

/** One bad-input case: what to run, the error class, the op it must name, what the message must say. */
interface Case {
  name: string;
  run: () => unknown;
  error: ErrorClass;
  op: string;
  message: RegExp;
}

const f32 = (shape: number[]) => zeros(shape);
const i32 = (shape: number[]) => zeros(shape, { dtype: 'int32' });
const bool = (shape: number[]) => zeros(shape, { dtype: 'bool' });
const idx = (data: number[] | number[][]) => tensor(data as number[], { dtype: 'int32' });
/** Hides a tensor's dtype from the type checker, to test the runtime check behind the static one. */
const untyped = (t: Tensor) => t as never;

// biome-ignore format: one row per case reads as a table
const creation: Case[] = [
  { name: 'ragged nested array', run: () => tensor([[1, 2], [3]]), error: ShapeError, op: 'tensor', message: /ragged nested array: \[1\] has length 1, expected length 2 \(shape \[2, 2\]\)/ },
  { name: 'non-number element', run: () => tensor([[1, 'a']] as never), error: ValueError, op: 'tensor', message: /element \[0\]\[1\] is string; expected a number or boolean/ },
  { name: 'typed array of the wrong size for shape', run: () => tensor(new Float32Array(3), { shape: [2, 2] }), error: ShapeError, op: 'tensor', message: /shape \[2, 2\] needs 4 elements, the array has 3/ },
  { name: 'unknown dtype', run: () => tensor([1], { dtype: 'complex64' as never }), error: DTypeError, op: 'tensor', message: /unknown dtype "complex64"; expected one of bool, int32, float32, float64/ },
  { name: 'Object.prototype key as dtype', run: () => zeros([2], { dtype: 'toString' as never }), error: DTypeError, op: 'full', message: /unknown dtype "toString"/ },
  { name: 'NaN element into int32', run: () => tensor([1, Number.NaN], { dtype: 'int32' }), error: ValueError, op: 'tensor', message: /NaN \(element 1\) cannot be stored in int32/ },
  { name: 'a Tensor passed to tensor()', run: () => tensor(f32([2]) as never), error: ValueError, op: 'tensor', message: /got a Tensor; use \.clone\(\) or \.cast\(\)/ },
  { name: 'negative shape', run: () => zeros([2, -1]), error: ShapeError, op: 'full', message: /non-negative integers, got \[2,-1\]/ },
  { name: 'non-integer shape', run: () => ones([1.5]), error: ShapeError, op: 'full', message: /non-negative integers, got \[1\.5\]/ },
  { name: 'NaN fill into int32', run: () => full([2], Number.NaN, { dtype: 'int32' }), error: ValueError, op: 'full', message: /NaN cannot be stored in int32/ },
  { name: 'Infinity fill into int32', run: () => full([2], Number.POSITIVE_INFINITY, { dtype: 'int32' }), error: ValueError, op: 'full', message: /Infinity cannot be stored in int32/ },
  { name: 'NaN fullLike an int32 tensor', run: () => fullLike(i32([2]), Number.NaN), error: ValueError, op: 'fullLike', message: /NaN cannot be stored in int32/ },
  { name: 'arange with step 0', run: () => arange(0, 5, 0), error: ValueError, op: 'arange', message: /step must be non-zero, got start 0, stop 5, step 0/ },
  { name: 'arange to Infinity', run: () => arange(0, Number.POSITIVE_INFINITY), error: ValueError, op: 'arange', message: /must be finite, got 0, Infinity, 1/ },
  { name: 'linspace with negative num', run: () => linspace(0, 1, -1), error: ValueError, op: 'linspace', message: /num must be a non-negative integer, got -1/ },
  { name: 'linspace with fractional num', run: () => linspace(0, 1, 2.5), error: ValueError, op: 'linspace', message: /got 2\.5/ },
  { name: 'linspace to NaN', run: () => linspace(0, Number.NaN, 3), error: ValueError, op: 'linspace', message: /start and stop must be finite, got 0 and NaN/ },
  { name: 'eye of negative size', run: () => eye(-1), error: ShapeError, op: 'eye', message: /got \[-1,-1\]/ },
  { name: 'randn into int32', run: () => randn([2], { dtype: 'int32' as never }), error: DTypeError, op: 'randn', message: /must be float32 or float64, got int32/ },
  { name: 'uniform with low > high', run: () => uniform([2], 1, 0), error: ValueError, op: 'uniform', message: /finite low <= high, got \[1, 0\)/ },
  { name: 'too large to allocate', run: () => zeros([1e6, 1e6]), error: BackendError, op: 'alloc', message: /float32 tensor of shape \[1000000, 1000000\] on cpu/ },
];

// biome-ignore format: one row per case reads as a table
const elementwise: Case[] = [
  { name: 'non-broadcastable shapes', run: () => f32([2, 3]).add(f32([4])), error: ShapeError, op: 'add', message: /shapes \[2, 3\] and \[4\] cannot be broadcast together \(axis -1: 3 vs 4\)/ },
  { name: 'non-broadcastable leading axis', run: () => f32([3, 2]).sub(f32([2, 1])), error: ShapeError, op: 'sub', message: /\[3, 2\] and \[2, 1\].*axis -2: 3 vs 2/ },
  { name: 'float32 + float64', run: () => f32([2]).add(untyped(zeros([2], { dtype: 'float64' }))), error: DTypeError, op: 'add', message: /cannot mix float32 and float64; cast one operand first/ },
  { name: 'float32 * int32', run: () => f32([2]).mul(untyped(i32([2]))), error: DTypeError, op: 'mul', message: /cannot mix float32 and int32/ },
  { name: 'exp of int32', run: () => i32([2]).exp(), error: DTypeError, op: 'exp', message: /expected float32 or float64, got int32; cast with \.cast\('float32'\)/ },
  { name: 'log of bool', run: () => bool([2]).log(), error: DTypeError, op: 'log', message: /expected float32 or float64, got bool/ },
  { name: 'div of int32', run: () => i32([2]).div(i32([2])), error: DTypeError, op: 'div', message: /expected float32 or float64, got int32/ },
  { name: 'pow of int32', run: () => i32([2]).pow(2), error: DTypeError, op: 'pow', message: /got int32/ },
  { name: 'add of bool', run: () => bool([2]).add(bool([2])), error: DTypeError, op: 'add', message: /expected float32, float64 or int32, got bool/ },
  { name: 'lt of bool', run: () => bool([2]).lt(bool([2])), error: DTypeError, op: 'lt', message: /got bool/ },
  { name: 'logicalAnd of floats', run: () => f32([2]).logicalAnd(f32([2])), error: DTypeError, op: 'logicalAnd', message: /expected bool, got float32/ },
  { name: 'logicalNot of int32', run: () => i32([2]).logicalNot(), error: DTypeError, op: 'logicalNot', message: /expected bool, got int32/ },
  { name: 'fractional number with int32', run: () => i32([2]).add(1.5), error: DTypeError, op: 'add', message: /1\.5 does not fit an int32 operand/ },
  { name: 'NaN number with int32', run: () => i32([2]).lt(Number.NaN), error: DTypeError, op: 'lt', message: /NaN does not fit an int32 operand/ },
  { name: 'string operand', run: () => f32([2]).add('1' as never), error: ValueError, op: 'add', message: /expected a Tensor or a number, got string/ },
  { name: 'where with a float condition', run: () => where(untyped(f32([2])), 1, 0), error: DTypeError, op: 'where', message: /condition must be a bool tensor, got float32/ },
  { name: 'where with mixed branch dtypes', run: () => where(bool([2]), f32([2]), untyped(i32([2]))), error: DTypeError, op: 'where', message: /branches must share a dtype, got float32 and int32/ },
  { name: 'where with non-broadcastable shapes', run: () => where(bool([2]), f32([3]), 0), error: ShapeError, op: 'where', message: /\[2\] and \[3\].*cannot be broadcast/ },
  { name: 'cast to an unknown dtype', run: () => f32([2]).cast('float16' as never), error: DTypeError, op: 'cast', message: /unknown dtype "float16"/ },
  { name: 'clamp with min > max', run: () => f32([2]).clamp(2, 1), error: ValueError, op: 'clamp', message: /min 2 is greater than max 1/ },
  { name: 'leakyRelu with NaN slope', run: () => f32([2]).leakyRelu(Number.NaN), error: ValueError, op: 'leakyRelu', message: /negativeSlope must be finite, got NaN/ },
  { name: 'softplus with beta 0', run: () => f32([2]).softplus(0), error: ValueError, op: 'softplus', message: /beta must be finite and non-zero.*got beta 0/ },
];

// biome-ignore format: one row per case reads as a table
const reductions: Case[] = [
  { name: 'axis out of range', run: () => f32([2, 3]).sum(2), error: ShapeError, op: 'sum', message: /axis 2 is out of range for a tensor of rank 2 \(expected -2\.\.1\)/ },
  { name: 'negative axis out of range', run: () => f32([2, 3]).max(-3), error: ShapeError, op: 'max', message: /axis -3 is out of range for a tensor of rank 2/ },
  { name: 'fractional axis', run: () => f32([2, 3]).mean(0.5), error: ValueError, op: 'mean', message: /axis must be an integer, got 0\.5/ },
  { name: 'repeated axis', run: () => f32([2, 3]).sum([0, -2]), error: ShapeError, op: 'sum', message: /repeated axis in \[0,-2\]/ },
  { name: 'max over an empty axis', run: () => f32([2, 0]).max(1), error: ShapeError, op: 'max', message: /empty axis \(shape \[2, 0\], axes \[1\]\)/ },
  { name: 'min of an empty tensor', run: () => f32([0]).min(), error: ShapeError, op: 'min', message: /empty axis \(shape \[0\]/ },
  { name: 'argmax of an empty tensor', run: () => f32([0]).argmax(), error: ShapeError, op: 'argmax', message: /empty axis \(shape \[0\]\)/ },
  { name: 'mean over an empty axis', run: () => f32([3, 0]).mean(1), error: ShapeError, op: 'mean', message: /empty axis \(shape \[3, 0\]\)/ },
  { name: 'mean of int32', run: () => i32([2]).mean(), error: DTypeError, op: 'mean', message: /expected float32 or float64, got int32/ },
  { name: 'sum of bool', run: () => bool([2]).sum(), error: DTypeError, op: 'sum', message: /got bool/ },
  { name: 'variance of one element', run: () => f32([1]).variance(), error: ShapeError, op: 'variance', message: /more than 1 element\(s\) per reduction, got 1 \(shape \[1\]\)/ },
  { name: 'std of int32', run: () => i32([3]).std(), error: DTypeError, op: 'variance', message: /got int32/ },
  { name: 'softmax over a missing axis', run: () => f32([2]).softmax(2), error: ShapeError, op: 'softmax', message: /axis 2 is out of range for a tensor of rank 1/ },
  { name: 'logSoftmax of int32', run: () => i32([2]).logSoftmax(), error: DTypeError, op: 'logSoftmax', message: /got int32/ },
  { name: 'logsumexp of an empty tensor', run: () => f32([0]).logsumexp(), error: ShapeError, op: 'logsumexp', message: /empty axis \(shape \[0\]\)/ },
  { name: 'cumsum over a missing axis', run: () => f32([2]).cumsum(1), error: ShapeError, op: 'cumsum', message: /axis 1 is out of range for a tensor of rank 1/ },
];

// biome-ignore format: one row per case reads as a table
const matmul: Case[] = [
  { name: 'inner dimensions differ', run: () => f32([2, 3]).matmul(f32([4, 5])), error: ShapeError, op: 'matmul', message: /\[2, 3\] @ \[4, 5\] \(3 vs 4\); expected a\[\.\.\., m, k\] @ b\[\.\.\., k, n\]/ },
  { name: '0-d operand', run: () => scalar(1).matmul(f32([2])), error: ShapeError, op: 'matmul', message: /at least 1-D, got shapes \[\] and \[2\]/ },
  { name: 'vectors of different lengths', run: () => f32([2]).matmul(f32([3])), error: ShapeError, op: 'matmul', message: /vectors of different lengths: \[2\] and \[3\]/ },
  { name: 'int32 operands', run: () => i32([2, 2]).matmul(i32([2, 2])), error: DTypeError, op: 'matmul', message: /expected float32 or float64, got int32/ },
  { name: 'mixed dtypes', run: () => f32([2, 2]).matmul(untyped(zeros([2, 2], { dtype: 'float64' }))), error: DTypeError, op: 'matmul', message: /cannot mix float32 and float64/ },
  { name: 'batch axes do not broadcast', run: () => f32([2, 2, 3]).matmul(f32([3, 3, 4])), error: ShapeError, op: 'matmul (batch axes of [2, 2, 3] and [3, 3, 4])', message: /shapes \[2\] and \[3\] cannot be broadcast/ },
  { name: 'dot of a matrix', run: () => dot(f32([2, 2]), f32([2])), error: ShapeError, op: 'dot', message: /two 1-D tensors of equal length, got \[2, 2\] and \[2\]/ },
  { name: 'outer of a matrix', run: () => outer(f32([2]), f32([2, 2])), error: ShapeError, op: 'outer', message: /got \[2\] and \[2, 2\]/ },
];

// biome-ignore format: one row per case reads as a table
const movement: Case[] = [
  { name: 'reshape size mismatch', run: () => f32([2, 3]).reshape([4, 2]), error: ShapeError, op: 'reshape', message: /cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\] \(8 elements\)/ },
  { name: 'reshape with two -1', run: () => f32([2, 3]).reshape([-1, -1]), error: ShapeError, op: 'reshape', message: /invalid target shape \[-1, -1\].*at most one -1/ },
  { name: 'reshape cannot infer -1', run: () => f32([2, 3]).reshape([4, -1]), error: ShapeError, op: 'reshape', message: /cannot infer -1 in \[4, -1\] for 6 elements \(shape \[2, 3\]\)/ },
  { name: 'permute with a repeated axis', run: () => f32([2, 3]).permute([0, 0]), error: ShapeError, op: 'permute', message: /axes \[0, 0\] are not a permutation of the 2 axes of a tensor of shape \[2, 3\]/ },
  { name: 'permute with too few axes', run: () => f32([2, 3, 4]).permute([1, 0]), error: ShapeError, op: 'permute', message: /\[1, 0\] are not a permutation of the 3 axes/ },
  { name: 'transpose of a missing axis', run: () => f32([2, 3]).transpose(0, 2), error: ShapeError, op: 'transpose', message: /axis 2 is out of range for a tensor of rank 2/ },
  { name: 'expand to an incompatible shape', run: () => f32([2, 3]).expand([4, 3]), error: ShapeError, op: 'expand', message: /cannot broadcast \[2, 3\] to \[4, 3\]: each axis must match or be 1/ },
  { name: 'expand to a lower rank', run: () => f32([2, 3]).expand([3]), error: ShapeError, op: 'expand', message: /cannot broadcast \[2, 3\] to \[3\]/ },
  { name: 'slice index out of range', run: () => f32([3]).slice([5]), error: ValueError, op: 'slice', message: /index 5 is out of range for axis 0 of size 3/ },
  { name: 'slice with step 0', run: () => f32([3]).slice([[0, 3, 0]]), error: ValueError, op: 'slice', message: /step must be a non-zero integer, got 0 \(axis 0\)/ },
  { name: 'slice with a NaN bound', run: () => f32([3]).slice([[Number.NaN, 2]]), error: ValueError, op: 'slice', message: /bounds must be integers or null, got NaN \(axis 0\)/ },
  { name: 'slice with a fractional bound', run: () => f32([2, 4]).slice([null, [0, 2.5]]), error: ValueError, op: 'slice', message: /got 2\.5 \(axis 1\)/ },
  { name: 'more slice specs than axes', run: () => f32([3]).slice([0, 0]), error: ShapeError, op: 'slice', message: /2 slice specs for a tensor of rank 1 \(shape \[3\]\)/ },
  { name: 'pad with a negative width', run: () => f32([3]).pad([[-1, 0]]), error: ValueError, op: 'pad', message: /non-negative integers, got \[-1,0\]/ },
  { name: 'more pad widths than axes', run: () => f32([3]).pad([[1, 0], [1, 1]]), error: ShapeError, op: 'pad', message: /2 pad widths for a tensor of rank 1 \(shape \[3\]\)/ },
  { name: 'pad int32 with a fraction', run: () => i32([3]).pad([[1, 1]], 0.5), error: ValueError, op: 'pad', message: /pad value 0\.5 cannot be stored in int32/ },
  { name: 'concat mismatched shapes', run: () => concat([f32([2, 3]), f32([2, 4])]), error: ShapeError, op: 'concat', message: /tensor 1 has shape \[2, 4\], incompatible with \[2, 3\] outside axis 0/ },
  { name: 'concat mismatched dtypes', run: () => concat([f32([2]), untyped(i32([2]))]), error: DTypeError, op: 'concat', message: /tensor 1 is int32, tensor 0 is float32; cast first/ },
  { name: 'concat of an empty list', run: () => concat([]), error: ValueError, op: 'concat', message: /needs at least one tensor/ },
  { name: 'stack of unequal shapes', run: () => stack([f32([2]), f32([3])]), error: ShapeError, op: 'stack', message: /tensor 1 has shape \[3\], tensor 0 has \[2\]/ },
  { name: 'split sizes not summing to the axis', run: () => f32([5]).split([2, 2]), error: ShapeError, op: 'split', message: /split sizes \[2, 2\] sum to 4, axis 0 has 5/ },
  { name: 'split size 0', run: () => f32([5]).split(0), error: ValueError, op: 'split', message: /positive integer, got 0/ },
  { name: 'chunk into 0 pieces', run: () => f32([5]).chunk(0), error: ValueError, op: 'chunk', message: /chunks must be a positive integer, got 0/ },
  { name: 'squeeze a non-1 axis', run: () => f32([2, 3]).squeeze(0), error: ShapeError, op: 'squeeze', message: /cannot squeeze axis 0 of size 2 \(shape \[2, 3\]\)/ },
  { name: 'unsqueeze past the end', run: () => f32([2]).unsqueeze(3), error: ShapeError, op: 'unsqueeze', message: /axis 3 is out of range for a tensor of rank 2/ },
  { name: 'flatten with start after end', run: () => f32([2, 3, 4]).flatten(2, 1), error: ShapeError, op: 'flatten', message: /startAxis 2 comes after endAxis 1/ },
  { name: 'tile with a negative repetition', run: () => f32([2]).tile([-1]), error: ValueError, op: 'tile', message: /non-negative integer, got -1/ },
  { name: 'repeat a fractional number of times', run: () => f32([2]).repeat(1.5), error: ValueError, op: 'repeat', message: /repeats must be a non-negative integer, got 1\.5/ },
];

// biome-ignore format: one row per case reads as a table
const indexing: Case[] = [
  { name: 'gather with float indices', run: () => f32([3]).gather(0, untyped(tensor([0, 1]))), error: DTypeError, op: 'gather', message: /indices must be int32, got float32/ },
  { name: 'gather index out of range', run: () => f32([3]).gather(0, idx([0, 3])), error: ValueError, op: 'gather', message: /index 3 \(at flat position 1\) is out of range for axis 0 of size 3/ },
  { name: 'gather negative index', run: () => f32([3]).gather(0, idx([-1])), error: ValueError, op: 'gather', message: /index -1 \(at flat position 0\) is out of range/ },
  { name: 'gather index shape mismatch', run: () => f32([2, 3]).gather(1, idx([[0], [0], [0]])), error: ShapeError, op: 'gather', message: /index shape \[3, 1\] must match the input shape \[2, 3\] on every axis but 1/ },
  { name: 'scatterAdd src shape mismatch', run: () => f32([3]).scatterAdd(0, idx([0]), f32([2])), error: ShapeError, op: 'scatterAdd', message: /src shape \[2\] must equal the index shape \[1\]/ },
  { name: 'scatterAdd src dtype mismatch', run: () => f32([3]).scatterAdd(0, idx([0]), untyped(zeros([1], { dtype: 'float64' }))), error: DTypeError, op: 'scatterAdd', message: /src is float64, input is float32/ },
  { name: 'scatterAdd index out of range', run: () => f32([3]).scatterAdd(0, idx([7]), f32([1])), error: ValueError, op: 'scatterAdd', message: /index 7 .* out of range for axis 0 of size 3/ },
  { name: 'indexSelect index out of range', run: () => f32([3, 2]).indexSelect(0, idx([3])), error: ValueError, op: 'indexSelect', message: /index 3 .* out of range for axis 0 of size 3/ },
  { name: 'indexSelect with bool indices', run: () => f32([3, 2]).indexSelect(0, untyped(bool([1]))), error: DTypeError, op: 'indexSelect', message: /indices must be int32, got bool/ },
  { name: 'indexSelect with 2-D indices', run: () => f32([3]).indexSelect(0, idx([[0]])), error: ShapeError, op: 'indexSelect', message: /index must be 1-D, got shape \[1, 1\]/ },
  { name: 'oneHot class out of range', run: () => oneHot(idx([0, 3]), 3), error: ValueError, op: 'oneHot', message: /class index 3 is out of range \[0, 3\)/ },
  { name: 'oneHot of float indices', run: () => oneHot(untyped(tensor([0])), 3), error: DTypeError, op: 'oneHot', message: /indices must be int32, got float32/ },
  { name: 'oneHot with 0 classes', run: () => oneHot(idx([0]), 0), error: ValueError, op: 'oneHot', message: /numClasses must be a positive integer, got 0/ },
];

const leaf = (data: number[]) => tensor(data, { requiresGrad: true });

// biome-ignore format: one row per case reads as a table
const autograd: Case[] = [
  {
    name: 'backward twice without retainGraph',
    run: () => {
      const y = leaf([1, 2]).mul(3).sum();
      y.backward();
      y.backward();
    },
    error: GradError,
    op: 'backward',
    message: /graph through 'sum' was already freed.*retainGraph: true/,
  },
  { name: 'backward of a non-scalar without a seed', run: () => leaf([1, 2]).mul(2).backward(), error: GradError, op: 'backward', message: /seed gradient is needed for a non-scalar output of shape \[2\]/ },
  { name: 'backward of a tensor that needs no grad', run: () => tensor([1, 2]).sum().backward(), error: GradError, op: 'backward', message: /does not require grad/ },
  { name: 'seed of the wrong shape', run: () => leaf([1, 2]).mul(2).backward(f32([3])), error: ShapeError, op: 'backward', message: /seed gradient has shape \[3\], expected \[2\]/ },
  { name: 'seed of the wrong dtype', run: () => leaf([1, 2]).mul(2).backward(untyped(zeros([2], { dtype: 'float64' }))), error: DTypeError, op: 'backward', message: /seed gradient is float64, expected float32/ },
  { name: 'NaN in the seed', run: () => leaf([1, 2]).mul(2).backward(tensor([Number.NaN, 1])), error: ValueError, op: 'backward', message: /seed gradient has NaN at element 0 \(shape \[2\]\); expected finite values/ },
  {
    name: 'requiresGrad on an int32 tensor',
    run: () => {
      i32([2]).requiresGrad = true;
    },
    error: DTypeError,
    op: 'requiresGrad',
    message: /only float tensors can require grad, this one is int32/,
  },
  {
    name: 'requiresGrad = false on a non-leaf',
    run: () => {
      leaf([1]).mul(2).requiresGrad = false;
    },
    error: GradError,
    op: 'requiresGrad',
    message: /non-leaf.*use detach\(\)/,
  },
  { name: 'grad of f returning a non-scalar', run: () => grad((t: Tensor) => t.mul(2))(tensor([1, 2])), error: GradError, op: 'grad', message: /f must return a scalar, got shape \[2\]/ },
  { name: 'grad with respect to an int32 argument', run: () => grad((t: Tensor) => t.sum())(i32([2])), error: DTypeError, op: 'grad', message: /differentiate with respect to a int32 argument \(argument 0\)/ },
  { name: 'grad with argnums out of range', run: () => grad((t: Tensor) => t.sum(), { argnums: 2 })(tensor([1])), error: GradError, op: 'grad', message: /argnums 2 is out of range for 1 arguments/ },
  { name: 'grad of f returning a number', run: () => grad((() => 3) as never)(tensor([1])), error: ValueError, op: 'grad', message: /f must return a Tensor, got number/ },
  { name: 'grad of a non-Tensor argument', run: () => grad((t: Tensor) => t.sum())(3 as never), error: ValueError, op: 'grad', message: /argument 0 is not a Tensor \(got number\)/ },
  { name: 'vjp cotangent of the wrong shape', run: () => vjp((t: Tensor) => t.mul(2), tensor([1, 2]))[1](f32([3])), error: ShapeError, op: 'vjp', message: /shape \[3\], expected \[2\]/ },
  {
    name: 'customGrad returning too many gradients',
    run: () => customGrad((t: Tensor) => ({ value: t.mul(2), vjp: (g) => [g, g] }))(leaf([1])).sum().backward(),
    error: GradError,
    op: 'customGrad',
    message: /returned 2 gradients for 1 inputs/,
  },
  {
    name: 'customGrad returning a gradient of the wrong shape',
    run: () => customGrad((t: Tensor) => ({ value: t.mul(2), vjp: () => [f32([5])] }))(leaf([1, 2])).sum().backward(),
    error: ShapeError,
    op: 'customGrad (backward)',
    message: /returned shape \[5\] for an input of shape \[2\]/,
  },
];

const disposed = (shape: number[]) => {
  const t = f32(shape);
  t.dispose();
  return t;
};

// biome-ignore format: one row per case reads as a table
const memoryAndRandom: Case[] = [
  { name: 'add after dispose', run: () => disposed([2, 3]).add(1), error: DisposedError, op: 'add', message: /tensor of shape \[2, 3\] was disposed/ },
  { name: 'matmul after dispose', run: () => f32([2, 2]).matmul(disposed([2, 2])), error: DisposedError, op: 'matmul', message: /shape \[2, 2\] was disposed/ },
  { name: 'reshape after dispose', run: () => disposed([2, 3]).reshape([3, 2]), error: DisposedError, op: 'reshape', message: /shape \[2, 3\] was disposed/ },
  { name: 'arraySync after dispose', run: () => disposed([4]).arraySync(), error: DisposedError, op: 'dataSync', message: /shape \[4\] was disposed/ },
  {
    name: 'a tensor used after its tidy ended',
    run: () => {
      let inner: Tensor = f32([1]);
      tidy(() => {
        inner = ones([3]);
      });
      return inner.exp();
    },
    error: DisposedError,
    op: 'exp',
    message: /shape \[3\] was disposed/,
  },
  { name: 'tidy returning a Promise', run: () => tidy((async () => f32([1])) as never), error: ValueError, op: 'tidy', message: /returned a Promise; tidy scopes must be synchronous/ },
  { name: 'setSeed(NaN)', run: () => setSeed(Number.NaN), error: ValueError, op: 'setSeed', message: /seed must be a finite integer, got NaN/ },
  { name: 'setSeed(1.5)', run: () => setSeed(1.5), error: ValueError, op: 'setSeed', message: /got 1\.5/ },
  { name: 'bernoulli p above 1', run: () => bernoulli(1.5, [2]), error: ValueError, op: 'bernoulli', message: /p must be in \[0, 1\], got 1\.5/ },
  { name: 'bernoulli tensor p out of range', run: () => bernoulli(tensor([0.5, -0.25])), error: ValueError, op: 'bernoulli', message: /got -0\.25 at element 1 \(shape \[2\]\)/ },
  { name: 'bernoulli number p without a shape', run: () => bernoulli(0.5), error: ShapeError, op: 'bernoulli', message: /a shape is needed when p is a number/ },
  { name: 'item() of a multi-element tensor', run: () => f32([2, 2]).item(), error: ShapeError, op: 'item', message: /exactly one element, this tensor has shape \[2, 2\]/ },
  { name: 'item() of an empty tensor', run: () => f32([0]).item(), error: ShapeError, op: 'item', message: /shape \[0\]/ },
];

const families: [string, Case[]][] = [
  ['creation', creation],
  ['elementwise', elementwise],
  ['reductions', reductions],
  ['matmul', matmul],
  ['movement', movement],
  ['indexing', indexing],
  ['autograd', autograd],
  ['memory, random and reading', memoryAndRandom],
];

/** Runs `fn` and returns what it threw (failing the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  expect.fail('expected an error, none was thrown');
}

for (const [family, cases] of families) {
  describe(`bad input: ${family}`, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const e = thrown(c.run);
      expect(e).toBeInstanceOf(c.error);
      const err = e as CarouselError;
      expect(err.name).toBe(c.error.name);
      expect(err.op).toBe(c.op);
      expect(err.message.startsWith(`${c.op}: `)).toBe(true);
      expect(err.message).toMatch(c.message);
    });
  });
}

describe('bad input: backends', () => {
  it('setBackend of an unknown name rejects with a BackendError listing the registered ones', async () => {
    const e = await setBackend('nope').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as BackendError).op).toBe('setBackend');
    expect((e as Error).message).toMatch(/^setBackend: unknown backend 'nope'; registered: .*cpu/);
  });
});

describe('bad input loses nothing', () => {
  it('covers at least 50 cases', () => {
    expect(families.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(50);
  });

  it('a rejected seed leaves the graph intact for a correct backward', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    expect(() => y.backward(f32([3]))).toThrow(ShapeError);
    expect(() => y.backward(tensor([Number.NaN, 0]))).toThrow(ValueError);
    y.backward(tensor([1, 1]));
    expect(x.grad?.arraySync()).toEqual([3, 3]);
  });

  it('a failed backward leaves grad mode on', () => {
    const y = customGrad((t: Tensor) => ({ value: t.mul(2), vjp: () => [f32([5])] }))(leaf([1, 2])).sum();
    expect(() => y.backward()).toThrow(ShapeError);
    expect(isGradEnabled()).toBe(true);
  });

  it('a rejected op leaves its inputs usable', () => {
    const a = tensor([1, 2, 3]);
    expect(() => a.reshape([2, 2])).toThrow(ShapeError);
    expect(() => a.add(f32([2]))).toThrow(ShapeError);
    expect(a.add(1).arraySync()).toEqual([2, 3, 4]);
  });

  it('the int32 checks still accept integral numbers and the float checks finite ones', () => {
    expect(i32([2]).add(2).arraySync()).toEqual([2, 2]);
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).arraySync()).toEqual([1, -1]);
    expect(full([2], Number.POSITIVE_INFINITY).arraySync()).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(
      tensor([1, 2])
        .slice([[null, null, -1]])
        .arraySync(),
    ).toEqual([2, 1]);
    expect(bernoulli(tensor([0, 1])).arraySync()).toEqual([false, true]);
  });
});
