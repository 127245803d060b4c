// The fused GRU sequence on the CPU (PyTorch's cell: gate order r, z, n, reset applied after the
// recurrent matmul): forward over all T steps keeping r, z, n and W_hn·h + b_hn of every step in
// preallocated float64 buffers, and BPTT over them.
import { sigmoid } from '../../../math.js';
import type { GRUGradBufs, SequenceDims } from '../../backend.js';
import { mulTN, mulW, mulWT, toF64, transposeInto } from './linalg.js';
import { store } from './lstm.js';

type FArr = Float32Array | Float64Array;

interface GRUSaved {
  dims: SequenceDims;
  W: Float64Array;
  R: Float64Array;
  Z: Float64Array;
  N: Float64Array;
  /** W_hn·h(t−1) + b_hn, `[T, B, H]`. */
  HN: Float64Array;
  /** h of steps 0…T, `[T + 1, B, H]`. */
  Hs: Float64Array;
}

export function gruForward(
  xwBuf: unknown,
  whhBuf: unknown,
  bhhBuf: unknown,
  h0Buf: unknown,
  outBuf: unknown,
  _dtype: 'float32' | 'float64',
  dims: SequenceDims,
): GRUSaved {
  const { T, B, H } = dims;
  const GH = 3 * H;
  const BH = B * H;
  const xw = xwBuf as FArr;
  const out = outBuf as FArr;
  const W = toF64(whhBuf as FArr, GH * H);
  const WT = new Float64Array(GH * H);
  transposeInto(W, GH, H, WT);
  const bias = bhhBuf ? toF64(bhhBuf as FArr, GH) : new Float64Array(GH);
  const n = T * BH;
  const R = new Float64Array(n);
  const Z = new Float64Array(n);
  const N = new Float64Array(n);
  const HN = new Float64Array(n);
  const Hs = new Float64Array(n + BH);
  const h0 = h0Buf as FArr;
  for (let x = 0; x < BH; x++) Hs[x] = h0[x]!;
  const pre = new Float64Array(B * GH);
  for (let t = 0; t < T; t++) {
    const sOff = t * BH;
    mulWT(Hs, sOff, W, WT, pre, B, H, GH);
    const xOff = t * B * GH;
    for (let b = 0; b < B; b++) {
      const pb = b * GH;
      for (let k = 0; k < H; k++) {
        const s = sOff + b * H + k;
        const q = pb + k;
        const xq = xOff + q;
        const r = sigmoid(xw[xq]! + (pre[q]! + bias[k]!));
        const z = sigmoid(xw[xq + H]! + (pre[q + H]! + bias[H + k]!));
        const hn = pre[q + 2 * H]! + bias[2 * H + k]!;
        const nv = Math.tanh(xw[xq + 2 * H]! + r * hn);
        const hPrev = Hs[s]!;
        const h = (1 - z) * nv + z * hPrev;
        R[s] = r;
        Z[s] = z;
        N[s] = nv;
        HN[s] = hn;
        Hs[s + BH] = h;
        out[s] = h;
      }
    }
  }
  return { dims, W, R, Z, N, HN, Hs };
}

export function gruBackward(savedAny: unknown, gOutBuf: unknown, grads: GRUGradBufs): void {
  const { dims, W, R, Z, N, HN, Hs } = savedAny as GRUSaved;
  const { T, B, H } = dims;
  const GH = 3 * H;
  const BH = B * H;
  const gOut = gOutBuf as FArr;
  const dxw = new Float64Array(T * B * GH);
  // the gradient of h(t−1)·W_hhᵀ + b_hh (differs from dxw in the n block: r ⊙ dpre_n)
  const dhw = new Float64Array(T * B * GH);
  const dh = new Float64Array(BH);
  const dhNext = new Float64Array(BH);
  for (let t = T - 1; t >= 0; t--) {
    const sOff = t * BH;
    const dOff = t * B * GH;
    for (let b = 0; b < B; b++) {
      const db = dOff + b * GH;
      for (let k = 0; k < H; k++) {
        const x = b * H + k;
        const s = sOff + x;
        const dht = gOut[s]! + dh[x]!;
        const r = R[s]!;
        const z = Z[s]!;
        const nv = N[s]!;
        const hn = HN[s]!;
        const dpn = dht * (1 - z) * (1 - nv * nv);
        const dpz = dht * (Hs[s]! - nv) * z * (1 - z);
        const dpr = dpn * hn * r * (1 - r);
        dxw[db + k] = dpr;
        dxw[db + H + k] = dpz;
        dxw[db + 2 * H + k] = dpn;
        dhw[db + k] = dpr;
        dhw[db + H + k] = dpz;
        dhw[db + 2 * H + k] = dpn * r;
        dhNext[x] = dht * z;
      }
    }
    mulW(dhw, dOff, W, dh, B, GH, H);
    for (let x = 0; x < BH; x++) dh[x] = dh[x]! + dhNext[x]!;
  }
  const dW = new Float64Array(GH * H);
  mulTN(dhw, Hs, dW, T * B, GH, H);
  store(dxw, grads.xw);
  store(dW, grads.whh);
  store(dh, grads.h0);
  if (grads.bhh) {
    const sum = new Float64Array(GH);
    for (let r = 0; r < T * B; r++) {
      const o = r * GH;
      for (let j = 0; j < GH; j++) sum[j] = sum[j]! + dhw[o + j]!;
    }
    store(sum, grads.bhh);
  }
}
