import type { DType } from '../../../dtype.js';
import { type BinaryOp, binaryOps, type UnaryOp, unaryOps, type WgslDef } from '../../../ops/elementwise.js';
import { type StrideClass, stridedIndexWgsl } from '../strided.js';
import { bindings, bitsType, elementwiseMain, load, type Storage, store, withHelpers } from './common.js';

/** A row's WGSL expression for `dtype` (the table's int32 form where it has one). */
const exprOf = (def: WgslDef, dtype: DType): string => (dtype === 'int32' ? (def.wgslInt ?? def.wgsl) : def.wgsl);
export const unaryExpr = (op: UnaryOp, dtype: DType): string => exprOf(unaryOps[op], dtype);
export const binaryExpr = (op: BinaryOp, dtype: DType): string => exprOf(binaryOps[op], dtype);

/**
 * `out[i] = value`: the value's bits (32, or 16 for f16 storage, in `P[1]`), so one kernel per
 * element size serves every dtype.
 */
export function fillSource(s: Storage): string {
  const value = s === 'f16' ? 'bitcast<vec2<f16>>(bitcast<u32>(P[1])).x' : 'bitcast<u32>(P[1])';
  return [bindings([['O', bitsType(s), 'read_write']]), elementwiseMain(`  O[i] = ${value};`)].join('\n');
}

/** `y = op(x)` elementwise; `xs`/`ys` are the bindings' storages (f16: converted on load and store). */
export function unarySource(op: UnaryOp, dtype: DType, xs: Storage, ys: Storage): string {
  const body = `  let x = ${load(xs, 'X[i]')};\n  Y[i] = ${store(ys, unaryExpr(op, dtype))};`;
  return withHelpers(
    [
      bindings([
        ['X', xs, 'read'],
        ['Y', ys, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}

/** `out = a op b` over broadcast views; comparisons and logic store bool as u32 0/1. */
export function binarySource(op: BinaryOp, dtype: DType, cls: StrideClass, aS: Storage, bS: Storage, oS: Storage): string {
  const arith = binaryOps[op].kind === 'arith';
  const expr = binaryExpr(op, dtype);
  const body = `${stridedIndexWgsl(2, cls)}
  let a = ${load(aS, 'A[j0]')};
  let b = ${load(bS, 'B[j1]')};
  O[i] = ${arith ? store(oS, expr) : `select(0u, 1u, ${expr})`};`;
  return withHelpers(
    [
      bindings([
        ['A', aS, 'read'],
        ['B', bS, 'read'],
        ['O', oS, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}

/** `out = cond ? a : b`: moves bit patterns (of `s`, the values' storage), so one kernel per shape class and element size. */
export function whereSource(cls: StrideClass, s: Storage): string {
  const v = bitsType(s);
  const body = `${stridedIndexWgsl(3, cls)}
  O[i] = select(B[j2], A[j1], C[j0] != 0u);`;
  return [
    bindings([
      ['C', 'u32', 'read'],
      ['A', v, 'read'],
      ['B', v, 'read'],
      ['O', v, 'read_write'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}

/**
 * Strided view → strided view: bit patterns when both storages have the same element size, else
 * a conversion (f16 ↔ f32: the f16 backend's f32 work buffers).
 */
export function copySource(cls: StrideClass, src: Storage, dst: Storage): string {
  const same = bitsType(src) === bitsType(dst);
  const [st, dt] = same ? [bitsType(src), bitsType(dst)] : [src, dst];
  const body = `${stridedIndexWgsl(2, cls)}
  D[j1] = ${same ? 'S[j0]' : store(dst, load(src, 'S[j0]'))};`;
  return withHelpers(
    [
      bindings([
        ['S', st, 'read'],
        ['D', dt, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}

/** The CPU's conversions: float→int truncates and wraps (NaN → 0), anything→bool is `x != 0` (NaN → false). */
function castExpr(from: DType, to: DType): string {
  if (from === to) return 'x';
  if (to === 'bool') return from === 'float32' ? 'select(0u, 1u, x != 0.0 && !isnan_(x))' : 'select(0u, 1u, x != 0)';
  if (to === 'int32') return from === 'float32' ? 'f2i_(x)' : 'i32(x)';
  return 'f32(x)';
}

export function castSource(from: DType, to: DType, xs: Storage, ys: Storage): string {
  const body = `  let x = ${load(xs, 'X[i]')};\n  Y[i] = ${store(ys, castExpr(from, to))};`;
  return withHelpers(
    [
      bindings([
        ['X', xs, 'read'],
        ['Y', ys, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}
