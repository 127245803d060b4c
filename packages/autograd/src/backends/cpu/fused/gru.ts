// The fused GRU sequence on the CPU (PyTorch's cell: gate order r, z, n, reset applied after the
// recurrent matmul): forward over all T steps keeping r, z, n and W_hn·h + b_hn of every step in
// one preallocated buffer of the sequence's dtype, and BPTT over them (as lstm.ts, via small.ts,
// and for float32 on the WASM kernel via wasm.ts).
import type { GRUGradBufs, SequenceDims } from '../../backend.js';
import { sigmoid, tanh } from './activations.js';
import { columnSums, store, transposed } from './lstm.js';
import { stepProduct, type Work, type WorkArray, weightGrad, workArray, workBuffer, workCopy } from './small.js';
import { type GRUState, gruBackwardWasm, gruForwardWasm } from './wasm.js';

type FArr = Float32Array | Float64Array;
type F32 = Float32Array;

interface GRUSaved {
  dims: SequenceDims;
  Arr: WorkArray;
  W: Work;
  /** W_hhᵀ, `[H, 3·H]`. */
  WT: Work | null;
  R: Work;
  Z: Work;
  N: Work;
  /** W_hn·h(t−1) + b_hn, `[T, B, H]`. */
  HN: Work;
  /** h of steps 0…T, `[T + 1, B, H]`. */
  Hs: Work;
  /** The buffer R…Hs are consecutive parts of. */
  all: Work;
}

export function gruForward(
  xwBuf: unknown,
  whhBuf: unknown,
  bhhBuf: unknown,
  h0Buf: unknown,
  outBuf: unknown,
  dtype: 'float32' | 'float64',
  dims: SequenceDims,
  keep = true,
): GRUSaved | null {
  const { T, B, H } = dims;
  const GH = 3 * H;
  const BH = B * H;
  const xw = xwBuf as FArr;
  const out = outBuf as FArr;
  const Arr = workArray(dtype);
  const W = workCopy(whhBuf as FArr, GH * H, Arr);
  const bias = bhhBuf ? workCopy(bhhBuf as FArr, GH, Arr) : new Arr(GH);
  const h0 = h0Buf as FArr;
  const f32 = dtype === 'float32';
  const onWasm = (kept: GRUSaved | null) =>
    f32 && gruForwardWasm(dims, W as F32, xw as F32, bias as F32, h0 as F32, out as F32, kept as GRUState | null);
  // inference on the WASM kernel keeps nothing: no activations buffer at all
  if (!keep && onWasm(null)) return null;
  // one allocation for every step's activations
  const n = T * BH;
  const all = new Arr(5 * n + BH);
  const sv: GRUSaved = {
    dims,
    Arr,
    W,
    WT: null,
    R: all.subarray(0, n),
    Z: all.subarray(n, 2 * n),
    N: all.subarray(2 * n, 3 * n),
    HN: all.subarray(3 * n, 4 * n),
    Hs: all.subarray(4 * n),
    all,
  };
  if (!onWasm(sv)) {
    for (let x = 0; x < BH; x++) sv.Hs[x] = h0[x]!;
    const pre = new Arr(B * GH);
    const WT = transposed(sv);
    for (let t = 0; t < T; t++) {
      stepProduct(sv.Hs, t * BH, W, WT, pre, B, H, GH);
      stepForward(sv, t, xw, pre, bias);
    }
  }
  out.set(sv.Hs.subarray(BH));
  return sv;
}

/** The units of step t, from `pre` = h(t−1)·W_hhᵀ (kept apart so V8 inlines the activations here). */
function stepForward(sv: GRUSaved, t: number, xw: FArr, pre: Work, bias: Work): void {
  const { B, H } = sv.dims;
  const { R, Z, N, HN, Hs } = sv;
  const GH = 3 * H;
  const BH = B * H;
  const sOff = t * BH;
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
      const nv = tanh(xw[xq + 2 * H]! + r * hn);
      const hPrev = Hs[s]!;
      const h = (1 - z) * nv + z * hPrev;
      R[s] = r;
      Z[s] = z;
      N[s] = nv;
      HN[s] = hn;
      Hs[s + BH] = h;
    }
  }
}

export function gruBackward(savedAny: unknown, gOutBuf: unknown, grads: GRUGradBufs): void {
  const sv = savedAny as GRUSaved;
  const { dims, Arr, W, R, Z, N, HN, Hs } = sv;
  const { T, B, H } = dims;
  const GH = 3 * H;
  const BH = B * H;
  const gOut = gOutBuf as FArr;
  if (Arr === Float32Array && gruBackwardWasm(sv as GRUState, gOut as Float32Array, grads)) return;
  const WT = transposed(sv);
  const dxw = workBuffer(0, T * B * GH, Arr); // every element of both is written every step
  // the gradient of h(t−1)·W_hhᵀ + b_hh (differs from dxw in the n block: r ⊙ dpre_n)
  const dhw = workBuffer(1, T * B * GH, Arr);
  const dh = new Arr(BH);
  const dhNext = new Arr(BH);
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
    stepProduct(dhw, dOff, WT, W, dh, B, GH, H);
    for (let x = 0; x < BH; x++) dh[x] = dh[x]! + dhNext[x]!;
  }
  const dW = workBuffer(2, GH * H, Arr);
  weightGrad(dhw, Hs, dW, T * B, B, GH, H);
  store(dxw, grads.xw);
  store(dW, grads.whh);
  store(dh, grads.h0);
  if (grads.bhh) store(columnSums(dhw, T * B, GH), grads.bhh);
}
