import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** Nested JS arrays of numbers or booleans: what `tensor()` accepts. */
export type NestedArray<T = number | boolean> = T | readonly NestedArray<T>[];

/** The rank of a nested array literal: `[[1, 2]]` → 2 (`number` when not known, e.g. for `NestedArray` itself). */
export type RankOf<T, Acc extends unknown[] = []> = Acc['length'] extends 16
  ? number
  : T extends readonly (infer U)[]
    ? RankOf<U, [...Acc, 0]>
    : Acc['length'];

/** The innermost element type of a nested array literal (depth-capped: `NestedArray` itself recurses forever). */
export type LeafOf<T, Depth extends unknown[] = []> = Depth['length'] extends 16
  ? never
  : T extends readonly (infer U)[]
    ? LeafOf<U, [...Depth, 0]>
    : T;

/** The dtype `tensor()` infers: bool for booleans, float32 for numbers. */
export type InferDType<T> = LeafOf<T> extends boolean ? 'bool' : 'float32';

/** The JS value of one element: boolean for bool tensors, number otherwise. */
export type ElementOf<D extends DType> = D extends 'bool' ? boolean : number;

/** Nested arrays shaped like a tensor of rank `R` (what `array()` returns). */
export type ArrayOf<D extends DType, R extends number> = R extends 0
  ? ElementOf<D>
  : R extends 1
    ? ElementOf<D>[]
    : R extends 2
      ? ElementOf<D>[][]
      : R extends 3
        ? ElementOf<D>[][][]
        : R extends 4
          ? ElementOf<D>[][][][]
          : NestedArray<ElementOf<D>>;

/** Any value that may hold tensors (for `tidy` results and `dispose`). */
export type TensorContainer =
  | Tensor
  | readonly TensorContainer[]
  | { readonly [k: string]: TensorContainer }
  | undefined
  | null
  | number
  | string
  | boolean;
