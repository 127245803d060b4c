import type { DType } from '../../../dtype.js';
import type { ArgReduceOp, ReduceOp } from '../../backend.js';
import { bindings, elementwiseMain, load, type Storage, store, WG, wgslType, withHelpers } from './common.js';
import { binaryExpr } from './elementwise.js';

/** `thread`: one invocation per output, a sequential loop (short rows); `row`: one workgroup per row, a tree. */
export type ReduceClass = 'thread' | 'row';

/** Rows at least this long get a workgroup each. */
export const ROW_REDUCE_MIN = 256;
/** Rows longer than this are split into chunks of this length when there are few of them. */
export const REDUCE_CHUNK = 4096;

/** The fold's start: 0 or 1; for max/min the row's first element (the op layer rejects empty rows). */
function identity(op: ReduceOp, dtype: DType, xs: Storage): string {
  const t = wgslType(dtype);
  if (op === 'sum') return `${t}(0)`;
  if (op === 'prod') return `${t}(1)`;
  return load(xs, 'X[base]'); // max/min are idempotent, so every invocation may start from it
}

/** The table row each reduction folds with (so max/min propagate NaN exactly as `maximum` does). */
const FOLD = { sum: 'add', prod: 'mul', max: 'maximum', min: 'minimum' } as const;

/** `fn combine_(a, b)`: the fold step, the op table's WGSL of the reduction's binary op. */
function combineFn(op: ReduceOp, dtype: DType): string {
  const t = wgslType(dtype);
  return `fn combine_(a: ${t}, b: ${t}) -> ${t} { return ${binaryExpr(FOLD[op], dtype)}; }`;
}

/**
 * `[outer, inner] → [outer]`, folding in the dtype's 32-bit type whatever the storages `xs`, `os`.
 * Parameters: `thread` `[outer, inner]`; `row` `[outer·chunks, inner, chunkLength, chunks]` (the
 * output then holds `outer·chunks` partials).
 */
export function reduceSource(op: ReduceOp, dtype: DType, cls: ReduceClass, xs: Storage, os: Storage): string {
  const t = wgslType(dtype);
  const head = `${bindings([
    ['X', xs, 'read'],
    ['O', os, 'read_write'],
  ])}\n${combineFn(op, dtype)}`;
  if (cls === 'thread') {
    const body = `  let base = i * P[1];
  var acc = ${identity(op, dtype, xs)};
  for (var j = 0; j < P[1]; j++) { acc = combine_(acc, ${load(xs, 'X[base + j]')}); }
  O[i] = ${store(os, 'acc')};`;
    return withHelpers([head, elementwiseMain(body)].join('\n'));
  }
  // One workgroup per chunk of a row: each invocation folds a strided slice of the chunk, then a
  // tree over workgroup memory. With one chunk per row this is the whole reduction; long rows of
  // few outputs are split into chunks (a first pass) and their partials reduced again.
  return withHelpers(`${head}
var<workgroup> partial: array<${t}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = i32(wid.y * nwg.x + wid.x);
  if (g >= P[0]) { return; }
  let chunks = P[3];
  let start = (g % chunks) * P[2];
  let end = min(P[1], start + P[2]);
  let base = (g / chunks) * P[1] + start;
  var acc = ${identity(op, dtype, xs)};
  for (var j = i32(lid); j < end - start; j += ${WG}) { acc = combine_(acc, ${load(xs, 'X[base + j]')}); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine_(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { O[g] = ${store(os, 'partial[0]')}; }
}`);
}

/**
 * `a` beats `b` (values `va`, `vb` at axis indices `ia < ib` or not): NaN first (the first NaN wins,
 * like NumPy), then strictly greater (argmax) / smaller (argmin), ties to the lower index.
 */
function better(op: ArgReduceOp, dtype: DType): string {
  const t = wgslType(dtype);
  const cmp = op === 'argmax' ? '>' : '<';
  const nan = dtype === 'float32';
  return `fn better(va: ${t}, ia: i32, vb: ${t}, ib: i32) -> bool {
  ${nan ? 'if (isnan_(va) != isnan_(vb)) { return isnan_(va); }\n  if (isnan_(va)) { return ia < ib; }' : ''}
  if (va ${cmp} vb) { return true; }
  if (va == vb) { return ia < ib; }
  return false;
}`;
}

/**
 * `[outer, axisSize, inner] → [outer, inner]` int32; parameters `[outer·inner, axisSize, inner]`.
 * `thread`: one invocation per output; `row` (inner = 1, long axis): a workgroup tree per row.
 */
export function argReduceSource(op: ArgReduceOp, dtype: DType, cls: ReduceClass, xs: Storage): string {
  const t = wgslType(dtype);
  const x = (at: string) => load(xs, `X[${at}]`);
  const head = `${bindings([
    ['X', xs, 'read'],
    ['O', 'i32', 'read_write'],
  ])}\n${better(op, dtype)}`;
  if (cls === 'thread') {
    const body = `  let axis = P[1];
  let inner = P[2];
  let base = (i / inner) * axis * inner + i % inner;
  var best = 0;
  var bv = ${x('base')};
  for (var j = 1; j < axis; j++) {
    let v = ${x('base + j * inner')};
    if (better(v, j, bv, best)) { best = j; bv = v; }
  }
  O[i] = best;`;
    return withHelpers([head, elementwiseMain(body)].join('\n'));
  }
  return withHelpers(`${head}
var<workgroup> pv: array<${t}, ${WG}>;
var<workgroup> pi: array<i32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = i32(wid.y * nwg.x + wid.x);
  if (row >= P[0]) { return; }
  let axis = P[1];
  let base = row * axis;
  var best = min(i32(lid), axis - 1);
  var bv = ${x('base + best')};
  for (var j = i32(lid) + ${WG}; j < axis; j += ${WG}) {
    let v = ${x('base + j')};
    if (better(v, j, bv, best)) { best = j; bv = v; }
  }
  pv[lid] = bv;
  pi[lid] = best;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s && better(pv[lid + s], pi[lid + s], pv[lid], pi[lid])) { pv[lid] = pv[lid + s]; pi[lid] = pi[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[row] = pi[0]; }
}`);
}

/**
 * Inclusive prefix sums along the middle axis, one invocation per column, the running sum in the
 * dtype's 32-bit type; parameters `[outer·inner, axisSize, inner, reverse]`.
 */
export function cumsumSource(dtype: DType, s: Storage): string {
  const t = wgslType(dtype);
  const body = `  let axis = P[1];
  let inner = P[2];
  let base = (i / inner) * axis * inner + i % inner;
  var acc = ${t}(0);
  for (var s = 0; s < axis; s++) {
    let j = base + select(s, axis - 1 - s, P[3] != 0) * inner;
    acc += ${load(s, 'X[j]')};
    O[j] = ${store(s, 'acc')};
  }`;
  return withHelpers(
    [
      bindings([
        ['X', s, 'read'],
        ['O', s, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}
