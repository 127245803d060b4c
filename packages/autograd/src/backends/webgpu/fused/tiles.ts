// The tiled gate GEMMs of the fused recurrent kernels. One workgroup owns a TB × TH block of the
// [B, H] state and accumulates, in registers, every gate's term for those units, staging tiles of
// both operands through workgroup memory. The cell's pointwise math then runs as the GEMM's
// epilogue, on values already in registers: a time step is one dispatch. Cell flags are runtime
// parameters (uniform branches cost nothing next to the GEMM), so one pipeline per tile shape
// serves every variant of the zoo.
import { load, type Storage } from '../shaders/common.js';
import { unaryExpr } from '../shaders/elementwise.js';

/** A workgroup's block: `tb` batch rows × `th` hidden units, the reduction in steps of `tk`. */
export interface Tile {
  tb: number;
  th: number;
  tk: number;
}

/** Gates a cell may have (the per-invocation accumulators are one vec4). */
export const MAX_GATES = 4;
/** Workgroups per grid dimension every WebGPU device supports; larger batches are looped over. */
const MAX_GROUPS = 65535;

/**
 * The tile for a batch of B, one of three so few pipelines are compiled: a single sequence
 * gets 64 units per workgroup; small batches (≤ 4) 4 rows × 64 units; larger ones 16 × 16. The
 * reduction step keeps the forward's W tile (4 gates × tk padded rows) under 9 KiB.
 */
export function tileFor(B: number): Tile {
  if (B <= 1) return { tb: 1, th: 64, tk: 8 };
  if (B <= 4) return { tb: 4, th: 64, tk: 8 };
  return { tb: 16, th: 16, tk: 16 };
}

export const tileKey = ({ tb, th, tk }: Tile): string => `${tb}x${th}x${tk}`;

/** Workgroups covering a `[B, H]` state (batch blocks past the grid limit are looped over in WGSL). */
export function stepGroups({ tb, th }: Tile, B: number, H: number): [number, number, number] {
  return [Math.ceil(H / th), Math.min(Math.ceil(B / tb), MAX_GROUPS), 1];
}

/** The activations, from the elementwise table, so fused and composite cells agree on every driver. */
export const ACTIVATIONS = `fn sigmoid_(x: f32) -> f32 { return ${unaryExpr('sigmoid', 'float32')}; }
fn tanhf(x: f32) -> f32 { return ${unaryExpr('tanh', 'float32')}; }`;

/** The uniform prelude of every step kernel: parameters 0…4 are `T, B, H, t, G` in all of them. */
const PRELUDE = `  let T = P[0];
  let B = P[1];
  let H = P[2];
  let t = P[3];
  let G = P[4];
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let li = ty * TH + tx;
  let k = i32(wid.x) * TH + tx;`;

/**
 * The forward's W tile row, padded so that the 32 stores of a warp (tk consecutive q of 32/tk
 * units) land in 32 distinct banks: `(q·WS + k) mod 32` is, as WS = 32/tk × an odd number here.
 */
const paddedRow = ({ th, tk }: Tile) => th + 32 / tk;

const consts = (tile: Tile) => `const TB = ${tile.tb};
const TH = ${tile.th};
const TK = ${tile.tk};
const WS = ${paddedRow(tile)};`;

const ENTRY = `@compute @workgroup_size(TH, TB)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {`;

/**
 * Forward step: `acc[j] = Σ_q h(t−1)[b, q] · W[j·H + k, q]` for every gate block j < G, with h(t−1)
 * at row t of `S` (an f32 work buffer, offset 0), then `epilogue` for the invocation's unit (b, k)
 * when it exists. W (stored as `t`) tiles are read along W's rows (q fastest), so neighbouring
 * invocations load neighbouring words, and stored transposed in rows padded to WS words (see
 * {@link paddedRow}); tiles and sums are f32.
 */
export function forwardMain(tile: Tile, t: Storage, epilogue: string): string {
  return `${consts(tile)}
var<workgroup> hTile: array<f32, ${tile.tb * tile.tk}>;
var<workgroup> wTile: array<f32, ${MAX_GATES * tile.tk * paddedRow(tile)}>;
${ENTRY}
${PRELUDE}
  let k0 = i32(wid.x) * TH;
  let hOff = t * B * H;
  for (var bb = i32(wid.y) * TB; bb < B; bb += i32(nwg.y) * TB) {
    let b = bb + ty;
    var acc = vec4f(0.0);
    for (var q0 = 0; q0 < H; q0 += TK) {
      for (var e = li; e < TB * TK; e += TB * TH) {
        let r = bb + e / TK;
        let q = q0 + e % TK;
        var v = 0.0;
        if (r < B && q < H) { v = S[hOff + r * H + q]; }
        hTile[e] = v;
      }
      for (var e = li; e < G * TH * TK; e += TB * TH) {
        let j = e / (TH * TK);
        let kx = (e / TK) % TH;
        let qq = e % TK;
        var v = 0.0;
        if (k0 + kx < H && q0 + qq < H) { v = ${load(t, 'W[(j * H + k0 + kx) * H + q0 + qq]')}; }
        wTile[(j * TK + qq) * WS + kx] = v;
      }
      workgroupBarrier();
      for (var qq = 0; qq < TK; qq++) {
        let hv = hTile[ty * TK + qq];
        for (var j = 0; j < G; j++) { acc[j] += hv * wTile[(j * TK + qq) * WS + tx]; }
      }
      workgroupBarrier();
    }
    if (b < B && k < H) {
${epilogue}
    }
  }
}`;
}

/**
 * Backward step: `acc = Σ_j D[t + 1][b, j] · W[j, k]` (the gradient reaching h(t) through the
 * recurrence; 0 at the last step), D being `[T, B, G·H]` gate gradients, then `epilogue` for (b, k).
 * D and W are stored as `t`.
 */
export function backwardMain(tile: Tile, t: Storage, d: string, epilogue: string): string {
  return `${consts(tile)}
var<workgroup> dTile: array<f32, ${tile.tb * tile.tk}>;
var<workgroup> wTile: array<f32, ${tile.tk * tile.th}>;
${ENTRY}
${PRELUDE}
  let k0 = i32(wid.x) * TH;
  let GH = G * H;
  let dOff = (t + 1) * B * GH;
  for (var bb = i32(wid.y) * TB; bb < B; bb += i32(nwg.y) * TB) {
    let b = bb + ty;
    var acc = 0.0;
    if (t + 1 < T) {
      for (var j0 = 0; j0 < GH; j0 += TK) {
        for (var e = li; e < TB * TK; e += TB * TH) {
          let r = bb + e / TK;
          let j = j0 + e % TK;
          var v = 0.0;
          if (r < B && j < GH) { v = ${load(t, `${d}[dOff + r * GH + j]`)}; }
          dTile[e] = v;
        }
        for (var e = li; e < TK * TH; e += TB * TH) {
          let jj = e / TH;
          let kx = e % TH;
          var v = 0.0;
          if (j0 + jj < GH && k0 + kx < H) { v = ${load(t, 'W[(j0 + jj) * H + k0 + kx]')}; }
          wTile[e] = v;
        }
        workgroupBarrier();
        for (var jj = 0; jj < TK; jj++) { acc += dTile[ty * TK + jj] * wTile[jj * TH + tx]; }
        workgroupBarrier();
      }
    }
    if (b < B && k < H) {
${epilogue}
    }
  }
}`;
}
