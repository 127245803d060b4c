// The fused LSTM sequence on the CPU: forward over all T steps with the activations of every step
// kept in preallocated float64 buffers, and BPTT over them. Every variant of the zoo except FGR,
// layer norm, projection and the dropouts (see LSTMCellSpec). Work is in float64 whatever the
// dtype; results are rounded once when written out.
import { sigmoid } from '../../../math.js';
import type { LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../../backend.js';
import { mulTN, mulW, mulWT, toF64, transposeInto } from './linalg.js';

type FArr = Float32Array | Float64Array;

/** What the forward keeps: weights (float64) and every step's gates, c and h. */
interface LSTMSaved {
  dims: SequenceDims;
  cell: LSTMCellSpec;
  G: number;
  W: Float64Array;
  peep: Float64Array | null;
  hasBias: boolean;
  /** Activated gates `[T, B, H]` each (absent gates stay empty). */
  I: Float64Array;
  F: Float64Array;
  Gt: Float64Array;
  O: Float64Array;
  /** The cell output activation tanh(c) (or c) `[T, B, H]`. */
  A: Float64Array;
  /** c and h of steps 0…T: `[T + 1, B, H]` (index 0 is the initial state). */
  C: Float64Array;
  Hs: Float64Array;
  P: number;
}

/** Number of gates (columns blocks of the pre-activation) a cell has. */
export function gateCount(cell: LSTMCellSpec): number {
  return (cell.i >= 0 ? 1 : 0) + (cell.f >= 0 ? 1 : 0) + 1 + (cell.o >= 0 ? 1 : 0);
}

export function lstmForward(
  xwBuf: unknown,
  whhBuf: unknown,
  bhhBuf: unknown,
  h0Buf: unknown,
  c0Buf: unknown,
  peepBuf: unknown,
  outBuf: unknown,
  _dtype: 'float32' | 'float64',
  dims: SequenceDims,
  cell: LSTMCellSpec,
): LSTMSaved {
  const { T, B, H } = dims;
  const G = gateCount(cell);
  const GH = G * H;
  const BH = B * H;
  const xw = xwBuf as FArr;
  const out = outBuf as FArr;
  const W = toF64(whhBuf as FArr, GH * H);
  const WT = new Float64Array(GH * H);
  transposeInto(W, GH, H, WT);
  const bias = bhhBuf ? toF64(bhhBuf as FArr, GH) : new Float64Array(GH);
  const P = (cell.peepI >= 0 ? 1 : 0) + (cell.peepF >= 0 ? 1 : 0) + (cell.peepO >= 0 ? 1 : 0);
  const peep = peepBuf ? toF64(peepBuf as FArr, P * H) : null;
  const n = T * BH;
  const I = new Float64Array(cell.i >= 0 ? n : 0);
  const F = new Float64Array(cell.f >= 0 ? n : 0);
  const Gt = new Float64Array(n);
  const O = new Float64Array(cell.o >= 0 ? n : 0);
  const A = new Float64Array(n);
  const C = new Float64Array(n + BH);
  const Hs = new Float64Array(n + BH);
  const h0 = h0Buf as FArr;
  const c0 = c0Buf as FArr;
  for (let x = 0; x < BH; x++) {
    Hs[x] = h0[x]!;
    C[x] = c0[x]!;
  }
  const pre = new Float64Array(B * GH);
  const { iO, fO, gO, oO, hasI, hasF, hasO, coupled, idG, idH, pI, pF, pO, hasPI, hasPF, hasPO } = layout(cell, H, peep !== null);
  for (let t = 0; t < T; t++) {
    const sOff = t * BH; // this step's row in the [T, B, H] buffers and the previous state's in C/Hs
    mulWT(Hs, sOff, W, WT, pre, B, H, GH);
    const xOff = t * B * GH;
    for (let b = 0; b < B; b++) {
      const pb = b * GH;
      for (let k = 0; k < H; k++) {
        const s = sOff + b * H + k;
        const cPrev = C[s]!;
        const q = pb + k;
        const xq = xOff + q;
        let iv = 1;
        if (hasI) {
          let v = xw[xq + iO]! + pre[q + iO]! + bias[iO + k]!;
          if (hasPI) v += peep![pI + k]! * cPrev;
          iv = sigmoid(v);
          I[s] = iv;
        }
        let fv = 1;
        if (hasF) {
          let v = xw[xq + fO]! + pre[q + fO]! + bias[fO + k]!;
          if (hasPF) v += peep![pF + k]! * cPrev;
          fv = sigmoid(v);
          F[s] = fv;
        } else if (coupled) fv = 1 - iv;
        const gPre = xw[xq + gO]! + pre[q + gO]! + bias[gO + k]!;
        const gv = idG ? gPre : Math.tanh(gPre);
        Gt[s] = gv;
        const c = fv * cPrev + iv * gv;
        let ov = 1;
        if (hasO) {
          let v = xw[xq + oO]! + pre[q + oO]! + bias[oO + k]!;
          if (hasPO) v += peep![pO + k]! * c;
          ov = sigmoid(v);
          O[s] = ov;
        }
        const a = idH ? c : Math.tanh(c);
        A[s] = a;
        const h = ov * a;
        C[s + BH] = c;
        Hs[s + BH] = h;
        out[s] = h;
      }
    }
  }
  for (let x = 0; x < BH; x++) out[T * BH + x] = C[T * BH + x]!;
  return { dims, cell, G, W, peep, hasBias: bhhBuf !== null, I, F, Gt, O, A, C, Hs, P };
}

export function lstmBackward(savedAny: unknown, gOutBuf: unknown, grads: LSTMGradBufs): void {
  const sv = savedAny as LSTMSaved;
  const { dims, cell, G, W, peep, I, F, Gt, O, A, C, Hs } = sv;
  const { T, B, H } = dims;
  const GH = G * H;
  const BH = B * H;
  const gOut = gOutBuf as FArr;
  const dpre = new Float64Array(T * B * GH);
  const dh = new Float64Array(BH); // gradient reaching h(t) through the recurrence
  const dc = new Float64Array(BH);
  for (let x = 0; x < BH; x++) dc[x] = gOut[T * BH + x]!;
  const dPeep = new Float64Array(sv.P * H);
  const { iO, fO, gO, oO, hasI, hasF, hasO, coupled, idG, idH, pI, pF, pO, hasPI, hasPF, hasPO } = layout(cell, H, peep !== null);
  for (let t = T - 1; t >= 0; t--) {
    const sOff = t * BH;
    const dOff = t * B * GH;
    for (let b = 0; b < B; b++) {
      const db = dOff + b * GH;
      for (let k = 0; k < H; k++) {
        const x = b * H + k;
        const s = sOff + x;
        const dht = gOut[s]! + dh[x]!;
        const cPrev = C[s]!;
        const c = C[s + BH]!;
        const a = A[s]!;
        const iv = hasI ? I[s]! : 1;
        const fv = hasF ? F[s]! : coupled ? 1 - iv : 1;
        const gv = Gt[s]!;
        const ov = hasO ? O[s]! : 1;
        const da = dht * ov;
        let dcs = dc[x]! + (idH ? da : da * (1 - a * a));
        if (hasO) {
          const dpo = dht * a * ov * (1 - ov);
          dpre[db + oO + k] = dpo;
          if (hasPO) {
            dcs += dpo * peep![pO + k]!;
            dPeep[pO + k] = dPeep[pO + k]! + dpo * c;
          }
        }
        const dg = dcs * iv;
        dpre[db + gO + k] = idG ? dg : dg * (1 - gv * gv);
        let di = dcs * gv;
        const df = dcs * cPrev;
        let dcPrev = dcs * fv;
        if (hasF) {
          const dpf = df * fv * (1 - fv);
          dpre[db + fO + k] = dpf;
          if (hasPF) {
            dcPrev += dpf * peep![pF + k]!;
            dPeep[pF + k] = dPeep[pF + k]! + dpf * cPrev;
          }
        } else if (coupled) di -= df;
        if (hasI) {
          const dpi = di * iv * (1 - iv);
          dpre[db + iO + k] = dpi;
          if (hasPI) {
            dcPrev += dpi * peep![pI + k]!;
            dPeep[pI + k] = dPeep[pI + k]! + dpi * cPrev;
          }
        }
        dc[x] = dcPrev;
      }
    }
    mulW(dpre, dOff, W, dh, B, GH, H);
  }
  const dW = new Float64Array(GH * H);
  mulTN(dpre, Hs, dW, T * B, GH, H);
  store(dpre, grads.xw);
  store(dW, grads.whh);
  store(dh, grads.h0);
  store(dc, grads.c0);
  if (grads.bhh) {
    const db = grads.bhh as FArr;
    const sum = new Float64Array(GH);
    for (let r = 0; r < T * B; r++) {
      const o = r * GH;
      for (let j = 0; j < GH; j++) sum[j] = sum[j]! + dpre[o + j]!;
    }
    store(sum, db);
  }
  if (grads.peep) store(dPeep, grads.peep);
}

/** Writes a float64 result into an output buffer of either float dtype. */
export function store(src: Float64Array, dst: unknown): void {
  (dst as FArr).set(src);
}

/** Column offsets and flags of a cell spec, unpacked once per sequence for the hot loops. */
function layout(cell: LSTMCellSpec, H: number, hasPeep: boolean) {
  return {
    iO: cell.i * H,
    fO: cell.f * H,
    gO: cell.g * H,
    oO: cell.o * H,
    hasI: cell.i >= 0,
    hasF: cell.f >= 0,
    hasO: cell.o >= 0,
    coupled: cell.coupled,
    idG: cell.identityG,
    idH: cell.identityH,
    pI: cell.peepI * H,
    pF: cell.peepF * H,
    pO: cell.peepO * H,
    hasPI: hasPeep && cell.peepI >= 0,
    hasPF: hasPeep && cell.peepF >= 0,
    hasPO: hasPeep && cell.peepO >= 0,
  };
}
