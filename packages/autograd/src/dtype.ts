import { DTypeError } from './errors.js';

/** The element types a tensor can hold. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
/** The differentiable dtypes. */
export type FloatDType = 'float32' | 'float64';
/** Dtypes arithmetic is defined on. */
export type NumericDType = FloatDType | 'int32';

/** Maps each dtype to the typed array that stores it on the CPU (bool is one byte per element). */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
/** Any typed array a tensor may be stored in. */
export type TypedArray = TypedArrayFor[DType];

/** The JS value an element reads back as: `boolean` for bool, `number` otherwise. */
export type Scalar<D extends DType> = D extends 'bool' ? boolean : number;

const ctors = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

/** Every dtype, in promotion order. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

export const isFloat = (d: DType): d is FloatDType => d === 'float32' || d === 'float64';

export function assertDType(d: unknown, op: string): asserts d is DType {
  if (typeof d !== 'string' || !Object.hasOwn(ctors, d)) {
    throw new DTypeError(`unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(', ')}`, op);
  }
}

/** Allocates a zeroed typed array for `size` elements of dtype `d`. */
export function allocArray<D extends DType>(d: D, size: number): TypedArrayFor[D] {
  return new ctors[d](size) as TypedArrayFor[D];
}

export const bytesPerElement = (d: DType): number => ctors[d].BYTES_PER_ELEMENT;

/** The dtype a typed array stores (Uint8Array reads as bool). */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}
