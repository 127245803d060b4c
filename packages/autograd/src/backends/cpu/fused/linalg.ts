// The three products of a recurrent sequence: h·W_hhᵀ (forward), dpre·W_hh (the gradient flowing
// to h(t−1)) and Σₜ dpreₜᵀ·h(t−1) (the weight gradient, once per sequence). Small batches use
// direct loops (the packed GEMM's packing would cost as much as the product); larger ones the
// backend's GEMM, which runs float32 work arrays on the WASM SIMD kernel and float64 ones on the
// TypeScript kernel (so float64 sequences stay exact enough for gradcheck).
import { matmul } from '../matmul.js';

/** A work array: every operand of one product has the same type. */
type FArr = Float32Array | Float64Array;

/** Batches below this use the direct loops. */
const GEMM_MIN_ROWS = 4;

/** Row-major `[rows, cols]` → `[cols, rows]` into `out`. */
export function transposeInto<A extends FArr>(src: A, rows: number, cols: number, out: A): void {
  for (let r = 0; r < rows; r++) {
    const s = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[s + c]!;
  }
}

/**
 * `out[b, j] = Σₖ h[hOff + b·K + k] · W[j, k]` for `b < B`, `j < N`: `h·Wᵀ` with `W` `[N, K]`
 * (and its transpose `wT` `[K, N]` for the GEMM path). `out` is overwritten.
 */
export function mulWT<A extends FArr>(h: A, hOff: number, W: A, wT: A, out: A, B: number, K: number, N: number): void {
  if (B >= GEMM_MIN_ROWS) {
    matmul(hOff === 0 ? h : h.subarray(hOff, hOff + B * K), wT, out, { batch: 1, m: B, k: K, n: N, aBatchStride: 0, bBatchStride: 0 });
    return;
  }
  for (let b = 0; b < B; b++) {
    const hb = hOff + b * K;
    const ob = b * N;
    let j = 0;
    // four rows of W at a time: h(b) is read once per four dot products
    for (; j + 4 <= N; j += 4) {
      const w0 = j * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = h[hb + k]!;
        s0 += x * W[w0 + k]!;
        s1 += x * W[w1 + k]!;
        s2 += x * W[w2 + k]!;
        s3 += x * W[w3 + k]!;
      }
      out[ob + j] = s0;
      out[ob + j + 1] = s1;
      out[ob + j + 2] = s2;
      out[ob + j + 3] = s3;
    }
    for (; j < N; j++) {
      const w0 = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += h[hb + k]! * W[w0 + k]!;
      out[ob + j] = s;
    }
  }
}

/** `out[b, k] = Σⱼ d[dOff + b·N + j] · W[j, k]`: `d·W` with `W` `[N, K]`. `out` is overwritten. */
export function mulW<A extends FArr>(d: A, dOff: number, W: A, out: A, B: number, N: number, K: number): void {
  if (B >= GEMM_MIN_ROWS) {
    matmul(d.subarray(dOff, dOff + B * N), W, out, { batch: 1, m: B, k: N, n: K, aBatchStride: 0, bBatchStride: 0 });
    return;
  }
  out.fill(0, 0, B * K);
  for (let b = 0; b < B; b++) {
    const ob = b * K;
    const db = dOff + b * N;
    for (let j = 0; j < N; j++) {
      const a = d[db + j]!;
      if (a === 0) continue;
      const w0 = j * K;
      for (let k = 0; k < K; k++) out[ob + k] = out[ob + k]! + a * W[w0 + k]!;
    }
  }
}

/**
 * `out[j, k] = Σ_r d[r, j] · h[r, k]` over `rows` rows: `dᵀ·h` with `d` `[rows, N]` and `h`
 * `[rows, K]` (the recurrent weight gradient of a whole sequence in one GEMM, reading `d`
 * transposed in place). `out` is overwritten.
 */
export function mulTN<A extends FArr>(d: A, h: A, out: A, rows: number, N: number, K: number): void {
  const dims = { batch: 1, m: N, k: rows, n: K, aBatchStride: 0, bBatchStride: 0, transA: true };
  matmul(d.subarray(0, rows * N), h.subarray(0, rows * K), out, dims);
}

/** Copies a float32/float64 buffer into a float64 one. */
export function toF64(src: Float32Array | Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = src[i]!;
  return out;
}
