import type { DType } from '../../../dtype.js';
import { bindings, bitsType, elementwiseMain, load, type Storage, store, wgslType, withHelpers } from './common.js';

/**
 * torch.gather along the middle axis: `out[o, j, i] = x[o, index[o, j, i], i]`, one invocation per
 * output, moving bit patterns of the storage `s` (any dtype). An out-of-range index reads as 0
 * (WebGPU indices are not validated on the host, which would need a synchronous read). Parameters
 * `[outer·indexSize·inner, axisSize, indexSize, inner]`.
 */
export function gatherSource(s: Storage): string {
  const v = bitsType(s);
  const body = `  let axis = P[1];
  let count = P[2];
  let inner = P[3];
  let o = i / (count * inner);
  let c = i % inner;
  let idx = I[i];
  if (idx < 0 || idx >= axis) { O[i] = ${v}(); return; }
  O[i] = X[(o * axis + idx) * inner + c];`;
  return [
    bindings([
      ['X', v, 'read'],
      ['I', 'i32', 'read'],
      ['O', v, 'read_write'],
    ]),
    elementwiseMain(body),
  ].join('\n');
}

/**
 * torch.scatter_add along the middle axis without atomics (WGSL has none for f32): one invocation
 * per destination element scans the index axis and adds, in index order, the sources that land on
 * it. Deterministic, and the same sum order as the CPU loop. Cost: axisSize·indexSize per column.
 * The sum runs in the dtype's 32-bit type (`s`, the storage, may be f16). Parameters
 * `[outer·axisSize·inner, axisSize, indexSize, inner]`.
 */
export function scatterAddSource(dtype: DType, s: Storage): string {
  const t = wgslType(dtype);
  const body = `  let axis = P[1];
  let count = P[2];
  let inner = P[3];
  let o = i / (axis * inner);
  let dst = (i / inner) % axis;
  let c = i % inner;
  var acc: ${t} = ${load(s, 'O[i]')};
  for (var j = 0; j < count; j++) {
    let at = (o * count + j) * inner + c;
    if (I[at] == dst) { acc += ${load(s, 'S[at]')}; }
  }
  O[i] = ${store(s, 'acc')};`;
  return withHelpers(
    [
      bindings([
        ['O', s, 'read_write'],
        ['I', 'i32', 'read'],
        ['S', s, 'read'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}
