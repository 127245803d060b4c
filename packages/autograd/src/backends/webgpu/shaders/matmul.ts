import type { MatmulDims } from '../../backend.js';
import { bindings, elementwiseMain, load, type Storage, store, withHelpers } from './common.js';

/** The storages of a matmul's bindings A, B and C (f16 ones convert on load and store; tiles and sums are f32). */
export type MatmulStorage = readonly [a: Storage, b: Storage, c: Storage];

/** Output tile edge: a 16×16 workgroup computes a 16×16 block of C. */
export const TILE = 16;

/**
 * WGSL index expressions of element (row, p) of op(A) and (p, col) of op(B) within one matrix:
 * an operand stored transposed (`transA`: k×m, `transB`: n×k) is read in place.
 */
function indexers(transA: boolean, transB: boolean) {
  return {
    a: (row: string, p: string) => (transA ? `${p} * m + ${row}` : `${row} * k + ${p}`),
    b: (p: string, col: string) => (transB ? `${col} * k + ${p}` : `${p} * n + ${col}`),
  };
}

/**
 * Batched GEMM `C[b] = op(A[b])·op(B[b])` on row-major float32 (op transposes an operand stored
 * transposed, see {@link MatmulDims}), tiled through workgroup memory: each step
 * loads a 16×16 tile of A and of B (zero outside the matrix) and every invocation accumulates one
 * element of C. Parameters `[batch, m, k, n, aBatchStride, bBatchStride]`; a batch stride of 0
 * broadcasts. Row blocks and batches beyond the dispatch grid are looped over (the loop bounds are
 * uniform, so the barriers are too).
 */
export function matmulSource(transA: boolean, transB: boolean, [as, bs, cs]: MatmulStorage): string {
  const at = indexers(transA, transB);
  return withHelpers(`${bindings([
    ['A', as, 'read'],
    ['B', bs, 'read'],
    ['C', cs, 'read_write'],
  ])}
var<workgroup> As: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = P[0];
  let m = P[1];
  let k = P[2];
  let n = P[3];
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let col = i32(wid.x) * ${TILE} + tx;
  let rowBlocks = (m + ${TILE - 1}) / ${TILE};
  for (var bt = i32(wid.z); bt < batch; bt += i32(nwg.z)) {
    let aOff = bt * P[4];
    let bOff = bt * P[5];
    let cOff = bt * m * n;
    for (var rb = i32(wid.y); rb < rowBlocks; rb += i32(nwg.y)) {
      let row = rb * ${TILE} + ty;
      var acc = 0.0;
      for (var t = 0; t < k; t += ${TILE}) {
        let ac = t + tx;
        var av = 0.0;
        if (row < m && ac < k) { av = ${load(as, `A[aOff + ${at.a('row', 'ac')}]`)}; }
        As[ty][tx] = av;
        let br = t + ty;
        var bv = 0.0;
        if (br < k && col < n) { bv = ${load(bs, `B[bOff + ${at.b('br', 'col')}]`)}; }
        Bs[ty][tx] = bv;
        workgroupBarrier();
        for (var q = 0; q < ${TILE}; q++) { acc += As[ty][q] * Bs[q][tx]; }
        workgroupBarrier();
      }
      if (row < m && col < n) { C[cOff + row * n + col] = ${store(cs, 'acc')}; }
    }
  }
}`);
}

/**
 * The same GEMM with one invocation per element of C and no workgroup memory, for outputs thinner
 * than a tile (m or n < 16: matrix–vector products, small batches): there a tile would leave most
 * of its invocations idle and still pay its barriers. Parameters `[batch·m·n, m, k, n,
 * aBatchStride, bBatchStride]` (a 1-D kernel: `P[0]` counts the invocations).
 */
export function matmulDirectSource(transA: boolean, transB: boolean, [as, bs, cs]: MatmulStorage): string {
  const at = indexers(transA, transB);
  const body = `  let m = P[1];
  let k = P[2];
  let n = P[3];
  let col = i % n;
  let row = (i / n) % m;
  let bt = i / (m * n);
  let a = bt * P[4];
  let b = bt * P[5];
  var acc = 0.0;
  for (var q = 0; q < k; q++) { acc += ${load(as, `A[a + ${at.a('row', 'q')}]`)} * ${load(bs, `B[b + ${at.b('q', 'col')}]`)}; }
  C[i] = ${store(cs, 'acc')};`;
  return withHelpers(
    [
      bindings([
        ['A', as, 'read'],
        ['B', bs, 'read'],
        ['C', cs, 'read_write'],
      ]),
      elementwiseMain(body),
    ].join('\n'),
  );
}
