import type { DType } from '../../../dtype.js';
import { type BinaryOp, binaryOps, type UnaryOp, unaryOps, type WgslDef } from '../../../ops/elementwise.js';
import { type StrideClass, stridedIndexWgsl } from '../strided.js';
import { bindings, elementwiseMain, wgslType, withHelpers } from './common.js';

/** A row's WGSL expression for `dtype` (the table's int32 form where it has one). */
const exprOf = (def: WgslDef, dtype: DType): string => (dtype === 'int32' ? (def.wgslInt ?? def.wgsl) : def.wgsl);
export const unaryExpr = (op: UnaryOp, dtype: DType): string => exprOf(unaryOps[op], dtype);
export const binaryExpr = (op: BinaryOp, dtype: DType): string => exprOf(binaryOps[op], dtype);

/** `out[i] = value` (the value's 32 bits, so one kernel serves every dtype). */
export function fillSource(): string {
  return [bindings([['O', 'u32', 'read_write']]), elementwiseMain('  O[i] = bitcast<u32>(P[1]);')].join('\n');
}

export function unarySource(op: UnaryOp, dtype: DType): string {
  const t = wgslType(dtype);
  const body = `  let x = X[i];\n  Y[i] = ${unaryExpr(op, dtype)};`;
  return withHelpers(
    [
      bindings([
        ['X', t, 'read'],
        ['Y', t, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}

/** `out = a op b` over broadcast views; comparisons and logic store bool as u32 0/1. */
export function binarySource(op: BinaryOp, dtype: DType, cls: StrideClass): string {
  const t = wgslType(dtype);
  const arith = binaryOps[op].kind === 'arith';
  const expr = binaryExpr(op, dtype);
  const body = `${stridedIndexWgsl(2, cls)}
  let a = A[j0];
  let b = B[j1];
  O[i] = ${arith ? expr : `select(0u, 1u, ${expr})`};`;
  return withHelpers(
    [
      bindings([
        ['A', t, 'read'],
        ['B', t, 'read'],
        ['O', arith ? t : 'u32', 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}

/** `out = cond ? a : b`: moves 32-bit patterns, so one kernel per shape class serves every dtype. */
export function whereSource(cls: StrideClass): string {
  const body = `${stridedIndexWgsl(3, cls)}
  O[i] = select(B[j2], A[j1], C[j0] != 0u);`;
  return [
    bindings([
      ['C', 'u32', 'read'],
      ['A', 'u32', 'read'],
      ['B', 'u32', 'read'],
      ['O', 'u32', 'read_write'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}

/** Strided view → strided view, as 32-bit patterns. */
export function copySource(cls: StrideClass): string {
  const body = `${stridedIndexWgsl(2, cls)}
  D[j1] = S[j0];`;
  return [
    bindings([
      ['S', 'u32', 'read'],
      ['D', 'u32', 'read_write'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}

/** The CPU's conversions: float→int truncates and wraps (NaN → 0), anything→bool is `x != 0` (NaN → false). */
function castExpr(from: DType, to: DType): string {
  if (from === to) return 'x';
  if (to === 'bool') return from === 'float32' ? 'select(0u, 1u, x != 0.0 && !isnan_(x))' : 'select(0u, 1u, x != 0)';
  if (to === 'int32') return from === 'float32' ? 'f2i_(x)' : 'i32(x)';
  return 'f32(x)';
}

export function castSource(from: DType, to: DType): string {
  const body = `  let x = X[i];\n  Y[i] = ${castExpr(from, to)};`;
  return withHelpers(
    [
      bindings([
        ['X', wgslType(from), 'read'],
        ['Y', wgslType(to), 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}
