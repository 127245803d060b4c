// The fused LSTM sequence on the CPU: forward over all T steps with the activations of every step
// kept in one preallocated buffer, and BPTT over them. Every variant of the zoo except FGR, layer
// norm, projection and the dropouts (see LSTMCellSpec). Work arrays have the sequence's dtype
// (small.ts): float64 sequences stay exact enough for gradcheck, float32 ones store and multiply
// in float32 like the composite cell.
//
// Float32 sequences run on the WASM kernel when it is available (wasm.ts: the same steps, with
// W_hh packed once and the pointwise code in SIMD; at W2's sizes the forward takes half the time,
// the backward, bound by its products, three quarters). The loops here are the float64 path and
// the portable one (configureCpu({ wasm: false })). Each step is one product with W_hh (small.ts)
// and one pass over the B·H units (the functions below the kernels, kept apart so V8 inlines the
// activations into them). The backward's h-gradient reads W_hhᵀ, as dot products (no
// read-modify-write of the output), and the weight gradient is one product over the whole sequence.
import type { LSTMCellSpec, LSTMGradBufs, SequenceDims } from '../../backend.js';
import { sigmoid, tanh } from './activations.js';
import { transposeInto } from './linalg.js';
import { stepProduct, type Work, type WorkArray, weightGrad, workArray, workBuffer, workCopy } from './small.js';
import { type LSTMState, type LSTMWeights, lstmBackwardWasm, lstmForwardWasm } from './wasm.js';

type FArr = Float32Array | Float64Array;
type F32 = Float32Array;

/** Column offsets and flags of a cell spec, unpacked once per sequence for the hot loops. */
interface Layout {
  iO: number;
  fO: number;
  gO: number;
  oO: number;
  hasI: boolean;
  hasF: boolean;
  hasO: boolean;
  coupled: boolean;
  idG: boolean;
  idH: boolean;
  pI: number;
  pF: number;
  pO: number;
  hasPI: boolean;
  hasPF: boolean;
  hasPO: boolean;
}

/** What the forward keeps: weights (float64, both layouts) and every step's gates, c and h. */
interface LSTMSaved {
  dims: SequenceDims;
  spec: LSTMCellSpec;
  L: Layout;
  G: number;
  Arr: WorkArray;
  W: Work;
  /** W_hhᵀ, `[H, G·H]`. */
  WT: Work | null;
  peep: Work | null;
  /** Activated gates `[T, B, H]` each (absent gates stay empty). */
  I: Work;
  F: Work;
  Gt: Work;
  O: Work;
  /** The cell output activation tanh(c) (or c) `[T, B, H]`. */
  A: Work;
  /** c and h of steps 0…T: `[T + 1, B, H]` (index 0 is the initial state). */
  C: Work;
  Hs: Work;
  /** The buffer I…Hs are consecutive parts of. */
  all: Work;
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
  dtype: 'float32' | 'float64',
  dims: SequenceDims,
  cell: LSTMCellSpec,
  keep = true,
): LSTMSaved | null {
  const { T, B, H } = dims;
  const G = gateCount(cell);
  const GH = G * H;
  const BH = B * H;
  const xw = xwBuf as FArr;
  const out = outBuf as FArr;
  const Arr = workArray(dtype);
  const W = workCopy(whhBuf as FArr, GH * H, Arr);
  const bias = bhhBuf ? workCopy(bhhBuf as FArr, GH, Arr) : new Arr(GH);
  const P = (cell.peepI >= 0 ? 1 : 0) + (cell.peepF >= 0 ? 1 : 0) + (cell.peepO >= 0 ? 1 : 0);
  const peep = peepBuf ? workCopy(peepBuf as FArr, P * H, Arr) : null;
  const h0 = h0Buf as FArr;
  const c0 = c0Buf as FArr;
  const f32 = dtype === 'float32';
  const weights = { dims, spec: cell, G, P, W, peep };
  const onWasm = (kept: LSTMSaved | null) =>
    f32 && lstmForwardWasm(weights as LSTMWeights, xw as F32, bias as F32, h0 as F32, c0 as F32, out as F32, kept as LSTMState | null);
  // inference on the WASM kernel keeps nothing: no activations buffer at all
  if (!keep && onWasm(null)) return null;
  const L = layout(cell, H, peep !== null);
  // one allocation for every step's activations (the largest part of the kernel's garbage)
  const n = T * BH;
  const sizes = [L.hasI ? n : 0, L.hasF ? n : 0, n, L.hasO ? n : 0, n, n + BH, n + BH];
  const all = new Arr(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  const [I, F, Gt, O, A, C, Hs] = sizes.map((s) => all.subarray(at, (at += s))) as [Work, Work, Work, Work, Work, Work, Work];
  const sv: LSTMSaved = { ...weights, L, Arr, WT: null, I, F, Gt, O, A, C, Hs, all };
  if (!onWasm(sv)) {
    for (let x = 0; x < BH; x++) {
      Hs[x] = h0[x]!;
      C[x] = c0[x]!;
    }
    const pre = new Arr(B * GH);
    const WT = transposed(sv);
    for (let t = 0; t < T; t++) {
      stepProduct(Hs, t * BH, W, WT, pre, B, H, GH);
      stepForward(sv, t, xw, pre, bias);
    }
  }
  // out = [h(1…T); c(T)]
  out.set(Hs.subarray(BH));
  out.set(C.subarray(n), n);
  return sv;
}

/** The units of step t: gates from `pre` = h(t−1)·W_hhᵀ, then c(t) and h(t). */
function stepForward(sv: LSTMSaved, t: number, xw: FArr, pre: Work, bias: Work): void {
  const { B, H } = sv.dims;
  const { iO, fO, gO, oO, hasI, hasF, hasO, coupled, idG, idH, pI, pF, pO, hasPI, hasPF, hasPO } = sv.L;
  const { I, F, Gt, O, A, C, Hs, peep } = sv;
  const GH = sv.G * H;
  const BH = B * H;
  const sOff = t * BH; // this step's row in the [T, B, H] buffers and the previous state's in C/Hs
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
      const gv = idG ? gPre : tanh(gPre);
      Gt[s] = gv;
      const c = fv * cPrev + iv * gv;
      let ov = 1;
      if (hasO) {
        let v = xw[xq + oO]! + pre[q + oO]! + bias[oO + k]!;
        if (hasPO) v += peep![pO + k]! * c;
        ov = sigmoid(v);
        O[s] = ov;
      }
      const a = idH ? c : tanh(c);
      A[s] = a;
      const h = ov * a;
      C[s + BH] = c;
      Hs[s + BH] = h;
    }
  }
}

