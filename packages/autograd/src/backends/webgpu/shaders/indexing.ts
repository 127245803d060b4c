import type { DType } from '../../../dtype.js';
import { bindings, elementwiseMain, wgslType } from './common.js';

/**
 * torch.gather along the middle axis: `out[o, j, i] = x[o, index[o, j, i], i]`, one invocation per
 * output, moving 32-bit patterns (any dtype). An out-of-range index reads as 0 (WebGPU indices are
 * not validated on the host, which would need a synchronous read). Parameters
 * `[outer·indexSize·inner, axisSize, indexSize, inner]`.
 */
export function gatherSource(): string {
  const body = `  let axis = P[1];
  let count = P[2];
  let inner = P[3];
  let o = i / (count * inner);
  let c = i % inner;
  let idx = I[i];
  if (idx < 0 || idx >= axis) { O[i] = 0u; return; }
  O[i] = X[(o * axis + idx) * inner + c];`;
  return [
    bindings([
      ['X', 'u32', 'read'],
      ['I', 'i32', 'read'],
      ['O', 'u32', 'read_write'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}

/**
 * torch.scatter_add along the middle axis without atomics (WGSL has none for f32): one invocation
 * per destination element scans the index axis and adds, in index order, the sources that land on
 * it. Deterministic, and the same sum order as the CPU loop. Cost: axisSize·indexSize per column.
 * Parameters `[outer·axisSize·inner, axisSize, indexSize, inner]`.
 */
export function scatterAddSource(dtype: DType): string {
  const t = wgslType(dtype);
  const body = `  let axis = P[1];
  let count = P[2];
  let inner = P[3];
  let o = i / (axis * inner);
  let dst = (i / inner) % axis;
  let c = i % inner;
  var acc = O[i];
  for (var j = 0; j < count; j++) {
    let at = (o * count + j) * inner + c;
    if (I[at] == dst) { acc += S[at]; }
  }
  O[i] = acc;`;
  return [
    bindings([
      ['O', t, 'read_write'],
      ['I', 'i32', 'read'],
      ['S', t, 'read'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}
