// The fused LSTM sequence on WebGPU: one dispatch per step (the gate GEMM with the cell in its
// epilogue) forward, and the same backward (the GEMM carrying dh through W_hh, then the cell's
// derivatives), for every variant LSTMCellSpec describes. The math is the CPU kernel's
// (cpu/fused/lstm.ts), line for line.
import type { Buf, LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../../backend.js';
import type { GpuBuf } from '../buffers.js';
import { bindings, groups1d, load, type Storage, storageKey, store, WG, withHelpers } from '../shaders/common.js';
import {
  backwardOrder,
  biasAndPeep,
  checkAlive,
  checkFloat32,
  copyVec,
  type FusedHost,
  forwardOrder,
  runSteps,
  stepKernel,
  Temps,
  weightGrads,
} from './sequence.js';
import { ACTIVATIONS, backwardMain, forwardMain, type Tile, tileFor } from './tiles.js';

const OP = 'lstmSequence';

/** The forward's inputs: the backward recomputes the activations from them (see sequence.ts). */
interface LSTMSaved {
  inputs: { xw: Buf; whh: Buf; bhh: Buf | null; h0: Buf; c0: Buf; peep: Buf | null };
  dims: SequenceDims;
  cell: LSTMCellSpec;
}

// The parameter block of every LSTM kernel (i32):
//   0 T, 1 B, 2 H, 3 t, 4 G, 5–8 gate blocks i f g o (−1 = absent), 9–11 peephole rows i f o
//   (−1 = none), 12 coupled, 13 identityG, 14 identityH, 15 save activations, 16 offset of c in
//   the work buffer, 17 offset of the activations, 18 offset of the peepholes in AUX, 19 peephole rows.
// The work buffer S (f32) holds h of steps 0…T, then c of steps 0…T, then (when saved) the
// activated gates of every step, `[T, B, G·H]` like xw. AUX (bias and peepholes) and DC are f32
// work buffers too; XW, W, GO and DXW are tensors, stored as `t` (converted on load and store).
const WGSL_CELL = `  let gI = P[5];
  let gF = P[6];
  let gG = P[7];
  let gO = P[8];
  let pI = P[9];
  let pF = P[10];
  let pO = P[11];
  let coupled = P[12] != 0;
  let identityG = P[13] != 0;
  let identityH = P[14] != 0;
  let BH = B * H;
  let GH = G * H;
  let s = b * H + k;
  let xo = (t * B + b) * GH + k;
  let ao = P[17] + xo;
  let pk = P[18] + k;
  let cPrev = S[P[16] + t * BH + s];`;

function forwardSource(tile: Tile, t: Storage): string {
  const epilogue = `${WGSL_CELL}
  let save = P[15] != 0;
  var iv = 1.0;
  if (gI >= 0) {
    var v = pre(gI, xo, k, H, acc);
    if (pI >= 0) { v += AUX[pk + pI * H] * cPrev; }
    iv = sigmoid_(v);
    if (save) { S[ao + gI * H] = iv; }
  }
  var fv = 1.0;
  if (gF >= 0) {
    var v = pre(gF, xo, k, H, acc);
    if (pF >= 0) { v += AUX[pk + pF * H] * cPrev; }
    fv = sigmoid_(v);
    if (save) { S[ao + gF * H] = fv; }
  } else if (coupled) {
    fv = 1.0 - iv;
  }
  var gv = pre(gG, xo, k, H, acc);
  if (!identityG) { gv = tanhf(gv); }
  if (save) { S[ao + gG * H] = gv; }
  let c = fv * cPrev + iv * gv;
  var ov = 1.0;
  if (gO >= 0) {
    var v = pre(gO, xo, k, H, acc);
    if (pO >= 0) { v += AUX[pk + pO * H] * c; }
    ov = sigmoid_(v);
    if (save) { S[ao + gO * H] = ov; }
  }
  var a = c;
  if (!identityH) { a = tanhf(c); }
  S[(t + 1) * BH + s] = ov * a;
  S[P[16] + (t + 1) * BH + s] = c;`;
  return `${bindings([
    ['XW', t, 'read'],
    ['W', t, 'read'],
    ['AUX', 'f32', 'read'],
    ['S', 'f32', 'read_write'],
  ])}
${ACTIVATIONS}
/** Gate block j's pre-activation: x·W_ihᵀ + b_ih (in xw) + h·W_hhᵀ (acc) + b_hh. */
fn pre(j: i32, xo: i32, k: i32, H: i32, acc: vec4f) -> f32 { return ${load(t, 'XW[xo + j * H]')} + acc[j] + AUX[j * H + k]; }
${forwardMain(tile, t, epilogue)}`;
}

function backwardSource(tile: Tile, t: Storage): string {
  // acc is the recurrent part of dh(t); DC carries dc from step t + 1 to step t, in place
  const epilogue = `${WGSL_CELL}
  let dht = ${load(t, 'GO[t * BH + s]')} + acc;
  let c = S[P[16] + (t + 1) * BH + s];
  var a = c;
  if (!identityH) { a = tanhf(c); }
  var iv = 1.0;
  if (gI >= 0) { iv = S[ao + gI * H]; }
  var fv = 1.0;
  if (gF >= 0) { fv = S[ao + gF * H]; } else if (coupled) { fv = 1.0 - iv; }
  let gv = S[ao + gG * H];
  var ov = 1.0;
  if (gO >= 0) { ov = S[ao + gO * H]; }
  let da = dht * ov;
  var dcs = DC[s] + select(da * (1.0 - a * a), da, identityH);
  if (gO >= 0) {
    let dpo = dht * a * ov * (1.0 - ov);
    DXW[xo + gO * H] = ${store(t, 'dpo')};
    if (pO >= 0) { dcs += dpo * AUX[pk + pO * H]; }
  }
  let dg = dcs * iv;
  DXW[xo + gG * H] = ${store(t, 'select(dg * (1.0 - gv * gv), dg, identityG)')};
  var di = dcs * gv;
  let df = dcs * cPrev;
  var dcPrev = dcs * fv;
  if (gF >= 0) {
    let dpf = df * fv * (1.0 - fv);
    DXW[xo + gF * H] = ${store(t, 'dpf')};
    if (pF >= 0) { dcPrev += dpf * AUX[pk + pF * H]; }
  } else if (coupled) {
    di -= df;
  }
  if (gI >= 0) {
    let dpi = di * iv * (1.0 - iv);
    DXW[xo + gI * H] = ${store(t, 'dpi')};
    if (pI >= 0) { dcPrev += dpi * AUX[pk + pI * H]; }
  }
  DC[s] = dcPrev;`;
  return `${bindings([
    ['DXW', t, 'read_write'],
    ['W', t, 'read'],
    ['AUX', 'f32', 'read'],
    ['GO', t, 'read'],
    ['S', 'f32', 'read'],
    ['DC', 'f32', 'read_write'],
  ])}
${ACTIVATIONS}
${backwardMain(tile, t, 'DXW', epilogue)}`;
}

/**
 * `dpeep[p, k] = Σ_{t,b} dpre_gate[t, b, k] · c[t, b, k]`, c being the previous cell state for the
 * i and f peepholes and the new one for o; one invocation per (row, unit), rows of absent gates 0.
 */
function peepGradSource(t: Storage): string {
  return `${bindings([
    ['DXW', t, 'read'],
    ['S', 'f32', 'read'],
    ['DP', t, 'read_write'],
  ])}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = i32((wid.y * nwg.x + wid.x) * ${WG}u + lid);
  let T = P[0];
  let B = P[1];
  let H = P[2];
  let G = P[4];
  if (i >= P[19] * H) { return; }
  let p = i / H;
  let k = i % H;
  var gate = -1;
  var next = 0;
  if (p == P[9] && P[5] >= 0) { gate = P[5]; } else if (p == P[10] && P[6] >= 0) { gate = P[6]; } else if (p == P[11] && P[8] >= 0) { gate = P[8]; next = 1; }
  var sum = 0.0;
  if (gate >= 0) {
    for (var r = 0; r < T * B; r++) { sum += ${load(t, 'DXW[(r * G + gate) * H + k]')} * S[P[16] + (r + next * B) * H + k]; }
  }
  DP[i] = ${store(t, 'sum')};
}`;
}

const gateCount = (cell: LSTMCellSpec): number => [cell.i, cell.f, cell.g, cell.o].filter((j) => j >= 0).length;
const peepRows = (cell: LSTMCellSpec): number => [cell.peepI, cell.peepF, cell.peepO].filter((j) => j >= 0).length;

/**
 * Runs the forward over all T steps into the work buffer `S` (h then c of steps 0…T, and the
 * activations at `aOff` when `aOff ≥ 0`); returns the parameter block and tile for the backward.
 */
function encodeForward(host: FusedHost, temps: Temps, saved: LSTMSaved, S: Buf, aOff: number): { params: number[]; tile: Tile; aux: Buf } {
  const { inputs, dims, cell } = saved;
  const { T, B, H } = dims;
  const BH = B * H;
  const G = gateCount(cell);
  const PR = inputs.peep ? peepRows(cell) : 0;
  const cOff = (T + 1) * BH;
  copyVec(host, inputs.h0, 0, S, 0, BH);
  copyVec(host, inputs.c0, 0, S, cOff, BH);
  const aux = biasAndPeep(host, temps, inputs.bhh, G * H, inputs.peep, PR * H);
  const peep = (row: number) => (inputs.peep ? row : -1);
  const params = [T, B, H, 0, G, cell.i, cell.f, cell.g, cell.o, peep(cell.peepI), peep(cell.peepF), peep(cell.peepO)];
  params.push(cell.coupled ? 1 : 0, cell.identityG ? 1 : 0, cell.identityH ? 1 : 0, aOff >= 0 ? 1 : 0, cOff, Math.max(0, aOff), G * H, PR);
  const tile = tileFor(B);
  const kernel = stepKernel(host, 'lstmSequence:forward', tile, forwardSource);
  runSteps(host, kernel, [inputs.xw, inputs.whh, aux, S], params, dims, tile, forwardOrder(T));
  return { params, tile, aux };
}

export function lstmForward(
  host: FusedHost,
  xw: Buf,
  whh: Buf,
  bhh: Buf | null,
  h0: Buf,
  c0: Buf,
  peep: Buf | null,
  out: Buf,
  dtype: 'float32' | 'float64',
  dims: SequenceDims,
  cell: LSTMCellSpec,
  keep: boolean,
): LSTMSaved | null {
  checkFloat32(OP, dtype);
  const saved: LSTMSaved = { inputs: { xw, whh, bhh, h0, c0, peep }, dims, cell };
  const { T, B, H } = dims;
  const BH = B * H;
  const temps = new Temps(host);
  const S = temps.alloc(2 * (T + 1) * BH);
  encodeForward(host, temps, saved, S, -1);
  copyVec(host, S, BH, out, 0, T * BH); // h of steps 1…T
  copyVec(host, S, (2 * T + 1) * BH, out, T * BH, BH); // c of step T
  temps.free();
  // the backward recomputes the forward from these inputs: without one, hold no references to them
  return keep ? saved : null;
}

export function lstmBackward(host: FusedHost, savedAny: unknown, gOut: Buf, grads: LSTMGradBufs): void {
  const saved = savedAny as LSTMSaved;
  checkAlive(`${OP} (backward)`, saved.inputs);
  const { dims, cell, inputs } = saved;
  const { T, B, H } = dims;
  const BH = B * H;
  const GH = gateCount(cell) * H;
  const temps = new Temps(host);
  const aOff = 2 * (T + 1) * BH;
  const S = temps.alloc(aOff + T * B * GH);
  const { params, tile, aux } = encodeForward(host, temps, saved, S, aOff);
  const dc = temps.alloc(BH);
  copyVec(host, gOut, T * BH, dc, 0, BH); // dc of step T, carried down to dc0 in place
  const kernel = stepKernel(host, 'lstmSequence:backward', tile, backwardSource);
  runSteps(host, kernel, [grads.xw, inputs.whh, aux, gOut, S, dc], params, dims, tile, backwardOrder(T));
  copyVec(host, dc, 0, grads.c0, 0, BH);
  // dh0 = dpre(0)·W_hh: the first B rows of dxw
  if (T > 0)
    host.backend.matmul(grads.xw, inputs.whh, grads.h0, 'float32', { batch: 1, m: B, k: GH, n: H, aBatchStride: 0, bBatchStride: 0 });
  else host.backend.fill(grads.h0, 'float32', BH, 0);
  const nPeep = params[19]! * H;
  if (grads.peep && nPeep > 0) {
    const kernel = host.kernel(`fused:lstmSequence:peepGrad${storageKey(host.storage)}`, () => withHelpers(peepGradSource(host.storage)));
    const bufs = [grads.xw, S, grads.peep].map((b) => (b as GpuBuf).buffer);
    host.dispatch(kernel, bufs, params, groups1d(nPeep, 65535));
  }
  weightGrads(host, grads.xw, S, T * B, GH, H, grads.whh, grads.bhh);
  temps.free();
}