export function lstmBackward(savedAny: unknown, gOutBuf: unknown, grads: LSTMGradBufs): void {
  const sv = savedAny as LSTMSaved;
  const { dims, G, Arr, W, Hs } = sv;
  const { T, B, H } = dims;
  const GH = G * H;
  const BH = B * H;
  const gOut = gOutBuf as FArr;
  if (Arr === Float32Array && lstmBackwardWasm(sv as LSTMState, gOut as Float32Array, grads)) return;
  const WT = transposed(sv);
  const dpre = workBuffer(0, T * B * GH, Arr); // every element is written by stepBackward
  const dh = new Arr(BH); // gradient reaching h(t) through the recurrence
  const dc = new Arr(BH);
  for (let x = 0; x < BH; x++) dc[x] = gOut[T * BH + x]!;
  const dPeep = new Arr(sv.P * H);
  for (let t = T - 1; t >= 0; t--) {
    stepBackward(sv, t, gOut, dh, dc, dpre, dPeep);
    // dh(t−1) = dpre(t)·W_hh, as dot products with the rows of W_hhᵀ
    stepProduct(dpre, t * B * GH, WT, W, dh, B, GH, H);
  }
  const dW = workBuffer(1, GH * H, Arr);
  weightGrad(dpre, Hs, dW, T * B, B, GH, H);
  store(dpre, grads.xw);
  store(dW, grads.whh);
  store(dh, grads.h0);
  store(dc, grads.c0);
  if (grads.bhh) store(columnSums(dpre, T * B, GH), grads.bhh);
  if (grads.peep) store(dPeep, grads.peep);
}

/**
 * The units of step t in reverse: from dh(t) (the output's gradient plus `dh`, the recurrence's)
 * and dc(t), the gate pre-activation gradients into `dpre` and dc(t−1) into `dc`.
 */
function stepBackward(sv: LSTMSaved, t: number, gOut: FArr, dh: Work, dc: Work, dpre: Work, dPeep: Work): void {
  const { B, H } = sv.dims;
  const { iO, fO, gO, oO, hasI, hasF, hasO, coupled, idG, idH, pI, pF, pO, hasPI, hasPF, hasPO } = sv.L;
  const { I, F, Gt, O, A, C, peep } = sv;
  const GH = sv.G * H;
  const BH = B * H;
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
}

/** W_hhᵀ, made the first time the TypeScript loops need it (the WASM path never does). */
export function transposed(sv: { W: Work; WT: Work | null; Arr: WorkArray; dims: SequenceDims }): Work {
  if (!sv.WT) {
    const { W, Arr } = sv;
    const { H } = sv.dims;
    sv.WT = new Arr(W.length);
    transposeInto(W, W.length / H, H, sv.WT);
  }
  return sv.WT;
}

/** Σ over the rows of a row-major `[rows, cols]` matrix (the bias gradient of every step at once), in float64. */
export function columnSums(m: Work, rows: number, cols: number): Float64Array {
  const sum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) sum[j] = sum[j]! + m[o + j]!;
  }
  return sum;
}

/** Writes a result into an output buffer of either float dtype. */
export function store(src: Work, dst: unknown): void {
  (dst as FArr).set(src);
}

function layout(cell: LSTMCellSpec, H: number, hasPeep: boolean): Layout {
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
