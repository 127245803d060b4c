// The fused GRU sequence on WebGPU (PyTorch's cell: gates r, z, n, the reset applied after the
// recurrent matmul): one dispatch per step forward and backward, like the LSTM's. The math is the
// CPU kernel's (cpu/fused/gru.ts).
import type { Buf, GRUGradBufs, SequenceDims } from '../../backend.js';
import { bindings, load, type Storage, store } from '../shaders/common.js';
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

const OP = 'gruSequence';

interface GRUSaved {
  inputs: { xw: Buf; whh: Buf; bhh: Buf | null; h0: Buf };
  dims: SequenceDims;
}

// The parameter block (i32): 0 T, 1 B, 2 H, 3 t, 4 G = 3, 5 save activations, 6 their offset.
// The work buffer S (f32) holds h of steps 0…T, then (when saved) r, z, n and W_hn·h + b_hn of
// every step, `[T, B, 4, H]`. AUX and DH are f32 work buffers; XW, W, GO, DXW and DHW are stored
// as `t`, the backend's tensors (converted on load and store).
function forwardSource(tile: Tile, t: Storage): string {
  const xw = (at: string) => load(t, `XW[${at}]`);
  const epilogue = `  let BH = B * H;
  let s = b * H + k;
  let xo = (t * B + b) * 3 * H + k;
  let r = sigmoid_(${xw('xo')} + (acc[0] + AUX[k]));
  let z = sigmoid_(${xw('xo + H')} + (acc[1] + AUX[H + k]));
  let hn = acc[2] + AUX[2 * H + k];
  let n = tanhf(${xw('xo + 2 * H')} + r * hn);
  S[(t + 1) * BH + s] = (1.0 - z) * n + z * S[t * BH + s];
  if (P[5] != 0) {
    let ao = P[6] + (t * B + b) * 4 * H + k;
    S[ao] = r;
    S[ao + H] = z;
    S[ao + 2 * H] = n;
    S[ao + 3 * H] = hn;
  }`;
  return `${bindings([
    ['XW', t, 'read'],
    ['W', t, 'read'],
    ['AUX', 'f32', 'read'],
    ['S', 'f32', 'read_write'],
  ])}
${ACTIVATIONS}
${forwardMain(tile, t, epilogue)}`;
}

function backwardSource(tile: Tile, t: Storage): string {
  const st = (v: string) => store(t, v);
  // DH carries z ⊙ dh from step t + 1 to step t; the extra step t = −1 adds the recurrent part,
  // leaving dh0 in it. DHW is the gradient of h·W_hhᵀ + b_hh: dxw but r ⊙ dpre_n in the n block.
  const epilogue = `  let BH = B * H;
  let s = b * H + k;
  if (t < 0) {
    DH[s] = DH[s] + acc;
  } else {
    let xo = (t * B + b) * 3 * H + k;
    let ao = P[6] + (t * B + b) * 4 * H + k;
    let dht = ${load(t, 'GO[t * BH + s]')} + acc + DH[s];
    let r = S[ao];
    let z = S[ao + H];
    let n = S[ao + 2 * H];
    let hn = S[ao + 3 * H];
    let dpn = dht * (1.0 - z) * (1.0 - n * n);
    let dpz = dht * (S[t * BH + s] - n) * z * (1.0 - z);
    let dpr = dpn * hn * r * (1.0 - r);
    DXW[xo] = ${st('dpr')};
    DXW[xo + H] = ${st('dpz')};
    DXW[xo + 2 * H] = ${st('dpn')};
    DHW[xo] = ${st('dpr')};
    DHW[xo + H] = ${st('dpz')};
    DHW[xo + 2 * H] = ${st('dpn * r')};
    DH[s] = dht * z;
  }`;
  return `${bindings([
    ['DXW', t, 'read_write'],
    ['DHW', t, 'read_write'],
    ['W', t, 'read'],
    ['GO', t, 'read'],
    ['S', 'f32', 'read'],
    ['DH', 'f32', 'read_write'],
  ])}
${ACTIVATIONS}
${backwardMain(tile, t, 'DHW', epilogue)}`;
}

/** Runs the forward into `S` (h of steps 0…T, and the activations at `aOff` when `aOff ≥ 0`). */
function encodeForward(host: FusedHost, temps: Temps, { inputs, dims }: GRUSaved, S: Buf, aOff: number): { params: number[]; tile: Tile } {
  const { T, B, H } = dims;
  copyVec(host, inputs.h0, 0, S, 0, B * H);
  const aux = biasAndPeep(host, temps, inputs.bhh, 3 * H, null, 0);
  const params = [T, B, H, 0, 3, aOff >= 0 ? 1 : 0, Math.max(0, aOff)];
  const tile = tileFor(B);
  const kernel = stepKernel(host, 'gruSequence:forward', tile, forwardSource);
  runSteps(host, kernel, [inputs.xw, inputs.whh, aux, S], params, dims, tile, forwardOrder(T));
  return { params, tile };
}

export function gruForward(
  host: FusedHost,
  xw: Buf,
  whh: Buf,
  bhh: Buf | null,
  h0: Buf,
  out: Buf,
  dtype: 'float32' | 'float64',
  dims: SequenceDims,
  keep: boolean,
): GRUSaved | null {
  checkFloat32(OP, dtype);
  const saved: GRUSaved = { inputs: { xw, whh, bhh, h0 }, dims };
  const { T, B, H } = dims;
  const temps = new Temps(host);
  const S = temps.alloc((T + 1) * B * H);
  encodeForward(host, temps, saved, S, -1);
  copyVec(host, S, B * H, out, 0, T * B * H); // h of steps 1…T
  temps.free();
  // the backward recomputes the forward from these inputs: without one, hold no references to them
  return keep ? saved : null;
}

export function gruBackward(host: FusedHost, savedAny: unknown, gOut: Buf, grads: GRUGradBufs): void {
  const saved = savedAny as GRUSaved;
  checkAlive(`${OP} (backward)`, saved.inputs);
  const { dims, inputs } = saved;
  const { T, B, H } = dims;
  const BH = B * H;
  const GH = 3 * H;
  const temps = new Temps(host);
  const aOff = (T + 1) * BH;
  const S = temps.alloc(aOff + T * B * 4 * H);
  const { params, tile } = encodeForward(host, temps, saved, S, aOff);
  const dhw = temps.tensor(T * B * GH);
  const dh = temps.alloc(BH);
  host.backend.fill(dh, 'float32', BH, 0);
  const kernel = stepKernel(host, 'gruSequence:backward', tile, backwardSource);
  runSteps(host, kernel, [grads.xw, dhw, inputs.whh, gOut, S, dh], params, dims, tile, [...backwardOrder(T), -1]);
  copyVec(host, dh, 0, grads.h0, 0, BH);
  weightGrads(host, dhw, S, T * B, GH, H, grads.whh, grads.bhh);
  temps.free();
}
